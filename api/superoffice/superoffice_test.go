package superoffice_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/api/apitest"
	"github.com/hookflow/hookflow/internal/config"
)

const agent = "/api/v1/Agents/Webhook/"

// soHook is a SaveWebhook body creating a hook.
const soHook = `{"WebhookId":0,"Name":"Contact Handler","Events":["contact.created","contact.changed"],
 "TargetUrl":"https://www.myserver.example/superoffice","Secret":"Something Super Secret","State":"Active","Type":"webhook",
 "Headers":{"X-Api-Key":"k1"},"Properties":{"region":"eu"},"ErrorsEmail":"ops@myserver.example"}`

// list decodes an answer that is a JSON array.
func list(t *testing.T, a apitest.Answer) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal([]byte(a.Raw), &out); err != nil {
		t.Fatalf("answer %d is not a JSON array: %s", a.Code, a.Raw)
	}
	return out
}

func TestSuperOfficeWebhookLifecycle(t *testing.T) {
	h := apitest.New(t)
	def := h.Do("POST", agent+"CreateDefaultWebhook", "")
	if def.Code != 200 || def.Body["WebhookId"] != float64(0) || def.Body["State"] != "Active" || def.Body["Type"] != "webhook" ||
		apitest.JSONOf(def.Body["Events"]) != `["contact.created","contact.deleted"]` || def.Body["RegisteredAssociate"] != nil {
		t.Fatalf("CreateDefaultWebhook = %d %s", def.Code, def.Raw)
	}
	// A carrier CreateDefaultWebhook answered saves back as it is, once filled in.
	var carrier map[string]any
	_ = json.Unmarshal([]byte(def.Raw), &carrier)
	carrier["TargetUrl"] = "https://www.myserver.example/default"
	if a := h.Do("POST", agent+"SaveWebhook", apitest.JSONOf(carrier)); a.Code != 200 {
		t.Fatalf("saving the default carrier = %d %s", a.Code, a.Raw)
	}

	created := h.Do("POST", agent+"SaveWebhook", soHook)
	id := apitest.JSONOf(created.Body["WebhookId"])
	if created.Code != 200 || id == "0" || created.Body["Secret"] != "Something Super Secret" || created.Body["State"] != "Active" ||
		created.Body["ErrorsEmail"] != "ops@myserver.example" || created.Body["Registered"] == "0001-01-01T00:00:00Z" {
		t.Fatalf("SaveWebhook create = %d %s", created.Code, created.Raw)
	}
	if by := created.Body["RegisteredAssociate"].(map[string]any); by["Name"] != "anonymous" || by["AssociateId"] != float64(0) || by["Type"] != "SystemAssociate" {
		t.Errorf("RegisteredAssociate = %v", by)
	}
	if n := h.Do("GET", "/v1/hooks/"+id, ""); n.Body["format"] != "superoffice" || n.Body["errors_email"] != "ops@myserver.example" ||
		apitest.JSONOf(n.Body["headers"]) != `{"X-Api-Key":"k1"}` || apitest.JSONOf(n.Body["properties"]) != `{"region":"eu"}` {
		t.Errorf("native view of the hook = %s", n.Raw)
	}

	got := h.Do("POST", agent+"GetWebhook?webhookId="+id, "")
	if got.Code != 200 || got.Body["Secret"] != "********" || got.Body["Name"] != "Contact Handler" {
		t.Fatalf("GetWebhook = %d %s", got.Code, got.Raw)
	}
	if byBody := h.Do("POST", agent+"GetWebhook", `{"WebhookId":`+id+`}`); byBody.Code != 200 || byBody.Body["Name"] != "Contact Handler" {
		t.Errorf("GetWebhook with the id in the body = %d %s", byBody.Code, byBody.Raw)
	}

	// Update: the carrier GetWebhook answered, edited and saved back, keeps
	// the secret it shows masked; State may be a number.
	_ = json.Unmarshal([]byte(got.Raw), &carrier)
	carrier["Name"], carrier["State"] = "Renamed", 2
	updated := h.Do("POST", agent+"SaveWebhook", apitest.JSONOf(carrier))
	if updated.Code != 200 || apitest.JSONOf(updated.Body["WebhookId"]) != id || updated.Body["Name"] != "Renamed" || updated.Body["State"] != "Stopped" ||
		updated.Body["Secret"] != "********" || updated.Body["Registered"] != created.Body["Registered"] {
		t.Fatalf("SaveWebhook update = %d %s", updated.Code, updated.Raw)
	}
	if s := h.Do("GET", "/v1/hooks/"+id+"/secret", ""); s.Body["secret"] != "Something Super Secret" {
		t.Errorf("saving the masked secret back changed it: %v", s.Body)
	}

	if d := h.Do("POST", agent+"DeleteWebhook?WebhookId="+id, ""); d.Code != 204 {
		t.Errorf("DeleteWebhook = %d %s", d.Code, d.Raw)
	}
	if g := h.Do("POST", agent+"GetWebhook?webhookId="+id, ""); g.Code != 404 || g.ErrorCode() != "not_found" {
		t.Errorf("GetWebhook after delete = %d %s", g.Code, g.Raw)
	}
	if d := h.Do("POST", agent+"DeleteWebhook", `{"WebhookId":`+id+`}`); d.Code != 404 {
		t.Errorf("DeleteWebhook twice = %d", d.Code)
	}
}

func TestSuperOfficeStateByNameOrNumber(t *testing.T) {
	h := apitest.New(t)
	tests := []struct{ state, want string }{
		{`"Active"`, "Active"}, {`"stopped"`, "Stopped"}, {`"TooManyErrors"`, "TooManyErrors"},
		{`1`, "Active"}, {`2`, "Stopped"}, {`3`, "TooManyErrors"}, {`"3"`, "TooManyErrors"},
		{`0`, "Active"}, {`"Unknown"`, "Active"}, {`null`, "Active"}, // not given: the default
	}
	for _, tt := range tests {
		a := h.Do("POST", agent+"SaveWebhook", `{"Events":["*"],"TargetUrl":"https://x.example","State":`+tt.state+`}`)
		if a.Code != 200 || a.Body["State"] != tt.want {
			t.Errorf("State %s = %d %s; want %s", tt.state, a.Code, a.Raw, tt.want)
		}
	}
}

func TestSuperOfficeBadInput(t *testing.T) {
	h := apitest.New(t)
	tests := []struct {
		method, body string
		code         int
		field        string
	}{
		{"SaveWebhook", `{"Events":["contact.created"]}`, 400, "TargetUrl"},
		{"SaveWebhook", `{"TargetUrl":"https://x.example","Events":[]}`, 400, "Events"},
		{"SaveWebhook", `{"TargetUrl":"https://x.example","Events":["contact"]}`, 400, "Events[0]"},
		{"SaveWebhook", `{"TargetUrl":"https://x.example","Events":["*"],"State":"On"}`, 400, "State"},
		{"SaveWebhook", `{"TargetUrl":"https://x.example","Events":["*"],"State":7}`, 400, "State"},
		{"SaveWebhook", `{"TargetUrl":"https://x.example","Events":["*"],"Type":"CRMScript"}`, 400, "Type"},
		{"SaveWebhook", `{"TargetUrl":"https://x.example","Events":["*"],"Headers":{"Content-Type":"text/plain"}}`, 400, "Headers.Content-Type"},
		{"SaveWebhook", `{"TargetUrl":"https://x.example","Events":["*"],"ErrorsEmail":"nobody"}`, 400, "ErrorsEmail"},
		{"SaveWebhook", `{"TargetUrl":"https://x.example","Events":["*"],"Secret":"short"}`, 400, "Secret"},
		{"SaveWebhook", `{"TargetUrl":"https://x.example","Events":["*"],"Colour":"red"}`, 400, "Colour"},
		{"SaveWebhook", `{"TargetUrl":"https://x.example","Events":"*"}`, 400, "Events"},
		{"SaveWebhook", `{"WebhookId":999,"TargetUrl":"https://x.example","Events":["*"]}`, 404, ""},
		{"GetWebhook", ``, 400, "WebhookId"},
		{"GetWebhook?webhookId=abc", ``, 400, "webhookId"},
		{"DeleteWebhook", `{"WebhookId":"7"}`, 400, "WebhookId"},
		{"GetAllWebhooks", `{"StatusFilter":"On"}`, 400, "StatusFilter"},
		{"GetAllWebhooks", `{"EventFilter":"contact"}`, 400, "EventFilter"},
		{"TestWebhook", `{"Webhook":{"Events":["*"]}}`, 400, "TargetUrl"},
	}
	for _, tt := range tests {
		a := h.Do("POST", agent+tt.method, tt.body)
		if a.Code != tt.code || a.ErrorField() != tt.field || a.ErrorCode() == "" {
			t.Errorf("%s %s = %d field %q (%s); want %d field %q", tt.method, tt.body, a.Code, a.ErrorField(), a.Raw, tt.code, tt.field)
		}
	}
}

func TestSuperOfficeGetAllWebhooksFilters(t *testing.T) {
	h := apitest.New(t)
	for _, body := range []string{
		`{"Name":"Billing","Events":["contact.*"],"TargetUrl":"https://a.example"}`,
		`{"Name":"Sales","Events":["sale.created"],"TargetUrl":"https://b.example","State":"Stopped"}`,
		`{"Name":"billing","Events":["*"],"TargetUrl":"https://c.example","State":3}`,
	} {
		if a := h.Do("POST", agent+"SaveWebhook", body); a.Code != 200 {
			t.Fatal(a.Raw)
		}
	}
	tests := []struct{ query, body, want string }{
		{"", "", "Billing,Sales,billing"},
		{"", `{}`, "Billing,Sales,billing"},
		{"", `{"NameFilter":"BILLING"}`, "Billing,billing"},
		{"?nameFilter=Sales", "", "Sales"},
		{"", `{"EventFilter":"contact.created"}`, "Billing,billing"},
		{"?eventFilter=sale.created", "", "Sales,billing"},
		{"", `{"StatusFilter":"Stopped"}`, "Sales"},
		{"", `{"StatusFilter":2}`, "Sales"},
		{"?statusFilter=3", "", "billing"},
		{"", `{"StatusFilter":"Unknown"}`, "Billing,Sales,billing"},
		{"", `{"NameFilter":"billing","EventFilter":"contact.deleted","StatusFilter":"Active"}`, "Billing"},
		{"", `{"NameFilter":"nobody"}`, ""},
	}
	for _, tt := range tests {
		a := h.Do("POST", agent+"GetAllWebhooks"+tt.query, tt.body)
		var names []string
		for _, w := range list(t, a) {
			names = append(names, w["Name"].(string))
			if s, _ := w["Secret"].(string); !strings.HasSuffix(s, "********") {
				t.Errorf("GetAllWebhooks shows a secret: %v", w["Secret"])
			}
		}
		if a.Code != 200 || strings.Join(names, ",") != tt.want {
			t.Errorf("GetAllWebhooks%s %s = %d %v; want %s", tt.query, tt.body, a.Code, names, tt.want)
		}
	}
}

func TestSuperOfficeTenantIsolation(t *testing.T) {
	h := apitest.New(t, config.APIKey{Key: "admin-key-0123456789"}, config.APIKey{Key: "acme-key-0123456789", Tenant: "acme"})
	h.Key = "admin-key-0123456789"
	globex := h.Do("POST", agent+"SaveWebhook", soHook, api.TenantHeader, "globex")
	if globex.Code != 200 {
		t.Fatal(globex.Raw)
	}
	gid := apitest.JSONOf(globex.Body["WebhookId"])
	h.Key = "acme-key-0123456789"
	if a := h.Do("POST", agent+"SaveWebhook", soHook); a.Code != 200 {
		t.Fatal(a.Raw)
	}
	for _, call := range []struct{ method, body string }{
		{"GetWebhook?webhookId=" + gid, ""},
		{"DeleteWebhook?WebhookId=" + gid, ""},
		{"SaveWebhook", `{"WebhookId":` + gid + `,"Events":["*"],"TargetUrl":"https://evil.example"}`},
		{"TestWebhook", `{"Webhook":{"WebhookId":` + gid + `,"Events":["*"],"TargetUrl":"https://evil.example"}}`},
	} {
		if a := h.Do("POST", agent+call.method, call.body); a.Code != 404 {
			t.Errorf("acme %s on globex's hook = %d %s, want 404", call.method, a.Code, a.Raw)
		}
	}
	if all := h.Do("POST", agent+"GetAllWebhooks", ""); len(list(t, all)) != 1 {
		t.Errorf("acme lists %s", all.Raw)
	}
	if a := h.Do("POST", agent+"GetAllWebhooks", "", api.TenantHeader, "globex"); a.Code != 403 {
		t.Errorf("acme key naming globex = %d", a.Code)
	}
	h.Key = ""
	if a := h.Do("POST", agent+"GetAllWebhooks", ""); a.Code != 401 {
		t.Errorf("no key = %d", a.Code)
	}
}

// superOfficeReceiver verifies requests the way SuperOffice's docs tell
// receivers to: base64 HMAC-SHA256 of the raw body, keyed with the secret.
func superOfficeReceiver(t *testing.T, secret string, status int) (*httptest.Server, *http.Header) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		want := base64.StdEncoding.EncodeToString(m.Sum(nil))
		if !hmac.Equal([]byte(r.Header.Get("X-SuperOffice-Signature")), []byte(want)) {
			t.Errorf("X-SuperOffice-Signature %q does not verify with the secret", r.Header.Get("X-SuperOffice-Signature"))
		}
		var p struct{ Event, WebhookName string }
		if err := json.Unmarshal(body, &p); err != nil || p.Event != r.Header.Get("X-SuperOffice-Event") {
			t.Errorf("body %s does not parse as SuperOffice's payload", body)
		}
		got = r.Header.Clone()
		w.Header().Set("X-Receiver", "yes")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "received")
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestTestWebhookSendsOneSignedRequest(t *testing.T) {
	h := apitest.New(t)
	srv, got := superOfficeReceiver(t, "Something Super Secret", 200)
	body := `{"Webhook":{"Name":"t","Events":["contact.created"],"TargetUrl":"` + srv.URL + `","Secret":"Something Super Secret","Headers":{"X-Api-Key":"k1"}}}`
	a := h.Do("POST", agent+"TestWebhook", body)
	msg, _ := a.Body["Message"].(string)
	if a.Code != 200 || a.Body["Success"] != true || a.Body["StatusCode"] != float64(200) ||
		!strings.HasPrefix(msg, "200 OK\r\n") || !strings.Contains(msg, "X-Receiver: yes\r\n") || !strings.HasSuffix(msg, "\r\n\r\nreceived") {
		t.Fatalf("TestWebhook = %d %s", a.Code, a.Raw)
	}
	if got.Get("X-Api-Key") != "k1" || got.Get("X-Hook-Test") != "true" || got.Get("X-SuperOffice-Event") != "webhook.test" {
		t.Errorf("receiver got headers %v", *got)
	}
	if list := h.Do("GET", "/v1/hooks", ""); len(list.Body["data"].([]any)) != 0 {
		t.Errorf("TestWebhook saved a hook: %s", list.Raw)
	}

	// A saved hook is tested with its stored secret, even when the carrier
	// shows it masked, as GetWebhook does.
	saved := h.Do("POST", agent+"SaveWebhook", `{"Events":["*"],"TargetUrl":"`+srv.URL+`","Secret":"Something Super Secret"}`)
	id := apitest.JSONOf(saved.Body["WebhookId"])
	a = h.Do("POST", agent+"TestWebhook", `{"Webhook":{"WebhookId":`+id+`,"Events":["*"],"TargetUrl":"`+srv.URL+`","Secret":"********"}}`)
	if a.Code != 200 || a.Body["Success"] != true {
		t.Errorf("TestWebhook of a saved hook = %d %s", a.Code, a.Raw)
	}
}

func TestTestWebhookReportsFailures(t *testing.T) {
	h := apitest.New(t)
	failing, _ := superOfficeReceiver(t, "Something Super Secret", 500)
	a := h.Do("POST", agent+"TestWebhook", `{"Webhook":{"Events":["*"],"TargetUrl":"`+failing.URL+`","Secret":"Something Super Secret"}}`)
	if a.Code != 200 || a.Body["Success"] != false || a.Body["StatusCode"] != float64(500) {
		t.Errorf("TestWebhook against a 500 = %d %s", a.Code, a.Raw)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	a = h.Do("POST", agent+"TestWebhook", `{"Webhook":{"Events":["*"],"TargetUrl":"`+closed.URL+`"}}`)
	if msg, _ := a.Body["Message"].(string); a.Code != 200 || a.Body["Success"] != false || a.Body["StatusCode"] != float64(0) || msg == "" {
		t.Errorf("TestWebhook against a closed port = %d %s", a.Code, a.Raw)
	}
}

// TestSuperOfficeSavesItsPagesSamples replays the two sample bodies of
// SuperOffice's SaveWebhook page (testdata). Its sample answer, a real
// carrier, saves as it is — its Content-Type: application/json header is
// dropped, since hookflow sets Content-Type itself; its sample request holds
// placeholders (Events "ad", Type "et", a 6-character Secret) that hookflow
// rejects, naming each.
func TestSuperOfficeSavesItsPagesSamples(t *testing.T) {
	h := apitest.New(t)
	sample := func(name string) map[string]any {
		b, err := os.ReadFile("testdata/superoffice-savewebhook-" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		m["WebhookId"] = 0 // create: the page's ids name hooks of its own database
		return m
	}
	resp := sample("response")
	a := h.Do("POST", agent+"SaveWebhook", apitest.JSONOf(resp))
	if a.Code != 200 {
		t.Fatalf("SaveWebhook(sample answer) = %d %s", a.Code, a.Raw)
	}
	for _, k := range []string{"Name", "Events", "TargetUrl", "Secret", "State", "Type", "Properties", "ErrorsEmail"} {
		if apitest.JSONOf(a.Body[k]) != apitest.JSONOf(resp[k]) {
			t.Errorf("%s = %s; the sample says %s", k, apitest.JSONOf(a.Body[k]), apitest.JSONOf(resp[k]))
		}
	}
	if got := apitest.JSONOf(a.Body["Headers"]); got != `{"X-API-Key":"prod_api_key_12345"}` {
		t.Errorf("Headers = %s; want the sample's without Content-Type", got)
	}
	bad := h.Do("POST", agent+"SaveWebhook", apitest.JSONOf(sample("request")))
	var fields []string
	for _, d := range bad.Body["error"].(map[string]any)["details"].([]any) {
		fields = append(fields, d.(map[string]any)["field"].(string))
	}
	if bad.Code != 400 || strings.Join(fields, " ") != "Events[0] Events[1] Secret Type" {
		t.Errorf("SaveWebhook(sample request) = %d %s; want 400 naming Events[0], Events[1], Secret and Type", bad.Code, bad.Raw)
	}
}

// As SuperOffice's own service, the agent matches member names in any case,
// so camelCase clients work; two members naming one field are refused, as
// hookflow's own API refuses a name given twice.
func TestSuperOfficeNamesMatchInAnyCase(t *testing.T) {
	h := apitest.New(t)
	a := h.Do("POST", agent+"SaveWebhook", `{"webhookId":0,"name":"camel","events":["contact.created"],"targetUrl":"https://x.example/so","secret":"camelcase-secret"}`)
	if a.Code != 200 || a.Body["Name"] != "camel" || a.Body["TargetUrl"] != "https://x.example/so" {
		t.Fatalf("SaveWebhook in camelCase = %d %s", a.Code, a.Raw)
	}
	twice := h.Do("POST", agent+"SaveWebhook", `{"Name":"n","Events":["contact.created"],"TargetUrl":"https://x.example/a","targetUrl":"https://x.example/b"}`)
	if twice.Code != 400 || twice.ErrorField() != "targetUrl" {
		t.Fatalf("SaveWebhook naming TargetUrl twice = %d %s; want 400 naming targetUrl", twice.Code, twice.Raw)
	}
}
