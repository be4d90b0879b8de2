package models

import (
	"strings"
	"testing"
	"time"
)

func TestStateEventNames(t *testing.T) {
	for name, want := range map[string]bool{
		"webhook.errors": true, "Webhook.Started": true, "webhook42.stopped": true, "webhook{42}.errors": true,
		"webhook.test": false, "webhooks.errors": false, "webhook{x}.errors": false, "contact.errors": false,
	} {
		p, err := ParsePattern(name) // every one is also a pattern a hook may subscribe to
		if err != nil {
			t.Fatalf("ParsePattern(%q): %v", name, err)
		}
		if got := IsStateEvent(p); got != want {
			t.Errorf("IsStateEvent(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestNewStateEventCarriesTheHookNotItsSecret(t *testing.T) {
	h := validHook()
	h.ID, h.Tenant, h.LastError = 42, "t1", "target answered 500"
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e, err := NewStateEvent(h, StateTooManyErrors, "17.0", now)
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != "webhook-42-errors-17.0" || e.Type != EventHookErrors || e.Tenant != "t1" || e.AboutHookID != 42 || !e.ReceivedAt.Equal(now) {
		t.Errorf("event = %+v", e)
	}
	body := string(e.Body)
	if strings.Contains(body, h.Secret) || !strings.Contains(body, `"last_error":"target answered 500"`) || !strings.Contains(body, `"state":"TooManyErrors"`) {
		t.Errorf("body = %s", body)
	}
}
