package payload

import (
	"slices"
	"testing"
)

// TestRegistry checks what every registered format must declare.
func TestRegistry(t *testing.T) {
	names := Formats.Names()
	if len(names) == 0 || names[0] != string(Standard) {
		t.Fatalf("Names() = %q; want standard first", names)
	}
	if !slices.IsSorted(names[1:]) {
		t.Errorf("Names() = %q; want the others by name", names)
	}
	seen := map[string]bool{}
	for _, f := range Formats.All() {
		switch {
		case seen[string(f.Name)]:
			t.Errorf("%s is registered twice", f.Name)
		case f.encode == nil || f.Doc == "":
			t.Errorf("%s has no encoder or no doc", f.Name)
		case (f.Scheme == "") != (f.verify == nil):
			t.Errorf("%s: a scheme without a check, or a check without a scheme", f.Name)
		}
		seen[string(f.Name)] = true
		if Formats.Lookup(f.Name) != f || !Formats.Known(f.Name) {
			t.Errorf("Lookup(%s) does not find it", f.Name)
		}
	}
	if Formats.Known("soap") || Formats.Lookup("soap") != nil || OneRecordPerRequest("soap") {
		t.Error("an unknown format is known")
	}
}

// TestReservedHeaderFamilies checks which custom header names the formats
// keep for themselves, whatever their case.
func TestReservedHeaderFamilies(t *testing.T) {
	for name, reserved := range map[string]bool{
		"webhook-id": true, "Webhook-Timestamp": true,
		"WebHook-Signature":       true, // Pipeliner's spelling of Standard Webhooks' header
		"X-SuperOffice-Signature": true, "x-superoffice-event": true, "X-SuperOffice-EventId": true, "X-SuperOffice-Retry": true,
		"Authorization": false, "X-Api-Key": false, "X-Webhook-Source": false, "X-SuperOffice": false,
	} {
		if got := Formats.ReservedHeader(name); got != reserved {
			t.Errorf("ReservedHeader(%q) = %v; want %v", name, got, reserved)
		}
	}
}
