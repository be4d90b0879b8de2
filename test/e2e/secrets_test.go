package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/receiverauth/authtest"
	"github.com/hookflow/hookflow/internal/store/storetest"
	enumspb "go.temporal.io/api/enums/v1"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A run with failures, retries, a rotation and debug logging leaves no
// hook secret, receiver credential, OAuth token or API key in any log line,
// Temporal history or metric. During a rotation, deliveries verify with the
// old secret and the new one.
func TestSecretsStayOutOfLogsAndHistories(t *testing.T) {
	logs := &lockedBuffer{}
	const apiKey = "e2e-secret-api-key-0123456789"
	e := newEnvWith(t, storetest.SQLite(t), envOptions{keys: []config.APIKey{{Key: apiKey}}, logs: logs})
	rcv := newReceiver(t, 500) // one failure, then success: error paths log too
	h := e.createHook(map[string]any{"events": []string{"*"}, "target_url": rcv.URL})
	oldSecret := h.Secret
	rcv.secret.Store(oldSecret)
	a := e.trigger(map[string]any{"event": "contact.created", "data": map[string]any{"id": 1, "secret_looking": "nope"}})
	e.eventDone(a.EventID, 1)

	var rotated struct{ Secret string }
	if code := e.call("POST", fmt.Sprintf("/v1/hooks/%d/secret/rotate", h.ID), map[string]any{"grace_period": "1h"}, &rotated); code != 200 || rotated.Secret == oldSecret {
		t.Fatalf("rotate = %d %+v", code, rotated)
	}
	b := e.trigger(map[string]any{"event": "contact.created", "data": map[string]any{"id": 2}})
	e.eventDone(b.EventID, 1)
	got := rcv.requests()
	last := got[len(got)-1]
	if n := len(strings.Fields(last.Header.Get("Webhook-Signature"))); n != 2 {
		t.Errorf("during the grace period a delivery carries %d signatures, want 2", n)
	}
	for _, secret := range []string{oldSecret, rotated.Secret} {
		wh, _ := standardwebhooks.NewWebhook(secret)
		if err := wh.Verify(last.Body, last.Header); err != nil {
			t.Errorf("a receiver holding one of the secrets rejects the delivery: %v", err)
		}
	}

	// Every kind of receiver credential, used, and an OAuth token endpoint
	// that refuses (its error goes through the attempt log and Temporal).
	secrets, credentialsWorkflow := credentialHooks(t, e)
	ts := authtest.NewTokenServer(t, "refused-client", "refused-client-secret-77")
	refused := e.createHook(map[string]any{"events": []string{"refuse.*"}, "target_url": rcv.URL,
		"receiver_auth": map[string]any{"type": "oauth2_client_credentials", "token_url": ts.TokenURL(),
			"client_id": "refused-client", "client_secret": "refused-client-secret-77"}})
	secrets["refused OAuth client secret"] = "refused-client-secret-77"
	secrets["refused OAuth check token"] = ts.Issued()[0]
	ts.Refuse()
	c := e.trigger(map[string]any{"event": "refuse.created", "data": map[string]any{"id": 3}})
	for _, d := range e.eventDone(c.EventID, 2).Deliveries { // the hook above takes every event too
		if d.HookID == refused.ID && (d.Status != "failed" || !strings.Contains(d.LastError, "invalid_client")) {
			t.Errorf("delivery with a refusing token endpoint: %+v", d)
		}
	}

	var histories strings.Builder
	for _, id := range []string{a.WorkflowID, b.WorkflowID, credentialsWorkflow, c.WorkflowID} {
		it := e.client.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			histories.WriteString(ev.String())
		}
	}
	time.Sleep(100 * time.Millisecond) // let the last log lines land
	secrets["old hook secret"], secrets["new hook secret"], secrets["API key"] = oldSecret, rotated.Secret, apiKey
	metrics := e.metricsText()
	for name, secret := range secrets {
		for where, text := range map[string]string{"logs": logs.String(), "Temporal histories": histories.String(), "metrics": metrics} {
			if strings.Contains(text, secret) || strings.Contains(text, strings.TrimPrefix(secret, "whsec_")) {
				t.Errorf("the %s appears in the %s", name, where)
			}
		}
	}
	if !strings.Contains(logs.String(), "delivery attempt") || histories.Len() == 0 {
		t.Fatalf("nothing captured: %d bytes of logs, %d of history", len(logs.String()), histories.Len())
	}
}

// metricsText is GET /metrics as served.
func (e *env) metricsText() string {
	e.t.Helper()
	resp, err := e.http.Get(e.api.URL + "/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 || len(b) == 0 {
		e.t.Fatalf("GET /metrics = %d, %v", resp.StatusCode, err)
	}
	return string(b)
}
