package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/receiverauth/authtest"
)

// hookWithAuth is a POST /v1/hooks body with receiver_auth set to auth (JSON).
func hookWithAuth(target, auth string) string {
	return `{"events":["contact.*"],"target_url":"` + target + `","receiver_auth":` + auth + `}`
}

// receiver_auth is write-only: answers show its type; absent (PATCH and
// PUT), null and the shown form behave as Svix and Convoy users expect.
func TestReceiverAuthIsWriteOnly(t *testing.T) {
	h := newHarness(t)
	created := h.do("POST", "/v1/hooks", hookWithAuth("https://receiver.example.com/", `{"type":"basic","username":"crm","password":"pa55-w0rd-9"}`))
	if created.Code != 201 || jsonOf(created.Body["receiver_auth"]) != `{"type":"basic"}` || strings.Contains(created.Raw, "pa55-w0rd-9") {
		t.Fatalf("create = %d %s", created.Code, created.Raw)
	}
	id := jsonID(created.Body)
	password := func() string {
		t.Helper()
		stored, err := h.store.Hook(t.Context(), "", mustAtoi(t, id))
		if err != nil {
			t.Fatal(err)
		}
		if stored.ReceiverAuth == nil {
			return "<none>"
		}
		return stored.ReceiverAuth.Password
	}
	for _, step := range []struct{ method, body, wantType, wantPassword string }{
		{"GET", "", `{"type":"basic"}`, "pa55-w0rd-9"},
		{"PATCH", `{"name":"renamed"}`, `{"type":"basic"}`, "pa55-w0rd-9"},                                          // absent: kept
		{"PATCH", `{"receiver_auth":{"type":"basic"}}`, `{"type":"basic"}`, "pa55-w0rd-9"},                          // what GET shows: kept
		{"PUT", `{"events":["*"],"target_url":"https://receiver.example.com/"}`, `{"type":"basic"}`, "pa55-w0rd-9"}, // PUT keeps it like the secret
		{"PATCH", `{"receiver_auth":{"type":"basic","username":"crm","password":"n3w-pass"}}`, `{"type":"basic"}`, "n3w-pass"},
		{"PATCH", `{"receiver_auth":null}`, `null`, "<none>"},
	} {
		a := h.do(step.method, "/v1/hooks/"+id, step.body)
		if a.Code != 200 || jsonOf(a.Body["receiver_auth"]) != step.wantType || strings.Contains(a.Raw, step.wantPassword) {
			t.Fatalf("%s %s = %d %s; want receiver_auth %s", step.method, step.body, a.Code, a.Raw, step.wantType)
		}
		if got := password(); got != step.wantPassword {
			t.Fatalf("after %s %s the stored password is %q, want %q", step.method, step.body, got, step.wantPassword)
		}
	}
	// The shown form of another type is a new, incomplete object.
	h.do("PATCH", "/v1/hooks/"+id, `{"receiver_auth":{"type":"bearer","token":"t-1"}}`)
	if a := h.do("PATCH", "/v1/hooks/"+id, `{"receiver_auth":{"type":"basic"}}`); a.Code != 400 || a.errorField() != "receiver_auth.username" {
		t.Errorf("switching type without credentials = %d %s", a.Code, a.Raw)
	}
	if list := h.do("GET", "/v1/hooks", ""); strings.Contains(list.Raw, "t-1") || !strings.Contains(list.Raw, `"receiver_auth":{"type":"bearer"}`) {
		t.Errorf("list = %s", list.Raw)
	}
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Bad credentials are a 400 naming the field, checked when saved: their
// form, a certificate's dates, and whether the token endpoint issues a token.
func TestBadReceiverAuth(t *testing.T) {
	h := newHarness(t)
	ca := authtest.NewCA(t)
	cert, key := ca.Client(t, "hookflow")
	expired, expiredKey := ca.Issue(t, "hookflow", time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	ts := authtest.NewTokenServer(t, "hookflow", "the-right-secret")
	pem := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	oauth := func(secret string) string {
		return `{"type":"oauth2_client_credentials","token_url":"` + ts.TokenURL() + `","client_id":"hookflow","client_secret":"` + secret + `"}`
	}
	tests := []struct{ auth, field string }{
		{`"basic"`, "receiver_auth"},
		{`{"type":"basic","username":"u","passwd":"p"}`, "receiver_auth.passwd"},
		{`{"type":"oauth2_client_credentials","scopes":"a b"}`, "receiver_auth.scopes"},
		{`{"type":"digest"}`, "receiver_auth.type"},
		{`{"type":"bearer"}`, "receiver_auth.token"},
		{`{"type":"bearer","token":"t","cert_pem":"x"}`, "receiver_auth.cert_pem"},
		{`{"type":"mtls","cert_pem":"not pem","key_pem":` + pem(key) + `}`, "receiver_auth.cert_pem"},
		{`{"type":"mtls","cert_pem":` + pem(cert) + `,"key_pem":"not pem"}`, "receiver_auth.key_pem"},
		{`{"type":"mtls","cert_pem":` + pem(cert) + `,"key_pem":` + pem(key) + `,"ca_pem":"x"}`, "receiver_auth.ca_pem"},
		{`{"type":"mtls","cert_pem":` + pem(expired) + `,"key_pem":` + pem(expiredKey) + `}`, "receiver_auth.cert_pem"},
		{oauth("a-wrong-secret"), "receiver_auth.client_secret"},
	}
	for _, tt := range tests {
		a := h.do("POST", "/v1/hooks", hookWithAuth("https://receiver.example.com/", tt.auth))
		if a.Code != 400 || a.errorField() != tt.field {
			t.Errorf("receiver_auth %.80s = %d %s; want 400 naming %s", tt.auth, a.Code, a.Raw, tt.field)
		}
		if strings.Contains(a.Raw, "a-wrong-secret") || strings.Contains(a.Raw, "PRIVATE KEY") {
			t.Errorf("the answer repeats a credential: %s", a.Raw)
		}
	}
	if a := h.do("POST", "/v1/hooks", hookWithAuth("https://receiver.example.com/", oauth("the-right-secret"))); a.Code != 201 {
		t.Errorf("valid OAuth credentials = %d %s", a.Code, a.Raw)
	}
	if n := len(ts.Issued()); n != 1 {
		t.Errorf("saving fetched %d tokens, want 1 (the check)", n)
	}
	a := h.do("POST", "/v1/hooks", `{"events":["*"],"target_url":"https://r.example.com/","headers":{"Authorization":"Bearer x"},"receiver_auth":{"type":"bearer","token":"y"}}`)
	if a.Code != 400 || a.errorField() != "headers.Authorization" {
		t.Errorf("an Authorization header beside bearer auth = %d %s", a.Code, a.Raw)
	}
}

// The vendor APIs do not show receiver_auth and keep it when they save;
// test deliveries present it, whichever API asks.
func TestVendorAPIsAndTestsKeepReceiverAuth(t *testing.T) {
	h := newHarness(t)
	var mu sync.Mutex
	var seen []string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.Header.Get("Authorization"))
		if r.Header.Get("Authorization") != "Bearer vendor-token-1" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer rcv.Close()
	created := h.do("POST", "/v1/hooks", hookWithAuth(rcv.URL, `{"type":"bearer","token":"vendor-token-1"}`))
	id := jsonID(created.Body)
	saved := h.do("POST", agent+"SaveWebhook", `{"WebhookId":`+id+`,"Name":"renamed","Events":["contact.created"],"TargetUrl":"`+rcv.URL+`"}`)
	if saved.Code != 200 || strings.Contains(saved.Raw, "vendor-token-1") || strings.Contains(saved.Raw, "receiver_auth") {
		t.Fatalf("SaveWebhook = %d %s", saved.Code, saved.Raw)
	}
	if got := h.do("GET", "/v1/hooks/"+id, ""); got.Body["name"] != "renamed" || jsonOf(got.Body["receiver_auth"]) != `{"type":"bearer"}` {
		t.Errorf("after SaveWebhook the hook is %s", got.Raw)
	}
	if a := h.do("POST", "/v1/hooks/"+id+"/test", ""); a.Code != 200 || a.Body["ok"] != true {
		t.Errorf("test delivery = %d %s", a.Code, a.Raw)
	}
	if a := h.do("POST", agent+"TestWebhook", `{"Webhook":{"WebhookId":`+id+`,"Name":"renamed","Events":["contact.created"],"TargetUrl":"`+rcv.URL+`"}}`); a.Code != 200 || a.Body["Success"] != true {
		t.Errorf("SuperOffice TestWebhook = %d %s", a.Code, a.Raw)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != "Bearer vendor-token-1" || seen[1] != seen[0] {
		t.Errorf("test deliveries carried %q", seen)
	}
}
