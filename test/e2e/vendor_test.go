package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/hookflow/hookflow/internal/store/storetest"
)

// An integration written for SuperOffice registers through SaveWebhook and
// gets SuperOffice-shaped deliveries it can verify the way SuperOffice's
// documentation says: base64 HMAC-SHA256 of the body with the secret.
func TestSuperOfficeRegistrationAndDelivery(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	rcv := newReceiver(t)
	const secret = "my-superoffice-secret"
	var saved struct {
		WebhookID int64 `json:"WebhookId"`
		State     string
	}
	code := e.call("POST", "/api/v1/Agents/Webhook/SaveWebhook", map[string]any{
		"WebhookId": 0, "Name": "ERP sync", "Events": []string{"contact.changed"}, "TargetUrl": rcv.URL,
		"Secret": secret, "State": 1, "Type": "webhook",
	}, &saved)
	if code != 200 || saved.WebhookID == 0 || saved.State != "Active" {
		t.Fatalf("SaveWebhook = %d %+v", code, saved)
	}
	a := e.trigger(map[string]any{"id": "so-1", "event": "contact.changed", "actor": "7",
		"records": []map[string]any{{"contact_id": 42, "name": "Acme"}}, "changes": [][]string{{"name"}}})
	e.eventDone(a.EventID, 1)
	got := rcv.requests()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	r := got[0]
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(r.Body)
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); r.Header.Get("X-SuperOffice-Signature") != want {
		t.Errorf("X-SuperOffice-Signature = %q, want %q", r.Header.Get("X-SuperOffice-Signature"), want)
	}
	// The fields a SuperOffice receiver binds.
	var body struct {
		EventID              string `json:"EventId"`
		Event                string
		PrimaryKey           int
		Entity               string
		Changes              []string
		WebhookName          string
		ChangedByAssociateID int `json:"ChangedByAssociateId"`
		FieldValues          map[string]any
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	if body.Event != "contact.changed" || body.PrimaryKey != 42 || body.Entity != "contact" || body.WebhookName != "ERP sync" ||
		body.ChangedByAssociateID != 7 || len(body.Changes) != 1 || body.FieldValues["name"] != "Acme" || body.EventID == "" {
		t.Errorf("body = %+v", body)
	}
	if r.Header.Get("X-SuperOffice-Event") != "contact.changed" || r.Header.Get("X-SuperOffice-EventId") != body.EventID {
		t.Errorf("headers = %v", r.Header)
	}
}
