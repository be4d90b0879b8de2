package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/internal/store/storetest"
	enumspb "go.temporal.io/api/enums/v1"
)

// Pipeliner's options end to end: 250 records, a filter passing 150,
// chunk_size 50 and chunk_delay 1 give 3 requests of 50, chunk N sent N
// seconds after the event's workflow planned it (not after chunk N-1 arrived:
// a slow first request may land closer to the second), each record trimmed
// by load-only; the same event with a skip key
// the hook lists reaches nothing.
func TestFilterChunkAndSkipKey(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	rcv := newReceiver(t)
	h := e.createHook(map[string]any{"events": []string{"Contact.*"}, "target_url": rcv.URL, "options": map[string]any{
		"entity": map[string]any{"Contact": map[string]any{
			"filter":    map[string]any{"score": 50},
			"filter-op": map[string]any{"score": "gte"},
			"load-only": []string{"id", "owner.name"},
		}},
		"skip_keys": []string{"gmail_sync"}, "chunk_size": 50, "chunk_delay": 1,
	}})
	rcv.secret.Store(h.Secret)
	records := make([]map[string]any, 250)
	for i := range records {
		records[i] = map[string]any{"id": i, "score": i % 5 * 25, "email1": "x@example.com", "owner": map[string]any{"name": "Ada", "id": 3}}
	}
	// score is 0, 25, 50, 75, 100 in turn: 3 of every 5 records pass, 150 in all.
	sent := time.Now() // the workflow, and so its chunk timers, start after this
	a := e.trigger(map[string]any{"id": "import-1", "event": "Contact.Create", "records": records})
	e.eventDone(a.EventID, 3)
	got := rcv.requests()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(got))
	}
	sort.Slice(got, func(i, j int) bool { return got[i].At.Before(got[j].At) })
	for i, r := range got {
		if r.Err != nil {
			t.Errorf("request %d: signature: %v", i, r.Err)
		}
		b := decodeStandard(t, r.Body)
		if len(b.Data) != 50 || b.Chunk.Count != 3 {
			t.Errorf("request %d carries %d records, chunk %+v; want 50 of 3 chunks", i, len(b.Data), b.Chunk)
		}
		for _, rec := range b.Data {
			owner, _ := rec["owner"].(map[string]any)
			if len(rec) != 2 || owner["name"] != "Ada" || len(owner) != 1 {
				t.Fatalf("record not trimmed by load-only: %v", rec)
			}
		}
		after, due := r.At.Sub(sent), time.Duration(i)*time.Second
		if after < due || after > due+5*time.Second {
			t.Errorf("request %d came %s after the trigger, want %s (chunk_delay 1 × %d) or a little more", i, after, due, i)
		}
	}

	// The receiver writes back to the CRM, which triggers again with the skip key: nothing is sent.
	var skipped triggerAnswer
	code := e.callWithHeader("POST", "/v1/events", map[string]any{"id": "import-2", "event": "Contact.Create", "records": records},
		&skipped, api.SkipKeyHeader, "gmail_sync")
	if code != 202 {
		t.Fatalf("trigger with skip key = %d", code)
	}
	waitFor(t, 10*time.Second, "skip-key event workflow to finish", func() bool {
		d, err := e.client.DescribeWorkflowExecution(context.Background(), skipped.WorkflowID, "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	var ev eventAnswer
	e.call("GET", "/v1/events/import-2", nil, &ev)
	if len(ev.Deliveries) != 0 || rcv.hits.Load() != 3 {
		t.Errorf("skip-key event: %d deliveries, %d requests in all; want none new", len(ev.Deliveries), rcv.hits.Load())
	}
}

// insecure_ssl skips TLS verification for that hook only: a self-signed
// receiver fails without it and succeeds with it.
func TestInsecureSSLIsPerHook(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	var hits atomic.Int32
	tlsRcv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer tlsRcv.Close()
	strict := e.createHook(map[string]any{"events": []string{"strict.*"}, "target_url": tlsRcv.URL})
	e.createHook(map[string]any{"events": []string{"lax.*"}, "target_url": tlsRcv.URL, "insecure_ssl": true})

	a := e.trigger(map[string]any{"event": "lax.created", "data": map[string]any{"id": 1}})
	if ev := e.eventDone(a.EventID, 1); ev.Deliveries[0].Status != "succeeded" {
		t.Errorf("insecure_ssl hook: %+v", ev.Deliveries[0])
	}
	a = e.trigger(map[string]any{"event": "strict.created", "data": map[string]any{"id": 1}})
	ev := e.eventDone(a.EventID, 1)
	d := ev.Deliveries[0]
	if d.Status != "failed" || d.HookID != strict.ID || hits.Load() != 1 {
		t.Errorf("verifying hook against a self-signed certificate: %+v, receiver handled %d", d, hits.Load())
	}
	var full deliveryAnswer
	e.call("GET", fmt.Sprintf("/v1/deliveries/%d", d.ID), nil, &full)
	if len(full.AttemptLog) == 0 || !strings.Contains(full.AttemptLog[0].Error, "certificate") {
		t.Errorf("attempt error = %+v, want a certificate error", full.AttemptLog)
	}
}
