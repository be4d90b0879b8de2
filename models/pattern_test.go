package models

import "testing"

func TestPatternsMatchCaseInsensitively(t *testing.T) {
	tests := []struct {
		pattern, event string
		want           bool
	}{
		{"contact.created", "Contact.Created", true},
		{"Contact.*", "contact.deleted", true},
		{"*", "Deal.Update", true},
		{"*.created", "note.created", true},
		{"contact.created", "contact.deleted", false},
		{"contact.*", "contacts.created", false},
		{"Account.Update", "account.update", true},
		{"webhook{42}.errors", "webhook{42}.errors", true},
		{"note:created.*", "note:created.x", true},
	}
	for _, tt := range tests {
		p, err := ParsePattern(tt.pattern)
		if err != nil {
			t.Fatalf("ParsePattern(%q): %v", tt.pattern, err)
		}
		ev, err := ParseEventType(tt.event)
		if err != nil {
			t.Fatalf("ParseEventType(%q): %v", tt.event, err)
		}
		if got := p.Matches(ev); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.pattern, tt.event, got, tt.want)
		}
	}
}

func TestBadPatternsAndEventTypes(t *testing.T) {
	for _, s := range []string{"", "contact", ".created", "contact.", "con tact.created", "contact.cre\nated", "**"} {
		if _, err := ParsePattern(s); err == nil {
			t.Errorf("ParsePattern(%q) accepted it", s)
		}
	}
	for _, s := range []string{"*", "contact.*", "*.created"} {
		if _, err := ParseEventType(s); err == nil {
			t.Errorf("ParseEventType(%q) accepted a pattern as an event", s)
		}
	}
}

func TestHookMatchesAnyOfItsPatterns(t *testing.T) {
	h := &Hook{HookSpec: HookSpec{Events: JSON[[]string]{V: []string{"account.*", "contact.created"}}}}
	for ev, want := range map[string]bool{"Account.Update": true, "contact.created": true, "contact.deleted": false} {
		p, _ := ParseEventType(ev)
		if h.Matches(p) != want {
			t.Errorf("Matches(%s) = %v, want %v", ev, !want, want)
		}
	}
}
