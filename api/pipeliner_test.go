package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/internal/config"
)

const spaces = "/api/v100/rest/spaces/"

const plHook = `{"url":"https://receiver.example/pipeliner","events":["Account.Create","Contact.*"],
 "options":{"chunk_size":50,"skip_keys":["gmail_sync"]},"insecure_ssl":true,"signature":"0e2f8a4c-3d5b-4f6a-9b1c-7d8e9f0a1b2c"}`

func (a answer) data() map[string]any {
	d, _ := a.Body["data"].(map[string]any)
	return d
}

func TestPipelinerWebhookLifecycle(t *testing.T) {
	h := newHarness(t)
	created := h.do("POST", spaces+"acme/entities/Webhooks", plHook)
	d := created.data()
	if created.Code != 200 || created.Body["success"] != true || d["id"] != "1" || d["url"] != "https://receiver.example/pipeliner" ||
		d["signature"] != "0e2f8a4c-3d5b-4f6a-9b1c-7d8e9f0a1b2c" || d["insecure_ssl"] != true || d["is_deleted"] != false ||
		jsonOf(d["events"]) != `["Account.Create","Contact.*"]` || jsonOf(d["options"]) != `{"chunk_size":50,"skip_keys":["gmail_sync"]}` ||
		d["created"] == nil || d["created"] != d["modified"] {
		t.Fatalf("create = %d %s", created.Code, created.Raw)
	}
	native := h.do("GET", "/v1/hooks/1", "", api.TenantHeader, "acme")
	if native.Body["format"] != "pipeliner" || native.Body["tenant"] != "acme" || native.Body["insecure_ssl"] != true {
		t.Errorf("native view = %s", native.Raw)
	}
	if s := h.do("GET", "/v1/hooks/1/secret", "", api.TenantHeader, "acme"); s.Body["secret"] != "0e2f8a4c-3d5b-4f6a-9b1c-7d8e9f0a1b2c" {
		t.Errorf("the signature is not the hook's secret: %s", s.Raw)
	}
	got := h.do("GET", spaces+"acme/entities/Webhooks/1", "")
	if got.Code != 200 || got.Body["success"] != true || got.data()["signature"] != "********" || got.data()["url"] != d["url"] {
		t.Errorf("get = %d %s", got.Code, got.Raw)
	}
	list := h.do("GET", spaces+"acme/entities/Webhooks", "")
	if data, _ := list.Body["data"].([]any); list.Code != 200 || len(data) != 1 || list.Body["success"] != true {
		t.Errorf("list = %d %s", list.Code, list.Raw)
	}
	if del := h.do("DELETE", spaces+"acme/entities/Webhooks/1", ""); del.Code != 200 || del.Body["success"] != true {
		t.Errorf("delete = %d %s", del.Code, del.Raw)
	}
	for _, method := range []string{"GET", "DELETE"} {
		if a := h.do(method, spaces+"acme/entities/Webhooks/1", ""); a.Code != 404 || a.errorCode() != "not_found" {
			t.Errorf("%s after delete = %d %s", method, a.Code, a.Raw)
		}
	}
}

// pipelinerDocOptions is the options example of Pipeliner's webhook page,
// whole, with its two comments dropped (JSON has none).
const pipelinerDocOptions = `{ "entity": { "Contact": { "expand": [ "primary_account", "primary_contact", "task_relations.task" ],
 "load-only": [ "id", "primary_account", "primary_contact.first_name", "task_relations.task" ],
 "filter": { "email1": ["test@example.com", "test@example.net"], "email2": "test@example.com" }, "filter-op": {"email1": "eq"},
 "on-field-change": ["email1"] }, "Account": { "filter": { "owner_id": ["9900cce6-bcd6-412a-bcd1-1904556c949a"] } } },
 "related_entity": {"expand": ["contact"], "load-only": ["id", "contact"]}, "skip_keys": ["gmail_sync", "custom_integration"],
 "chunk_size": 100, "chunk_delay": 300 }`

// An integration registers exactly what Pipeliner's page shows — its
// options example and its signature — and reads it back unchanged.
func TestPipelinerRegistersItsDocumentsExample(t *testing.T) {
	h := newHarness(t)
	a := h.do("POST", spaces+"acme/entities/Webhooks", `{"url":"https://receiver.example","events":["Contact.*","Account.Update"],
		"insecure_ssl":false,"signature":"01234567-abcd-dcba-ffff-000000000000","options":`+pipelinerDocOptions+`}`)
	if a.Code != 200 || a.data()["signature"] != "01234567-abcd-dcba-ffff-000000000000" {
		t.Fatalf("create = %d %s", a.Code, a.Raw)
	}
	got := h.do("GET", spaces+"acme/entities/Webhooks/"+a.data()["id"].(string), "")
	if g, w := jsonOf(got.data()["options"]), jsonOf(decode(t, pipelinerDocOptions)); g != w {
		t.Errorf("options read back = %s\nwant %s", g, w)
	}
}

func TestPipelinerGeneratesASignature(t *testing.T) {
	h := newHarness(t)
	a := h.do("POST", spaces+"acme/entities/Webhooks", `{"url":"https://receiver.example","events":["*"]}`)
	sig, _ := a.data()["signature"].(string)
	if _, err := uuid.Parse(sig); a.Code != 200 || err != nil || a.data()["insecure_ssl"] != false {
		t.Errorf("create without a signature = %d %s", a.Code, a.Raw)
	}
}

func TestPipelinerBadInput(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		method, path, body string
		code               int
		field              string
	}{
		{"POST", "acme/entities/Webhooks", `{"url":"https://x.example","events":["*"],"signature":"not-a-uuid"}`, 400, "signature"},
		{"POST", "acme/entities/Webhooks", `{"url":"https://x.example","events":["*"],"signature":"0e2f8a4c3d5b4f6a9b1c7d8e9f0a1b2c"}`, 400, "signature"},
		{"POST", "acme/entities/Webhooks", `{"events":["*"]}`, 400, "url"},
		{"POST", "acme/entities/Webhooks", `{"url":"ftp://x.example","events":["*"]}`, 400, "url"},
		{"POST", "acme/entities/Webhooks", `{"url":"https://x.example"}`, 400, "events"},
		{"POST", "acme/entities/Webhooks", `{"url":"https://x.example","events":["Account"]}`, 400, "events[0]"},
		{"POST", "acme/entities/Webhooks", `{"url":"https://x.example","events":["*"],"options":{"chunk_size":500}}`, 400, "options.chunk_size"},
		{"POST", "acme/entities/Webhooks", `{"url":"https://x.example","events":["*"],"options":{"chunk_size":101}}`, 400, "options.chunk_size"},
		{"POST", "acme/entities/Webhooks", `{"url":"https://x.example","events":["*"],"options":{"entity":{"Contact":
			{"expand":["primary_account"],"load-only":["id"]}}}}`, 400, "options.entity.Contact.expand[0]"},
		{"POST", "acme/entities/Webhooks", `{"url":"https://x.example","events":["*"],"options":{"related_entity":{"filter":{"a":1}}}}`,
			400, "options.related_entity.filter"},
		{"POST", "acme/entities/Webhooks", `{"url":"https://x.example","events":["*"],"options":{"entity":{"Contact":{"load_only":["id"]}}}}`,
			400, "load_only"},
		{"POST", "acme/entities/Webhooks", `{"url":"https://x.example","events":["*"],"insecure_ssl":"yes"}`, 400, "insecure_ssl"},
		{"POST", "acme/entities/Webhooks", `{"url":"https://x.example","events":["*"],"name":"x"}`, 400, "name"},
		{"POST", "ac%20me/entities/Webhooks", `{"url":"https://x.example","events":["*"]}`, 400, "space"},
		{"GET", "acme/entities/Webhooks/abc", ``, 400, "id"},
		{"GET", "acme/entities/Webhooks/99", ``, 404, ""},
		{"GET", "acme/entities/Webhooks?first=0", ``, 400, "first"},
		{"GET", "acme/entities/Webhooks?first=101", ``, 400, "first"},
		{"GET", "acme/entities/Webhooks?after=x", ``, 400, "after"},
	}
	for _, tt := range tests {
		a := h.do(tt.method, spaces+tt.path, tt.body)
		if a.Code != tt.code || a.errorField() != tt.field || a.errorCode() == "" {
			t.Errorf("%s %s %s = %d field %q (%s); want %d field %q", tt.method, tt.path, tt.body, a.Code, a.errorField(), a.Raw, tt.code, tt.field)
		}
	}
}

func TestPipelinerListPages(t *testing.T) {
	h := newHarness(t)
	for range 5 {
		if a := h.do("POST", spaces+"acme/entities/Webhooks", plHook); a.Code != 200 {
			t.Fatal(a.Raw)
		}
	}
	var seen []string
	after := ""
	for range 5 {
		a := h.do("GET", spaces+"acme/entities/Webhooks?first=2&after="+after, "")
		info := a.Body["page_info"].(map[string]any)
		for _, d := range a.Body["data"].([]any) {
			seen = append(seen, d.(map[string]any)["id"].(string))
		}
		if info["has_previous_page"] != (after != "") {
			t.Errorf("page after %q: has_previous_page = %v", after, info["has_previous_page"])
		}
		if info["has_next_page"] != true {
			break
		}
		after = info["end_cursor"].(string)
	}
	if strings.Join(seen, ",") != "1,2,3,4,5" {
		t.Errorf("paged ids = %v, want 1..5 once each", seen)
	}
	if a := h.do("GET", spaces+"acme/entities/Webhooks", ""); len(a.Body["data"].([]any)) != 5 {
		t.Errorf("default page = %s", a.Raw)
	}
}

func TestPipelinerSpaceIsTheTenant(t *testing.T) {
	h := newHarness(t, config.APIKey{Key: "admin-key-0123456789"}, config.APIKey{Key: "acme-key-0123456789", Tenant: "acme"})
	h.key = "admin-key-0123456789"
	if a := h.do("POST", spaces+"globex/entities/Webhooks", plHook); a.Code != 200 || a.data()["id"] != "1" {
		t.Fatal(a.Raw)
	}
	h.key = "acme-key-0123456789"
	if a := h.do("POST", spaces+"acme/entities/Webhooks", plHook); a.Code != 200 {
		t.Fatal(a.Raw)
	}
	for _, call := range []struct{ method, path string }{
		{"GET", "acme/entities/Webhooks/1"},
		{"DELETE", "acme/entities/Webhooks/1"},
	} {
		if a := h.do(call.method, spaces+call.path, ""); a.Code != 404 {
			t.Errorf("acme %s of globex's hook = %d, want 404", call.method, a.Code)
		}
	}
	for _, call := range []struct{ method, path, body string }{
		{"POST", "globex/entities/Webhooks", plHook},
		{"GET", "globex/entities/Webhooks", ""},
		{"GET", "globex/entities/Webhooks/1", ""},
		{"DELETE", "globex/entities/Webhooks/1", ""},
	} {
		if a := h.do(call.method, spaces+call.path, call.body); a.Code != 403 || a.errorCode() != "forbidden" {
			t.Errorf("acme %s %s = %d, want 403", call.method, call.path, a.Code)
		}
	}
	if a := h.do("GET", spaces+"acme/entities/Webhooks", ""); len(a.Body["data"].([]any)) != 1 {
		t.Errorf("acme lists %s", a.Raw)
	}
}

// decode parses a JSON text the test wrote.
func decode(t *testing.T, js string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		t.Fatal(err)
	}
	return v
}
