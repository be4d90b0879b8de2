package payload

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
)

var (
	sentAt   = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	current  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	previous = "whsec_c2VjcmV0LXRoYXQtd2FzLXJvdGF0ZWQ="
)

// sent renders a real delivery of format f signed with secrets, so the check
// is proven against what the sender puts on the wire.
func sent(t *testing.T, f models.Format, secrets ...string) (http.Header, []byte) {
	t.Helper()
	m := &Message{DeliveryID: 7, Tenant: "t1", EventID: "evt-1", EventType: "Contact.Update", OccurredAt: sentAt,
		Records: []models.Record{{Data: map[string]any{"id": 1, "email1": "ada@example.com"}}}, Hook: Hook{ID: 3, Name: "crm"}}
	r, err := Encode(f, m, secrets, sentAt)
	if err != nil {
		t.Fatal(err)
	}
	return r.Header, r.Body
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name    string
		format  models.Format
		signed  []string // secrets the sender used
		secrets []string // the hook's secrets at check time
		edit    func(h http.Header, body []byte) []byte
		arrived time.Duration // after sentAt
		trunc   bool
		want    Verdict
	}{
		{name: "standard valid", format: Standard, signed: []string{current}, secrets: []string{current},
			want: Verdict{true, true, "standard-webhooks", "webhook-signature matches, signed with the hook's current secret"}},
		{name: "standard signed with the previous secret", format: Standard, signed: []string{previous}, secrets: []string{current, previous},
			want: Verdict{true, true, "standard-webhooks", "webhook-signature matches, signed with the hook's previous secret, still valid during its rotation"}},
		{name: "standard during a rotation carries both", format: Standard, signed: []string{current, previous}, secrets: []string{current},
			want: Verdict{true, true, "standard-webhooks", "webhook-signature matches, signed with the hook's current secret"}},
		{name: "standard wrong secret", format: Standard, signed: []string{previous}, secrets: []string{current},
			want: Verdict{true, false, "standard-webhooks", "no v1 signature in webhook-signature matches the hook's secret"}},
		{name: "standard tampered body", format: Standard, signed: []string{current}, secrets: []string{current},
			edit: func(_ http.Header, b []byte) []byte { return []byte(strings.Replace(string(b), "ada", "eve", 1)) },
			want: Verdict{true, false, "standard-webhooks", "no v1 signature in webhook-signature matches the hook's secret"}},
		{name: "standard missing header", format: Standard, signed: []string{current}, secrets: []string{current},
			edit: func(h http.Header, b []byte) []byte { h.Del("Webhook-Timestamp"); return b },
			want: Verdict{true, false, "standard-webhooks", "missing header webhook-timestamp"}},
		{name: "standard replayed later", format: Standard, signed: []string{current}, secrets: []string{current}, arrived: time.Hour,
			want: Verdict{true, false, "standard-webhooks", "webhook-timestamp is 1h0m0s away from when the request arrived (allowed: 5m0s): a replay or a wrong clock"}},
		{name: "standard within tolerance", format: Standard, signed: []string{current}, secrets: []string{current}, arrived: 4 * time.Minute,
			want: Verdict{true, true, "standard-webhooks", "webhook-signature matches, signed with the hook's current secret"}},
		{name: "standard truncated", format: Standard, signed: []string{current}, secrets: []string{current}, trunc: true,
			want: Verdict{false, false, "standard-webhooks", "only the beginning of the body was kept, so its signature cannot be checked"}},
		{name: "superoffice valid", format: SuperOffice, signed: []string{current}, secrets: []string{current},
			want: Verdict{true, true, "superoffice", "X-SuperOffice-Signature matches, signed with the hook's current secret"}},
		{name: "superoffice sent before a rotation", format: SuperOffice, signed: []string{previous}, secrets: []string{current, previous},
			want: Verdict{true, true, "superoffice", "X-SuperOffice-Signature matches, signed with the hook's previous secret, still valid during its rotation"}},
		{name: "superoffice wrong secret", format: SuperOffice, signed: []string{previous}, secrets: []string{current},
			want: Verdict{true, false, "superoffice", "X-SuperOffice-Signature does not match the body signed with the hook's secret"}},
		{name: "superoffice unsigned", format: SuperOffice, signed: []string{""}, secrets: []string{current},
			want: Verdict{true, false, "superoffice", "missing header X-SuperOffice-Signature"}},
		{name: "pipeliner valid", format: Pipeliner, signed: []string{"0f8fad5b-d9cb-469f-a165-70867728950e"}, secrets: []string{"0f8fad5b-d9cb-469f-a165-70867728950e"},
			want: Verdict{true, true, "pipeliner", "WebHook-Signature matches, signed with the hook's current secret"}},
		{name: "pipeliner tampered body", format: Pipeliner, signed: []string{current}, secrets: []string{current},
			edit: func(_ http.Header, b []byte) []byte { return append(b, ' ') },
			want: Verdict{true, false, "pipeliner", "WebHook-Signature does not match the body signed with the hook's secret"}},
		{name: "pipeliner truncated", format: Pipeliner, signed: []string{current}, secrets: []string{current}, trunc: true,
			want: Verdict{false, false, "pipeliner", "only the beginning of the body was kept, so its signature cannot be checked"}},
		{name: "agilecrm signs nothing", format: AgileCRM, signed: []string{current}, secrets: []string{current},
			want: Verdict{Detail: "the agilecrm format carries no signature to check"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, body := sent(t, tt.format, tt.signed...)
			if tt.edit != nil {
				body = tt.edit(h, body)
			}
			got := Verify(VerifyInput{Format: tt.format, Header: h, Body: body, Truncated: tt.trunc,
				ReceivedAt: sentAt.Add(tt.arrived), Secrets: tt.secrets})
			if got != tt.want {
				t.Errorf("Verify() = %+v\nwant       %+v", got, tt.want)
			}
		})
	}
}
