package models

import (
	"errors"
	"strings"
	"testing"
)

func TestHookValidateReservedHeaders(t *testing.T) {
	tests := []struct {
		name     string
		reserved bool
	}{
		{"Content-Type", true},
		{"content-length", true},
		{"Content-Encoding", true},
		{"HOST", true},
		{"User-Agent", true},
		{"Connection", true},
		{"Keep-Alive", true},
		{"Proxy-Authorization", true},
		{"Proxy-Connection", true},
		{"TE", true},
		{"Trailer", true},
		{"Transfer-Encoding", true},
		{"Upgrade", true},
		{"Expect", true},
		{"x-format-signature", true}, // a family the formats reserve
		{"Authorization", false},
		{"X-Api-Key", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := validHook()
			h.Headers.V = map[string]string{tt.name: "value"}
			err := h.Validate(testFormats{})
			if tt.reserved != (err != nil) {
				t.Fatalf("Validate() with header %q = %v; want reserved=%v", tt.name, err, tt.reserved)
			}
			var v *ValidationError
			if err != nil && (!errors.As(err, &v) || len(v.Fields) != 1 || v.Fields[0].Field != "headers."+tt.name) {
				t.Errorf("Validate() = %v; want one problem with headers.%s", err, tt.name)
			}
		})
	}
}

func validHook() *Hook {
	return &Hook{
		Name:      "crm sync",
		Events:    JSON[[]string]{V: []string{"contact.*"}},
		TargetURL: "https://example.com/hook",
		Secret:    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		State:     StateActive,
		Type:      HookTypeWebhook,
		Format:    "standard",
	}
}

// testFormats stands in for the format registry: one format, "standard",
// whose headers are the X-Format-* family.
type testFormats struct{}

func (testFormats) Known(f Format) bool { return f == "standard" }
func (testFormats) Names() []string     { return []string{"standard"} }
func (testFormats) ReservedHeader(name string) bool {
	return strings.HasPrefix(strings.ToLower(name), "x-format-")
}

func TestHookValidateFormat(t *testing.T) {
	h := validHook()
	h.Format = "soap"
	var v *ValidationError
	if err := h.Validate(testFormats{}); !errors.As(err, &v) || len(v.Fields) != 1 || v.Fields[0] != (FieldError{"format", "must be one of standard"}) {
		t.Errorf("Validate() with format soap = %v; want one problem naming the formats", err)
	}
}
