package models

import (
	"errors"
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
		{"webhook-id", true},
		{"Webhook-Timestamp", true},
		{"WebHook-Signature", true}, // Pipeliner's spelling of Standard Webhooks' header
		{"X-SuperOffice-Signature", true},
		{"x-superoffice-event", true},
		{"X-SuperOffice-EventId", true},
		{"X-SuperOffice-Retry", true},
		{"Authorization", false},
		{"X-Api-Key", false},
		{"X-Webhook-Source", false},
		{"X-SuperOffice", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := validHook()
			h.Headers.V = map[string]string{tt.name: "value"}
			err := h.Validate()
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
		Format:    FormatStandard,
	}
}
