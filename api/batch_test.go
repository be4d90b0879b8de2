package api_test

import (
	"strings"
	"testing"
)

func TestBatchTriggers(t *testing.T) {
	h := newHarness(t)
	batch := `{"events":[
		{"id":"b-1","event":"Contact.Update","data":{"id":1}},
		{"id":"b-2","event":"Deal.Create","records":[{"id":2},{"id":3}]},
		{"event":"Note.Create","data":{"id":4}}]}`
	a := h.do("POST", "/v1/events/batch", batch)
	if a.Code != 202 {
		t.Fatalf("batch = %d %s", a.Code, a.Raw)
	}
	data := a.Body["data"].([]any)
	if len(data) != 3 || data[0].(map[string]any)["workflow_id"] != "event/default/b-1" || data[1].(map[string]any)["duplicate"] != false {
		t.Errorf("batch answer = %s", a.Raw)
	}
	if id, _ := data[2].(map[string]any)["event_id"].(string); !strings.HasPrefix(id, "evt_") {
		t.Errorf("an event without id got %q", id)
	}
	if ev := h.do("GET", "/v1/events/b-1", ""); ev.Body["status"] != "queued" {
		t.Errorf("a batch's event = %s, want it queued", ev.Raw)
	}
	// The same ids again: stored once, each answered as a duplicate of itself.
	again := h.do("POST", "/v1/events/batch", `{"events":[{"id":"b-2","event":"Deal.Create","data":{"id":9}},{"id":"b-1","event":"Contact.Update","data":{"id":1}}]}`)
	d := again.Body["data"].([]any)
	if again.Code != 202 || d[0].(map[string]any)["duplicate"] != true || d[0].(map[string]any)["workflow_id"] != "event/default/b-2" {
		t.Errorf("repeated batch = %d %s", again.Code, again.Raw)
	}
	if ev := h.do("GET", "/v1/events/b-2", ""); ev.Body["record_count"] != float64(2) {
		t.Errorf("a repeated id changed the stored event: %s", ev.Raw)
	}
}

func TestBadBatches(t *testing.T) {
	h := newHarness(t)
	many := `{"events":[` + strings.Repeat(`{"event":"A.B","data":{}},`, 1000) + `{"event":"A.B","data":{}}]}`
	for _, c := range []struct {
		body  string
		code  int
		field string
	}{
		{`{"events":[]}`, 400, "events"},
		{`{"events":[{"event":"Contact.Update","data":{"id":1}},{"event":"Contact","data":{"id":1}}]}`, 400, "events[1].event"},
		{`{"events":[{"event":"Contact.Update","records":[null]}]}`, 400, "events[0].records[0]"},
		{`{"events":[{"id":"x","event":"A.B","data":{}},{"id":"x","event":"A.B","data":{}}]}`, 400, "events[1].id"},
		{`{"events":[{"event":"A.B","data":{},"tenant":"bad tenant"}]}`, 400, "events[0].tenant"},
		{`{"evnts":[]}`, 400, "evnts"},
		{many, 413, ""},
	} {
		a := h.do("POST", "/v1/events/batch", c.body)
		if a.Code != c.code || a.errorField() != c.field {
			t.Errorf("batch %s = %d field %q (%s); want %d %q", c.body[:min(60, len(c.body))], a.Code, a.errorField(), a.Raw[:min(200, len(a.Raw))], c.code, c.field)
		}
	}
	if n := len(h.temporal.starts); n != 0 {
		t.Errorf("%d workflows started for bad batches", n)
	}
}

// A batch is one transaction: when the database cannot store it, the answer
// is 503 and none of its events was stored.
func TestBatchIsAllOrNothing(t *testing.T) {
	h := newHarness(t)
	h.temporal.down = true // not on the path: still 202
	body := `{"events":[{"id":"d-1","event":"A.B","data":{}},{"id":"d-2","event":"A.B","data":{}}]}`
	if a := h.do("POST", "/v1/events/batch", body); a.Code != 202 || len(a.Body["data"].([]any)) != 2 {
		t.Fatalf("batch with Temporal down = %d %s", a.Code, a.Raw)
	}
	h.store.Close()
	a := h.do("POST", "/v1/events/batch", `{"events":[{"id":"d-3","event":"A.B","data":{}}]}`)
	if a.Code != 503 || a.errorCode() != "unavailable" {
		t.Errorf("batch with the database closed = %d %s", a.Code, a.Raw)
	}
}
