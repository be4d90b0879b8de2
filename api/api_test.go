package api_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/api/apitest"
	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/store"
)

// harness is the whole API (apitest) with the helpers the native API's tests share.
type harness struct {
	*apitest.Harness
	queued []string // workflow ids of the events admitted, see admitted
}

func newHarness(t *testing.T, keys ...config.APIKey) *harness {
	return &harness{Harness: apitest.New(t, keys...)}
}

// newHarnessOn is newHarness on a given store (storetest.Each runs a test on every backend).
func newHarnessOn(t *testing.T, st *store.Store, keys ...config.APIKey) *harness {
	return &harness{Harness: apitest.NewOn(t, st, keys...)}
}

const hookJSON = apitest.HookJSON

var jsonID = apitest.ID

func TestHookCRUD(t *testing.T) {
	h := newHarness(t)
	created := h.Do("POST", "/v1/hooks", hookJSON)
	if created.Code != 201 {
		t.Fatalf("create = %d %s", created.Code, created.Raw)
	}
	secret, _ := created.Body["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") || len(secret) < 30 {
		t.Errorf("create returned secret %q, want a full whsec_ secret", secret)
	}
	if created.Body["state"] != "Active" || created.Body["format"] != "standard" || created.Body["type"] != "webhook" || created.Body["tenant"] != "default" {
		t.Errorf("defaults = %v", created.Body)
	}
	id := jsonID(created.Body)
	got := h.Do("GET", "/v1/hooks/"+id, "")
	if got.Code != 200 || got.Body["secret"] != "whsec_********" || got.Body["name"] != "CRM sync" {
		t.Errorf("get = %d %v", got.Code, got.Body)
	}
	if s := h.Do("GET", "/v1/hooks/"+id+"/secret", ""); s.Body["secret"] != secret {
		t.Errorf("get secret = %v", s.Body)
	}
	patched := h.Do("PATCH", "/v1/hooks/"+id, `{"state":"Stopped","headers":{"X-Api-Key":"k"}}`)
	if patched.Code != 200 || patched.Body["state"] != "Stopped" || patched.Body["name"] != "CRM sync" {
		t.Errorf("patch = %d %v", patched.Code, patched.Body)
	}
	put := h.Do("PUT", "/v1/hooks/"+id, `{"events":["*"],"target_url":"https://other.example.com/"}`)
	if put.Code != 200 || put.Body["name"] != "" || put.Body["state"] != "Active" || len(put.Body["headers"].(map[string]any)) != 0 {
		t.Errorf("put = %d %v", put.Code, put.Body)
	}
	if s := h.Do("GET", "/v1/hooks/"+id+"/secret", ""); s.Body["secret"] != secret {
		t.Errorf("PUT without a secret changed it: %v", s.Body)
	}
	list := h.Do("GET", "/v1/hooks", "")
	if data := list.Body["data"].([]any); list.Code != 200 || len(data) != 1 {
		t.Errorf("list = %d %v", list.Code, list.Body)
	}
	if d := h.Do("DELETE", "/v1/hooks/"+id, ""); d.Code != 204 {
		t.Errorf("delete = %d", d.Code)
	}
	if g := h.Do("GET", "/v1/hooks/"+id, ""); g.Code != 404 || g.ErrorCode() != "not_found" {
		t.Errorf("get deleted = %d %s", g.Code, g.Raw)
	}
}

func TestHookListPages(t *testing.T) {
	h := newHarness(t)
	for range 5 {
		if a := h.Do("POST", "/v1/hooks", hookJSON); a.Code != 201 {
			t.Fatal(a.Raw)
		}
	}
	var seen []string
	cursor := ""
	for page := 0; page < 5; page++ {
		a := h.Do("GET", "/v1/hooks?limit=2&cursor="+cursor, "")
		for _, d := range a.Body["data"].([]any) {
			seen = append(seen, jsonID(d.(map[string]any)))
		}
		next, _ := a.Body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if strings.Join(seen, ",") != "1,2,3,4,5" {
		t.Errorf("paged ids = %v, want 1..5 once each", seen)
	}
}

func TestBadHookInput(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		body  string
		code  int
		field string
	}{
		{`{`, 400, ""},
		{`{"events":["*"],"target_url":"https://x.example"} trailing`, 400, ""},
		{`{"events":"*","target_url":"https://x.example"}`, 400, "events"},
		{`{"events":["*"],"target_url":"https://x.example","colour":"red"}`, 400, "colour"},
		{`{"events":[],"target_url":"https://x.example"}`, 400, "events"},
		{`{"events":["contact"],"target_url":"https://x.example"}`, 400, "events[0]"},
		{`{"events":["*"]}`, 400, "target_url"},
		{`{"events":["*"],"target_url":"ftp://x.example"}`, 400, "target_url"},
		{`{"events":["*"],"target_url":"https://x.example","type":"email"}`, 400, "type"},
		{`{"events":["*"],"target_url":"https://x.example","format":"xml"}`, 400, "format"},
		{`{"events":["*"],"target_url":"https://x.example","state":"On"}`, 400, "state"},
		{`{"events":["*"],"target_url":"https://x.example","secret":"short"}`, 400, "secret"},
		{`{"events":["*"],"target_url":"https://x.example","headers":{"Content-Type":"text/plain"}}`, 400, "headers.Content-Type"},
		{`{"events":["*"],"target_url":"https://x.example","headers":{"X-A":"a\r\nb"}}`, 400, "headers.X-A"},
		{`{"events":["*"],"target_url":"https://x.example","headers":{"X-Team":"a","x-team":"b"}}`, 400, "headers.x-team"}, // one would be sent, which by chance
		{`{"events":["*"],"target_url":"https://x.example","errors_email":"nobody"}`, 400, "errors_email"},
		{`{"events":["*"],"target_url":"https://x.example","rate_limit":-1}`, 400, "rate_limit"},
		{`{"events":["*"],"target_url":"https://x.example","rate_limit":1000000}`, 400, "rate_limit"},
		{`{"events":["*"],"target_url":"https://x.example","rate_limit":2.5}`, 400, "rate_limit"},
		{`{"events":["*"],"target_url":"https://x.example","ordering":"lifo"}`, 400, "ordering"},
		{`{"events":["*"],"target_url":"https://x.example","ordering":""}`, 400, "ordering"},
		{`{"events":["*"],"Target_URL":"https://x.example"}`, 400, "Target_URL"},
		{`{"events":["*"],"target_url":"https://a.example","TARGET_URL":"https://b.example"}`, 400, "TARGET_URL"},
		{`{"events":["*"],"target_url":"https://x.example","options":{"Chunk_Size":5}}`, 400, "options.Chunk_Size"},
		{`{"events":["*"],"target_url":"https://x.example","options":{"entity":{"Contact":{"Filter":{"a":1}}}}}`, 400, "options.entity.Contact.Filter"},
		{`{"events":["*"],"target_url":"https://x.example","options":{"chunk_size":-1}}`, 400, "options.chunk_size"},
		{`{"events":["*"],"target_url":"https://x.example","options":{"chunk_size":500}}`, 400, "options.chunk_size"},
		{`{"events":["*"],"target_url":"https://x.example","options":{"chunk_delay":-1}}`, 400, "options.chunk_delay"},
		{`{"events":["*"],"target_url":"https://x.example","options":{"entity":{"Contact":{"filter":{"a":1},"filter-op":{"a":"near"}}}}}`, 400, "options.entity.Contact.filter-op.a"},
		{`{"events":["*"],"target_url":"https://x.example","options":{"entity":{"Contact":{"filter-op":{"a":"eq"}}}}}`, 400, "options.entity.Contact.filter-op.a"},
	}
	for _, tt := range tests {
		a := h.Do("POST", "/v1/hooks", tt.body)
		if a.Code != tt.code || a.ErrorField() != tt.field || a.ErrorCode() == "" {
			t.Errorf("POST %s = %d field %q (%s); want %d field %q", tt.body, a.Code, a.ErrorField(), a.Raw, tt.code, tt.field)
		}
	}
	if a := h.Do("GET", "/v1/hooks/abc", ""); a.Code != 400 || a.ErrorField() != "id" {
		t.Errorf("GET /v1/hooks/abc = %d %s", a.Code, a.Raw)
	}
}

// A trigger is admitted: stored and queued in one transaction, answered
// 202 without a call to Temporal (a worker's dispatcher starts it). The same
// id again is one event, queued once.
func TestTriggerIsAdmittedOnce(t *testing.T) {
	h := newHarness(t)
	body := `{"id":"evt-1","event":"Contact.Update","records":[{"id":1,"email1":"a@example.com"}],"changes":[["email1"]]}`
	first := h.Do("POST", "/v1/events", body, "Webhook-Skip-Key", "gmail_sync")
	if first.Code != 202 || first.Body["event_id"] != "evt-1" || first.Body["workflow_id"] != "event/default/evt-1" || first.Body["duplicate"] != false {
		t.Fatalf("first trigger = %d %s", first.Code, first.Raw)
	}
	again := h.Do("POST", "/v1/events", body)
	if again.Code != 202 || again.Body["duplicate"] != true || again.Body["workflow_id"] != "event/default/evt-1" {
		t.Fatalf("repeated trigger = %d %s", again.Code, again.Raw)
	}
	if n := len(h.Temporal.Starts); n != 0 {
		t.Errorf("the API started %d workflows; admission must not call Temporal", n)
	}
	ev := h.Do("GET", "/v1/events/evt-1", "")
	if ev.Code != 200 || ev.Body["event"] != "Contact.Update" || ev.Body["record_count"] != float64(1) || ev.Body["status"] != "queued" {
		t.Errorf("GET event = %d %s", ev.Code, ev.Raw)
	}
	now := time.Now().UTC()
	queued, err := h.Store.ClaimEvents(context.Background(), 10, now, now.Add(time.Minute))
	if err != nil || len(queued) != 1 || queued[0].ID != "evt-1" || queued[0].SkipKey != "gmail_sync" {
		t.Fatalf("queue holds %+v, %v; want evt-1 once", queued, err)
	}
	if err := h.Store.DequeueEvents(context.Background(), []int64{queued[0].PK}); err != nil {
		t.Fatal(err)
	}
	if ev := h.Do("GET", "/v1/events/evt-1", ""); ev.Body["status"] != "started" {
		t.Errorf("GET event once dispatched = %s", ev.Raw)
	}
	gen := h.Do("POST", "/v1/events", `{"event":"deal.created","data":{"id":5}}`)
	if id, _ := gen.Body["event_id"].(string); gen.Code != 202 || !strings.HasPrefix(id, "evt_") {
		t.Errorf("trigger without id = %d %s", gen.Code, gen.Raw)
	}
}

func TestBadTriggers(t *testing.T) {
	h := newHarness(t)
	many := `{"event":"Contact.Update","records":[` + strings.Repeat(`{"id":1},`, 100) + `{"id":1}]}`
	huge := `{"event":"Contact.Update","records":[{"note":"` + strings.Repeat("x", 1<<20) + `"}]}`
	tests := []struct {
		body  string
		code  int
		field string
	}{
		{`not json`, 400, ""},
		{`{"event":"Contact.Update"}`, 400, "records"},
		{`{"event":"Contact","records":[{"id":1}]}`, 400, "event"},
		{`{"event":"Contact.*","records":[{"id":1}]}`, 400, "event"},
		{`{"event":"Contact.Update","records":[1]}`, 400, "records"},
		{`{"event":"Contact.Update","records":[null]}`, 400, "records[0]"},
		{`{"event":"Contact.Update","records":[{"id":1}],"changes":[]}`, 400, "changes"},
		{`{"event":"Contact.Update","records":[{"id":1}],"occurred_at":"yesterday"}`, 400, "occurred_at"},
		{`{"event":"Contact.Update","records":[{"id":1}],"occurred_at":"2026-01-02T3:04:05Z"}`, 400, "occurred_at"},
		{`{"event":"Contact.Update","records":[{"id":1}],"data":{"id":2}}`, 400, "data"},
		{`{"event":"Contact.Update","records":[{"id":1}],"recrods":[]}`, 400, "recrods"},
		{`{"Event":"Contact.Update","records":[{"id":1}]}`, 400, "Event"},                                   // names are exact, as documented
		{`{"event":"Contact.Update","records":[{"id":1}],"EVENT":"Account.Delete"}`, 400, "EVENT"},          // and one field is given once
		{`{"event":"Contact.Update","records":[{"id":1}],"changes":[["a"]],"previous":[{"A":1}]}`, 202, ""}, // record fields are data: any case
		{`{"event":"webhook.errors","records":[{"id":1}]}`, 400, "event"},                                   // only hookflow emits state-change events
		{`{"event":"Webhook{7}.Started","records":[{"id":7}]}`, 400, "event"},
		{many, 413, ""},
		{huge, 413, ""},
		{`{"event":"Contact.Update","records":[{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}]}`, 400, ""},
	}
	for _, tt := range tests {
		a := h.Do("POST", "/v1/events", tt.body)
		if a.Code != tt.code || a.ErrorField() != tt.field {
			short := tt.body[:min(len(tt.body), 80)]
			t.Errorf("POST %s = %d field %q (%s); want %d field %q", short, a.Code, a.ErrorField(), a.Raw[:min(len(a.Raw), 200)], tt.code, tt.field)
		}
	}
	if n := len(h.Temporal.Starts); n != 0 {
		t.Errorf("%d workflows started for bad triggers", n)
	}
}

// With Temporal down, triggers are still admitted (they wait, queued) and
// the API stays ready: readiness is about accepting triggers. Readiness
// reports Temporal all the same.
func TestTemporalDownStillAdmits(t *testing.T) {
	h := newHarness(t)
	h.Temporal.Down = true
	a := h.Do("POST", "/v1/events", `{"event":"Contact.Update","data":{"id":1}}`)
	if a.Code != 202 {
		t.Errorf("trigger with Temporal down = %d %s", a.Code, a.Raw)
	}
	if r := h.Do("GET", "/readyz", ""); r.Code != 200 || r.Body["checks"].(map[string]any)["temporal"] != "unavailable" {
		t.Errorf("readyz with Temporal down = %d %s", r.Code, r.Raw)
	}
	if r := h.Do("GET", "/healthz", ""); r.Code != 200 {
		t.Errorf("healthz = %d", r.Code)
	}
}

func TestAuthAndTenants(t *testing.T) {
	h := newHarness(t, config.APIKey{Key: "admin-key-0123456789"}, config.APIKey{Key: "acme-key-0123456789", Tenant: "acme"})
	h.Key = ""
	if a := h.Do("GET", "/v1/hooks", ""); a.Code != 401 || a.ErrorCode() != "unauthorized" {
		t.Errorf("no key = %d %s", a.Code, a.Raw)
	}
	h.Key = "wrong-key-0123456789"
	if a := h.Do("GET", "/v1/hooks", ""); a.Code != 401 {
		t.Errorf("wrong key = %d", a.Code)
	}
	h.Key = "acme-key-0123456789"
	acme := h.Do("POST", "/v1/hooks", hookJSON)
	if acme.Code != 201 || acme.Body["tenant"] != "acme" {
		t.Fatalf("scoped create = %d %s", acme.Code, acme.Raw)
	}
	if a := h.Do("POST", "/v1/hooks", `{"events":["*"],"target_url":"https://x.example","tenant":"globex"}`); a.Code != 403 {
		t.Errorf("scoped key naming another tenant = %d", a.Code)
	}
	h.Key = "admin-key-0123456789"
	globex := h.Do("POST", "/v1/hooks", hookJSON, api.TenantHeader, "globex")
	if globex.Code != 201 || globex.Body["tenant"] != "globex" {
		t.Fatalf("admin create for globex = %d %s", globex.Code, globex.Raw)
	}
	h.Key = "acme-key-0123456789"
	if a := h.Do("GET", "/v1/hooks/"+jsonID(globex.Body), ""); a.Code != 404 {
		t.Errorf("acme reading globex's hook = %d, want 404", a.Code)
	}
	if a := h.Do("GET", "/v1/hooks", ""); len(a.Body["data"].([]any)) != 1 {
		t.Errorf("acme lists %v", a.Body)
	}
	if r := h.Do("GET", "/healthz", ""); r.Code != 200 {
		t.Errorf("healthz needs no key: %d", r.Code)
	}
}

// rate_limit and ordering are set, answered, kept by a PATCH of another
// field and default to 0 and none.
func TestHookRateLimitAndOrdering(t *testing.T) {
	h := newHarness(t)
	plain := h.Do("POST", "/v1/hooks", `{"events":["*"],"target_url":"https://x.example"}`)
	if plain.Code != 201 || plain.Body["rate_limit"] != float64(0) || plain.Body["ordering"] != "none" {
		t.Fatalf("default hook = %d %s", plain.Code, plain.Raw)
	}
	a := h.Do("POST", "/v1/hooks", `{"events":["*"],"target_url":"https://x.example","rate_limit":5,"ordering":"fifo"}`)
	if a.Code != 201 || a.Body["rate_limit"] != float64(5) || a.Body["ordering"] != "fifo" {
		t.Fatalf("create = %d %s", a.Code, a.Raw)
	}
	id := strconv.FormatFloat(a.Body["id"].(float64), 'f', -1, 64)
	p := h.Do("PATCH", "/v1/hooks/"+id, `{"name":"renamed"}`)
	if p.Code != 200 || p.Body["rate_limit"] != float64(5) || p.Body["ordering"] != "fifo" {
		t.Fatalf("PATCH name = %d %s", p.Code, p.Raw)
	}
	p = h.Do("PATCH", "/v1/hooks/"+id, `{"rate_limit":0,"ordering":"none"}`)
	if p.Code != 200 || p.Body["rate_limit"] != float64(0) || p.Body["ordering"] != "none" {
		t.Fatalf("PATCH back = %d %s", p.Code, p.Raw)
	}
	// "" is neither ordering: refused, and the hook keeps its own.
	if p = h.Do("PATCH", "/v1/hooks/"+id, `{"ordering":""}`); p.Code != 400 || p.ErrorField() != "ordering" {
		t.Fatalf(`PATCH ordering "" = %d %s; want 400 naming ordering`, p.Code, p.Raw)
	}
	if g := h.Do("GET", "/v1/hooks/"+id, ""); g.Body["ordering"] != "none" {
		t.Fatalf("after the refused PATCH the hook = %s", g.Raw)
	}
}
