package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/api/apitest"
	"github.com/hookflow/hookflow/api/router"
	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
)

const (
	adminKey = "admin-key-0123456789"
	acmeKey  = "acme-key-0123456789"
	evilKey  = "evil-key-0123456789"
)

// twoTenants is an API with keys for all tenants, for acme and for evil,
// and one hook, event and delivery of acme.
type twoTenants struct {
	*apitest.Harness
	st                 *store.Store
	hookID, deliveryID int64
	eventID, binID     string
}

func newTwoTenants(t *testing.T) *twoTenants {
	st := storetest.Open(t, storetest.SQLite(t))
	keys := []config.APIKey{{Key: adminKey}, {Key: acmeKey, Tenant: "acme"}, {Key: evilKey, Tenant: "evil"}}
	tt := &twoTenants{Harness: apitest.NewOn(t, st, keys...), st: st}
	tt.Key = acmeKey
	hook := tt.Do("POST", "/v1/hooks", hookJSON)
	if hook.Code != 201 {
		t.Fatalf("create hook: %s", hook.Raw)
	}
	if _, err := fmt.Sscan(jsonID(hook.Body), &tt.hookID); err != nil {
		t.Fatalf("hook id in %s: %v", hook.Raw, err)
	}
	ev := tt.Do("POST", "/v1/events", `{"id":"acme-evt","event":"Contact.Update","data":{"id":1}}`)
	if ev.Code != 202 {
		t.Fatalf("trigger: %s", ev.Raw)
	}
	tt.eventID = "acme-evt"
	stored, err := st.Event(context.Background(), "acme", "acme-evt")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := st.PlanDeliveries(context.Background(), []models.Delivery{{Tenant: "acme", EventPK: stored.PK, EventID: stored.ID, HookID: tt.hookID,
		Count: 1, Records: models.JSON[[]int]{V: []int{0}}, Status: models.DeliveryPending, CreatedAt: now, UpdatedAt: now}}); err != nil {
		t.Fatal(err)
	}
	ds, _ := st.HookDeliveries(context.Background(), stored.PK, tt.hookID, 0, 1)
	tt.deliveryID = ds[0].ID
	bin := tt.Do("POST", "/v1/bins", "")
	if bin.Code != 201 {
		t.Fatalf("create bin: %s", bin.Raw)
	}
	tt.binID = bin.Body["id"].(string)
	if _, err := st.CreateNotification(context.Background(), &models.Notification{Tenant: "acme", HookID: tt.hookID, Kind: models.KindHookDisabled,
		Key: "acme-note", Recipient: "ops@acme.example", Subject: "acme hook off", Body: "receiver.example.com failed", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return tt
}

// Every route that names a resource answers another tenant's id with 404,
// never 403 (which would confirm the id exists) and never the resource. New
// routes must be added here: the test fails on a route it does not know.
func TestTenantIsolationOnEveryRoute(t *testing.T) {
	tt := newTwoTenants(t)
	tt.Key = evilKey
	ids := map[string]string{
		"/v1/hooks/":      fmt.Sprint(tt.hookID),
		"/v1/events/":     tt.eventID,
		"/v1/deliveries/": fmt.Sprint(tt.deliveryID),
		"/v1/bins/":       tt.binID,
		"/api/v100/rest/spaces/:space/entities/Webhooks/": fmt.Sprint(tt.hookID),
	}
	checked := 0
	for _, r := range tt.Server.RouteList() {
		// A bin's keyless URLs answer whoever knows its random id, whatever
		// the key (docs/bins.md); TestBinTenantIsolation covers /v1/bins.
		if !strings.Contains(r.Path, ":id") || strings.HasPrefix(r.Path, "/bins/") {
			continue
		}
		path := ""
		for prefix, id := range ids {
			if strings.HasPrefix(r.Path, prefix) {
				path = strings.Replace(r.Path, ":id", id, 1)
			}
		}
		if path == "" {
			t.Errorf("route %s %s names a resource this test does not know: add it", r.Method, r.Path)
			continue
		}
		path = strings.Replace(path, ":space", "evil", 1) // evil's own space, acme's hook id
		a := tt.Do(r.Method, path, `{}`)
		if a.Code != 404 || strings.Contains(a.Raw, "acme") {
			t.Errorf("evil %s %s = %d %s; want 404 and nothing of acme's", r.Method, path, a.Code, a.Raw)
		}
		checked++
	}
	// SuperOffice's RPC calls carry the id in the body or query.
	for _, call := range []string{"GetWebhook", "DeleteWebhook"} {
		a := tt.Do("POST", fmt.Sprintf("/api/v1/Agents/Webhook/%s?webhookId=%d", call, tt.hookID), "")
		if a.Code != 404 {
			t.Errorf("evil %s(acme's hook) = %d %s", call, a.Code, a.Raw)
		}
		checked++
	}
	if a := tt.Do("POST", "/api/v1/Agents/Webhook/SaveWebhook", fmt.Sprintf(`{"WebhookId":%d,"Events":["*"],"TargetUrl":"https://evil.example/"}`, tt.hookID)); a.Code != 404 {
		t.Errorf("evil SaveWebhook over acme's hook = %d %s", a.Code, a.Raw)
	}
	// Lists show only the caller's tenant.
	for _, path := range []string{"/v1/hooks", "/api/v100/rest/spaces/evil/entities/Webhooks", "/v1/notifications",
		"/v1/deliveries", fmt.Sprintf("/v1/deliveries?hook_id=%d", tt.hookID), fmt.Sprintf("/v1/notifications?hook_id=%d", tt.hookID)} {
		if a := tt.Do("GET", path, ""); (a.Code != 200 && a.Code != 404) || strings.Contains(a.Raw, "receiver.example.com") || strings.Contains(a.Raw, "acme") {
			t.Errorf("evil GET %s = %d %s", path, a.Code, a.Raw)
		}
	}
	if a := tt.Do("POST", "/api/v1/Agents/Webhook/GetAllWebhooks", "{}"); a.Code != 200 || strings.Contains(a.Raw, "receiver.example.com") {
		t.Errorf("evil GetAllWebhooks = %d %s", a.Code, a.Raw)
	}
	// A scoped key cannot name another tenant.
	for _, try := range []struct{ method, path, body string }{
		{"GET", "/v1/hooks?tenant=acme", ""},
		{"GET", "/api/v100/rest/spaces/acme/entities/Webhooks", ""},
		{"POST", "/v1/events", `{"event":"Contact.Update","data":{"id":1},"tenant":"acme"}`},
	} {
		if a := tt.Do(try.method, try.path, try.body); a.Code != 403 {
			t.Errorf("evil %s %s naming acme = %d %s, want 403", try.method, try.path, a.Code, a.Raw)
		}
	}
	// The owner still sees it all, and an all-tenant key can act for acme explicitly.
	tt.Key = acmeKey
	if a := tt.Do("GET", fmt.Sprintf("/v1/deliveries/%d", tt.deliveryID), ""); a.Code != 200 {
		t.Errorf("acme reading its own delivery = %d", a.Code)
	}
	if a := tt.Do("GET", "/v1/notifications", ""); !strings.Contains(a.Raw, "acme hook off") {
		t.Errorf("acme does not see its own notification: %s", a.Raw)
	}
	tt.Key = adminKey
	if a := tt.Do("GET", "/v1/events/acme-evt?tenant=acme", ""); a.Code != 200 {
		t.Errorf("admin reading acme's event for acme = %d", a.Code)
	}
	if a := tt.Do("GET", "/v1/events/acme-evt", ""); a.Code != 404 {
		t.Errorf("admin reading acme's event as the default tenant = %d, want 404", a.Code)
	}
	t.Logf("checked %d routes across tenants", checked)
}

// At least 40 bad requests across the endpoints, each a 4xx with an error
// code and, where a field is at fault, that field named.
func TestBadRequestsAreNamed4xx(t *testing.T) {
	tt := newTwoTenants(t)
	hook := fmt.Sprintf("/v1/hooks/%d", tt.hookID)
	deep := strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100)
	big := `{"event":"Contact.Update","records":[{"note":"` + strings.Repeat("x", 1<<20) + `"}]}`
	cases := []struct {
		method, path, body string
		status             int
		code, field        string
	}{
		// hooks
		{"POST", "/v1/hooks", `{`, 400, "malformed_json", ""},
		{"POST", "/v1/hooks", ``, 400, "malformed_json", ""},
		{"POST", "/v1/hooks", `[]`, 400, "validation_failed", "body"},
		{"POST", "/v1/hooks", "{\"events\":[\"*\"],\"target_url\":\"https://x.example\",\"name\":\"\xff\"}", 400, "malformed_json", ""},
		{"POST", "/v1/hooks", deep, 400, "malformed_json", ""},
		{"POST", "/v1/hooks", `{"events":["*"],"target_url":"https://x.example","naem":"x"}`, 400, "validation_failed", "naem"},
		{"POST", "/v1/hooks", `{"events":"*","target_url":"https://x.example"}`, 400, "validation_failed", "events"},
		{"POST", "/v1/hooks", `{"events":["*"],"target_url":42}`, 400, "validation_failed", "target_url"},
		{"POST", "/v1/hooks", `{"events":["*"],"target_url":"https://x.example","insecure_ssl":"yes"}`, 400, "validation_failed", "insecure_ssl"},
		{"POST", "/v1/hooks", `{"events":["*"],"target_url":"javascript:alert(1)"}`, 400, "validation_failed", "target_url"},
		{"POST", "/v1/hooks", `{"events":["*"],"target_url":"https://"}`, 400, "validation_failed", "target_url"},
		{"POST", "/v1/hooks", `{"events":["*"],"target_url":"https://user:pw@x.example"}`, 400, "validation_failed", "target_url"},
		{"POST", "/v1/hooks", `{"events":["*"],"target_url":"https://x.example/\r\nHost: evil"}`, 400, "validation_failed", "target_url"},
		{"POST", "/v1/hooks", `{"events":["con tact.*"],"target_url":"https://x.example"}`, 400, "validation_failed", "events[0]"},
		{"POST", "/v1/hooks", `{"events":["*"],"target_url":"https://x.example","headers":{"X-A":"1\n2"}}`, 400, "validation_failed", "headers.X-A"},
		{"POST", "/v1/hooks", `{"events":["*"],"target_url":"https://x.example","headers":{"Bad Name":"1"}}`, 400, "validation_failed", "headers.Bad Name"},
		{"POST", "/v1/hooks", `{"events":["*"],"target_url":"https://x.example","headers":{"Webhook-Signature":"v1,x"}}`, 400, "validation_failed", "headers.Webhook-Signature"},
		{"POST", "/v1/hooks", `{"events":["*"],"target_url":"https://x.example","type":"sms"}`, 400, "validation_failed", "type"},
		{"POST", "/v1/hooks", `{"events":["*"],"target_url":"https://x.example","format":"soap"}`, 400, "validation_failed", "format"},
		{"POST", "/v1/hooks", `{"events":["*"],"target_url":"https://x.example","options":{"entity":{"Contact":{"filter":{"a..b":1}}}}}`, 400, "validation_failed", "options.entity.Contact.filter.a..b"},
		{"POST", "/v1/hooks", `{"events":["*"],"target_url":"https://x.example","options":{"entity":{"Contact":{"filter":{"a":1},"filter-op":{"a":"between"}}}}}`, 400, "validation_failed", "options.entity.Contact.filter-op.a"},
		{"POST", "/v1/hooks", `{"events":["*"],"target_url":"https://x.example","options":{"chunk_size":0.5}}`, 400, "validation_failed", "options.chunk_size"},
		{"POST", "/v1/hooks", `{"events":["*"],"target_url":"https://x.example","tenant":"evil"}`, 403, "forbidden", ""},
		{"GET", "/v1/hooks/1e3", ``, 400, "validation_failed", "id"},
		{"GET", "/v1/hooks/-4", ``, 400, "validation_failed", "id"},
		{"GET", "/v1/hooks/99999999999999999999", ``, 400, "validation_failed", "id"},
		{"GET", "/v1/hooks?limit=0", ``, 400, "validation_failed", "limit"},
		{"GET", "/v1/hooks?limit=x", ``, 400, "validation_failed", "limit"},
		{"GET", "/v1/hooks?cursor=abc", ``, 400, "validation_failed", "cursor"},
		{"GET", "/v1/hooks?state=Paused", ``, 400, "validation_failed", "state"},
		{"PATCH", hook, `{"state":"Paused"}`, 400, "validation_failed", "state"},
		{"PATCH", hook, `{"events":[]}`, 400, "validation_failed", "events"},
		{"PUT", hook, `{"target_url":"https://x.example"}`, 400, "validation_failed", "events"},
		{"POST", hook + "/secret/rotate", `{"grace_period":"forever"}`, 400, "validation_failed", "grace_period"},
		{"POST", hook + "/secret/rotate", `{"secret":"short"}`, 400, "validation_failed", "secret"},
		{"GET", hook + "/deliveries?status=lost", ``, 400, "validation_failed", "status"},
		{"GET", hook + "/deliveries?since=yesterday", ``, 400, "validation_failed", "since"},
		// triggers
		{"POST", "/v1/events", `{"event":"Contact.Update","records":"all"}`, 400, "validation_failed", "records"},
		{"POST", "/v1/events", `{"event":"Contact.Update","records":[{"id":1}],"id":"a\u0000b"}`, 400, "validation_failed", "id"},
		{"POST", "/v1/events", `{"event":"","data":{"id":1}}`, 400, "validation_failed", "event"},
		{"POST", "/v1/events", `{"event":"Contact.Update","data":{"id":1},"changes":[["a"],["b"]]}`, 400, "validation_failed", "changes"},
		{"POST", "/v1/events", `{"event":"Contact.Update","data":{"id":1},"previous":{"id":0}}`, 400, "validation_failed", "previous"},
		{"POST", "/v1/events", `{"event":"Contact.Update","data":{"id":1},"occurred_at":"2026-13-01T00:00:00Z"}`, 400, "validation_failed", "occurred_at"},
		{"POST", "/v1/events", `{"event":"Contact.Update","data":{"id":1},"extra":true}`, 400, "validation_failed", "extra"},
		{"POST", "/v1/events", big, 413, "payload_too_large", ""},
		{"POST", "/v1/events", deep, 400, "malformed_json", ""},
		{"GET", "/v1/deliveries/abc", ``, 400, "validation_failed", "id"},
		// vendor APIs
		{"POST", "/api/v100/rest/spaces/acme/entities/Webhooks", `{"url":"https://x.example","events":["Account.Create"],"signature":"not-a-uuid"}`, 400, "validation_failed", "signature"},
		{"POST", "/api/v100/rest/spaces/acme/entities/Webhooks", `{"url":"ftp://x.example","events":["Account.Create"]}`, 400, "validation_failed", "url"},
		{"POST", "/api/v1/Agents/Webhook/SaveWebhook", `{"WebhookId":0,"Events":["contact.created"],"TargetUrl":"https://x.example","State":9}`, 400, "validation_failed", "State"},
		{"POST", "/api/v1/Agents/Webhook/SaveWebhook", `{"WebhookId":0,"Events":["contact.created"]}`, 400, "validation_failed", "TargetUrl"},
		{"GET", "/v1/event-types?source=zoho", ``, 400, "validation_failed", "source"},
		// routing and auth
		{"DELETE", "/v1/events", ``, 405, "method_not_allowed", ""},
		{"GET", "/v1/nothing", ``, 404, "not_found", ""},
	}
	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		a := tt.Do(c.method, c.path, c.body)
		if a.Code != c.status || a.ErrorCode() != c.code || a.ErrorField() != c.field {
			body := c.body[:min(len(c.body), 70)]
			t.Errorf("%s %s %s = %d %q field %q; want %d %q field %q\n  %s", c.method, c.path, body, a.Code, a.ErrorCode(), a.ErrorField(),
				c.status, c.code, c.field, a.Raw[:min(len(a.Raw), 300)])
		}
	}
	tt.Key = "not-a-key-0123456789"
	if a := tt.Do("GET", "/v1/hooks", ""); a.Code != 401 || a.ErrorCode() != "unauthorized" {
		t.Errorf("unknown key = %d %s", a.Code, a.Raw)
	}
}

// The server reads trigger and hook bodies from strangers: whatever the bytes,
// the answer is never a 5xx.
func FuzzTriggerBody(f *testing.F) {
	for _, s := range []string{`{"event":"Contact.Update","records":[{"id":1}]}`, `{"event":"a.b","data":{}}`, `{"records":[null]}`,
		`{"event":"Contact.Update","records":[{"id":1}],"changes":[[1]]}`, `[`, `"x"`, `{"occurred_at":1}`} {
		f.Add([]byte(s))
	}
	h := newFuzzRouter(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if code := serve(h, "POST", "/v1/events", body); code >= 500 {
			t.Fatalf("POST /v1/events %q = %d", body, code)
		}
	})
}

// FuzzHookBody also checks that whatever a create accepted reads back: the
// hook itself and the list of hooks answer 200 (issue 14: a filter of 1e999
// was stored, then every read of it was a 500).
func FuzzHookBody(f *testing.F) {
	for _, s := range []string{hookJSON, `{"events":["*"],"target_url":"https://x.example","options":{"entity":{"C":{"filter":{"a":[1,"b"]},"filter-op":{"a":"like"}}}}}`,
		`{"events":["*"],"target_url":"http://[::1]:80/","headers":{"A":"b"}}`, `{"properties":{"a":{"b":[1,2]}}}`,
		`{"events":["*"],"target_url":"https://x.example","options":{"entity":{"C":{"filter":{"x":1e999}}}}}`,
		`{"events":["*"],"target_url":"https://x.example","properties":{"p":[1e308, -1e-400]}}`,
		`{"events":["*"],"target_url":"https://x.example","options":{"entity":{"C":{"filter":{"n":"%a%a%a%a"},"filter-op":{"n":"like"}}}}}`,
		`{"events":["*"],"target_url":"https://x.example","name":"a","name":"b"}`,

		`{"events":["*"],"target_url":"https://x.example","receiver_auth":{"type":"basic","username":"u","password":"p"}}`,
		`{"events":["*"],"target_url":"https://x.example","receiver_auth":{"type":"mtls","cert_pem":"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----","key_pem":"k"}}`,
		`{"events":["*"],"target_url":"https://x.example","receiver_auth":{"type":"oauth2_client_credentials","scopes":["a",1]}}`,
		`{"events":["*"],"target_url":"https://x.example","receiver_auth":null}`} {
		f.Add([]byte(s))
	}
	h := newFuzzRouter(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, jsonRequest("POST", "/v1/hooks", body))
		if rec.Code >= 500 {
			t.Fatalf("POST /v1/hooks %q = %d", body, rec.Code)
		}
		if rec.Code != http.StatusCreated {
			return
		}
		var created struct{ ID int64 }
		if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{fmt.Sprintf("/v1/hooks/%d", created.ID), "/v1/hooks?limit=500"} {
			if code := serve(h, "GET", path, nil); code != http.StatusOK {
				t.Fatalf("POST /v1/hooks %q was accepted, then GET %s = %d", body, path, code)
			}
		}
	})
}

func newFuzzRouter(f *testing.F) http.Handler {
	d := apitest.Deps()
	d.MaxBody = 64 << 10
	return router.New(storetest.Open(f, storetest.SQLite(f)), d)
}

func serve(h http.Handler, method, path string, body []byte) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, jsonRequest(method, path, body))
	return rec.Code
}

func jsonRequest(method, path string, body []byte) *http.Request {
	req := httptest.NewRequest(method, path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// PostgreSQL refuses NUL in text columns: on every backend such input is
// answered 4xx (or stored, where SQLite can), never 500.
func TestNULInTextIsNeverA500(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			st := storetest.Open(t, b)
			h := apitest.NewOn(t, st)
			for _, c := range []struct{ method, path, body string }{
				{"POST", "/v1/hooks", `{"name":"a\u0000b","events":["*"],"target_url":"https://x.example"}`},
				{"POST", "/v1/events", `{"event":"Contact.Update","data":{"id":1},"actor":"a\u0000"}`},
				{"GET", "/v1/events/a%00b", ``},
			} {
				if a := h.Do(c.method, c.path, c.body); a.Code >= 500 {
					t.Errorf("%s %s = %d %s", c.method, c.path, a.Code, a.Raw)
				}
			}
		})
	}
}
