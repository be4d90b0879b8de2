package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/api/apitest"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/workflows"
	"github.com/libtnb/sqlite"
	"gorm.io/gorm"
)

// Numbers that do not fit a float64 are refused with the field named (issue
// 14: {"filter": {"x": 1e999}} was stored, then every read of the hook and
// of the list failed): what is stored can always be read back.
func TestHookNumbersThatDoNotFitAre400(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarnessOn(t, st)
		for _, c := range []struct{ body, field string }{
			{`{"events":["*"],"target_url":"https://x.example","options":{"entity":{"Contact":{"filter":{"x":1e999}}}}}`, "options.entity.Contact.filter.x"},
			{`{"events":["*"],"target_url":"https://x.example","options":{"entity":{"Contact":{"filter":{"x":[1,-2e400]}}}}}`, "options.entity.Contact.filter.x"},
			{`{"events":["*"],"target_url":"https://x.example","properties":{"deep":{"list":[1,1e999]}}}`, "properties.deep.list[1]"},
		} {
			if a := h.Do("POST", "/v1/hooks", c.body); a.Code != 400 || a.ErrorField() != c.field {
				t.Errorf("POST %s = %d field %q; want 400 naming %s", c.body, a.Code, a.ErrorField(), c.field)
			}
		}
		if a := h.Do("GET", "/v1/hooks", ""); a.Code != 200 {
			t.Errorf("GET /v1/hooks = %d %s", a.Code, a.Raw)
		}
	})
}

// Strict JSON: a member named twice is a 400 naming it (encoding/json kept
// the last one), and names, secrets and header values hold no control
// characters.
func TestStrictDecodingAndControlCharacters(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		path, body, field string
	}{
		{"/v1/hooks", `{"events":["*"],"target_url":"https://a.example","target_url":"https://b.example"}`, "target_url"},
		{"/v1/hooks", `{"events":["*"],"target_url":"https://a.example","options":{"entity":{"Contact":{"filter":{"a":1,"a":2}}}}}`, "options.entity.Contact.filter.a"},
		{"/v1/events", `{"event":"Contact.Update","records":[{"id":1,"id":2}]}`, "records.0.id"},
		{"/v1/hooks", "{\"events\":[\"*\"],\"target_url\":\"https://a.example\",\"name\":\"a\\r\\nb\"}", "name"},
		{"/v1/hooks", "{\"events\":[\"*\"],\"target_url\":\"https://a.example\",\"name\":\"a\\u0000b\"}", "name"},
		{"/v1/hooks", "{\"events\":[\"*\"],\"target_url\":\"https://a.example\",\"secret\":\"secret\\nsecret\"}", "secret"},
		{"/v1/hooks", "{\"events\":[\"*\"],\"target_url\":\"https://a.example\",\"headers\":{\"X-A\":\"a\\u0007b\"}}", "headers.X-A"},
	} {
		if a := h.Do("POST", c.path, c.body); a.Code != 400 || a.ErrorField() != c.field {
			t.Errorf("POST %s %s = %d field %q; want 400 naming %s", c.path, c.body, a.Code, a.ErrorField(), c.field)
		}
	}
	// A tab is a legal header value character.
	if a := h.Do("POST", "/v1/hooks", "{\"events\":[\"*\"],\"target_url\":\"https://a.example\",\"headers\":{\"X-A\":\"a\\tb\"}}"); a.Code != 201 {
		t.Errorf("a tab in a header value = %d %s; want 201", a.Code, a.Raw)
	}
}

// Every event id the API accepts can start its workflow, and no accepted id
// can take another workflow's id (issue 14: "évt-1" was stored but Temporal
// refused its workflow forever; "c1/hook/4" took the id of event c1's workflow
// for hook 4, which then delivered nothing).
func TestEventIDsAreWorkflowSafe(t *testing.T) {
	h := newHarness(t)
	for _, id := range []string{"évt-1", "c1/hook/4", "a b", "tab\tid", "new\nline", "%2F", strings.Repeat("x", 256), "emoji-🎉"} {
		body := `{"id":` + quote(id) + `,"event":"Contact.Update","records":[{"id":1}]}`
		if a := h.Do("POST", "/v1/events", body); a.Code != 400 || a.ErrorField() != "id" {
			t.Errorf("event id %q = %d field %q; want 400 naming id", id, a.Code, a.ErrorField())
		}
	}
	for _, id := range []string{"evt_123", "0b7a9c4e-2f1d-4c55-9e0a-6f3c2b1a0d9e", "contact:42:update", "crm.sync-7", "a@b+c=d~e", strings.Repeat("x", 255)} {
		body := `{"id":` + quote(id) + `,"event":"Contact.Update","records":[{"id":1}]}`
		a := h.Do("POST", "/v1/events", body)
		if a.Code != 202 {
			t.Fatalf("event id %q = %d %s; want 202", id, a.Code, a.Raw)
		}
		wid := a.Body["workflow_id"].(string)
		if wid != workflows.FanoutWorkflowID("default", id) || strings.Count(wid, "/") != 2 {
			t.Errorf("event %q: workflow id %q", id, wid)
		}
		for i := 0; i < len(wid); i++ {
			if wid[i] < 0x21 || wid[i] > 0x7e {
				t.Errorf("event %q: workflow id %q is not printable ASCII, as gRPC headers need", id, wid)
			}
		}
		if g := h.Do("GET", "/v1/events/"+id, ""); g.Code != 200 {
			t.Errorf("GET /v1/events/%s = %d; an accepted id must be addressable", id, g.Code)
		}
	}
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r < 0x20:
			b.WriteString(`\u00` + string("0123456789abcdef"[r>>4]) + string("0123456789abcdef"[r&15]))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// A page a developer visits cannot use the API of `hookflow dev` without
// keys (issue 14: a text/plain POST from any page planted a hook, and a page
// whose name rebinds to 127.0.0.1 read secrets): bodies must be JSON, other
// origins are refused, and without keys on loopback only loopback Host names
// are served. Bins still capture anything.
func TestBrowsersCannotReachTheAPI(t *testing.T) {
	st := storetest.Open(t, storetest.SQLite(t))
	d := apitest.Deps()
	d.LoopbackHosts = true
	h := apitest.With(t, st, d).Handler
	do := func(method, target, host, ctype, origin, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		req.Host = host
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	const local = "127.0.0.1:8080"
	cases := []struct {
		name, method, path, host, ctype, origin, body string
		want                                          int
	}{
		{"text/plain POST from a page", "POST", "/v1/hooks", local, "text/plain", "", hookJSON, 415},
		{"form POST", "POST", "/v1/hooks", local, "application/x-www-form-urlencoded", "", hookJSON, 415},
		{"no Content-Type", "POST", "/v1/hooks", local, "", "", hookJSON, 415},
		{"JSON from another origin", "POST", "/v1/hooks", local, "application/json", "https://evil.example", hookJSON, 403},
		{"JSON from an opaque origin", "POST", "/v1/hooks", local, "application/json", "null", hookJSON, 403},
		{"DNS rebinding", "GET", "/v1/hooks", "rebind.evil.example:8080", "", "", "", 403},
		{"DNS rebinding without a port", "GET", "/v1/hooks/1/secret", "rebind.evil.example", "", "", "", 403},
		{"vendor API rebinding", "POST", "/api/v1/Agents/Webhook/GetAllWebhooks", "evil.example", "application/json", "", "{}", 403},
		{"JSON on loopback", "POST", "/v1/hooks", local, "application/json; charset=utf-8", "", hookJSON, 201},
		{"same origin", "GET", "/v1/hooks", local, "", "http://127.0.0.1:8080", "", 200},
		{"localhost", "GET", "/v1/hooks", "localhost:8080", "", "", "", 200},
		{"IPv6 loopback", "GET", "/v1/hooks", "[::1]:8080", "", "", "", 200},
		{"no body needs no type", "POST", "/v1/hooks/1/activate", local, "", "", "", 200},
		{"a bin captures anything", "POST", "/bins/nosuchbin", "anything.example", "text/plain", "https://evil.example", "hi", 404},
		{"health", "GET", "/healthz", "anything.example", "", "", "", 200},
	}
	for _, c := range cases {
		if rec := do(c.method, c.path, c.host, c.ctype, c.origin, c.body); rec.Code != c.want {
			t.Errorf("%s: %s %s (Host %s) = %d %s; want %d", c.name, c.method, c.path, c.host, rec.Code, rec.Body, c.want)
		}
	}
	// A bin's capture URL takes any type from any host.
	create := do("POST", "/v1/bins", local, "", "", "")
	if create.Code != 201 {
		t.Fatalf("create bin = %d %s", create.Code, create.Body)
	}
	id := decodeField(t, create.Body.Bytes(), "id")
	if rec := do("POST", "/bins/"+id, "host.docker.internal:8080", "text/plain", "https://elsewhere.example", "hello"); rec.Code != http.StatusOK {
		t.Errorf("capture = %d %s; want 200", rec.Code, rec.Body)
	}
}

func decodeField(t *testing.T, body []byte, field string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	s, _ := m[field].(string)
	return s
}

// A hook whose plan failed (its filter past its budget) shows on the event
// as a failed delivery with the reason, which cannot be redelivered: it has
// no request.
func TestFailedPlanShowsOnTheEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHarnessOn(t, st)
		hook := h.Do("POST", "/v1/hooks", hookJSON)
		ev := h.Do("POST", "/v1/events", `{"id":"e1","event":"Contact.Update","records":[{"id":1}]}`)
		if hook.Code != 201 || ev.Code != 202 {
			t.Fatalf("create = %d, %d", hook.Code, ev.Code)
		}
		stored, err := st.Event(context.Background(), "default", "e1")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		reason := "hook 1: the hook's filter needs more work than one event may take"
		if err := st.PlanDeliveries(context.Background(), []models.Delivery{{Tenant: "default", EventPK: stored.PK, EventID: "e1",
			HookID: int64(hook.Body["id"].(float64)), Records: models.JSON[[]int]{V: []int{}}, Status: models.DeliveryFailed,
			LastError: reason, WorkflowID: stored.WorkflowID, CreatedAt: now, UpdatedAt: now, CompletedAt: &now}}); err != nil {
			t.Fatal(err)
		}
		got := h.Do("GET", "/v1/events/e1", "")
		ds, _ := got.Body["deliveries"].([]any)
		if got.Code != 200 || len(ds) != 1 {
			t.Fatalf("GET /v1/events/e1 = %d %s", got.Code, got.Raw)
		}
		d := ds[0].(map[string]any)
		if d["status"] != "failed" || d["last_error"] != reason {
			t.Errorf("delivery = %v; want failed with the reason", d)
		}
		if a := h.Do("POST", "/v1/deliveries/"+strconv.Itoa(int(d["id"].(float64)))+"/redeliver", ""); a.Code != 409 || !strings.Contains(a.Raw, "no request") {
			t.Errorf("redeliver = %d %s; want 409", a.Code, a.Raw)
		}
	})
}

// A hook whose stored options cannot be read is listed with the problem;
// an edit must give the field in full (a PATCH of its name alone would have
// stored an empty filter: every record to a hook that filtered them), and
// then the hook reads clean.
func TestUnreadableHookIsListedAndMustBeReplaced(t *testing.T) {
	b := storetest.SQLite(t) // SQLite: a second connection writes what the API never would
	h := newHarnessOn(t, storetest.Open(t, b))
	created := h.Do("POST", "/v1/hooks", hookJSON)
	id := strconv.Itoa(int(created.Body["id"].(float64)))
	raw, err := gorm.Open(sqlite.Open(b.URL), &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Exec(`UPDATE hooks SET options = '{"chunk_size": "many"' WHERE id = ?`, id).Error; err != nil {
		t.Fatal(err)
	}
	list := h.Do("GET", "/v1/hooks", "")
	data, _ := list.Body["data"].([]any)
	if list.Code != 200 || len(data) != 1 || !strings.Contains(data[0].(map[string]any)["unreadable"].(string), "options") {
		t.Fatalf("GET /v1/hooks = %d %s; want the hook, marked unreadable", list.Code, list.Raw)
	}
	if a := h.Do("PATCH", "/v1/hooks/"+id, `{"name":"renamed"}`); a.Code != 400 || a.ErrorField() != "options" {
		t.Errorf("PATCH name = %d field %q; want 400 naming options", a.Code, a.ErrorField())
	}
	if a := h.Do("PATCH", "/v1/hooks/"+id, `{"options":{"chunk_size":10}}`); a.Code != 200 || a.Body["unreadable"] != nil {
		t.Errorf("PATCH options = %d %s; want 200, readable", a.Code, a.Raw)
	}
}
