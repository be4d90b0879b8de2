package e2e

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/receiverauth"
	"github.com/hookflow/hookflow/internal/receiverauth/authtest"
	"github.com/hookflow/hookflow/internal/store/storetest"
)

// authReceiver is a receiver behind some authentication: it records the
// Authorization header and TLS client certificate of every request its
// guard let through.
type authReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	auth []string // Authorization of each request that got through
	cns  []string // CommonName of each client certificate that got through
}

func (r *authReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	_, _ = io.Copy(io.Discard, req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.auth = append(r.auth, req.Header.Get("Authorization"))
	if req.TLS != nil && len(req.TLS.PeerCertificates) > 0 {
		r.cns = append(r.cns, req.TLS.PeerCertificates[0].Subject.CommonName)
	}
}

func (r *authReceiver) seen() (auth, cns []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.auth...), append([]string(nil), r.cns...)
}

// attempts returns the attempt log of a delivery, as the API shows it.
func (e *env) attempts(deliveryID int64) deliveryAnswer {
	e.t.Helper()
	var d deliveryAnswer
	if code := e.call("GET", fmt.Sprintf("/v1/deliveries/%d", deliveryID), nil, &d); code != 200 {
		e.t.Fatalf("GET delivery %d = %d", deliveryID, code)
	}
	return d
}

// testAnswer is what POST /v1/hooks/{id}/test answers.
type testAnswer struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

func (e *env) testHook(id int64) testAnswer {
	e.t.Helper()
	var a testAnswer
	if code := e.call("POST", fmt.Sprintf("/v1/hooks/%d/test", id), nil, &a); code != 200 {
		e.t.Fatalf("test hook %d = %d", id, code)
	}
	return a
}

// A receiver that requires a TLS client certificate gets deliveries from
// the hook that has one; the hook without gets a failure whose attempt log
// says what is missing.
func TestMutualTLSReceiver(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	ca := authtest.NewCA(t)
	rcv := &authReceiver{}
	rcv.Server = ca.MTLSServer(t, rcv)
	cert, key := ca.Client(t, "hookflow-e2e")
	with := e.createHook(map[string]any{"events": []string{"contact.*"}, "target_url": rcv.URL,
		"receiver_auth": map[string]any{"type": "mtls", "cert_pem": cert, "key_pem": key, "ca_pem": ca.PEM}})
	without := e.createHook(map[string]any{"events": []string{"contact.*"}, "target_url": rcv.URL, "insecure_ssl": true})

	a := e.trigger(map[string]any{"event": "contact.created", "data": map[string]any{"id": 1}})
	ev := e.eventDone(a.EventID, 2)
	for _, d := range ev.Deliveries {
		full := e.attempts(d.ID)
		switch d.HookID {
		case with.ID:
			if d.Status != "succeeded" || len(full.AttemptLog) != 1 || full.AttemptLog[0].StatusCode != 200 {
				t.Errorf("the hook with a certificate: %+v", full)
			}
		case without.ID:
			if d.Status != "failed" || len(full.AttemptLog) == 0 || !strings.Contains(full.AttemptLog[0].Error, "asks for a TLS client certificate") {
				t.Errorf("the hook without a certificate: %+v, want a failure saying a client certificate is needed", full)
			}
		}
	}
	if _, cns := rcv.seen(); len(cns) != 1 || cns[0] != "hookflow-e2e" {
		t.Errorf("the receiver let through certificates %q, want the hook's once", cns)
	}
	if r := e.testHook(with.ID); !r.OK {
		t.Errorf("test delivery with the certificate: %+v", r)
	}
	if r := e.testHook(without.ID); r.OK || !strings.Contains(r.Error, "client certificate") {
		t.Errorf("test delivery without a certificate: %+v", r)
	}
}

// OAuth 2.0 client credentials against a real token endpoint whose tokens
// expire: a token is fetched once and reused, refreshed in the same attempt
// when the receiver answers 401, and replaced before it expires; an endpoint
// that refuses is the attempt's reason.
func TestOAuthReceiver(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	// Token 1 is the one saving the hook fetches (to check the credentials),
	// 2 the first delivery's, 3 expires within the refresh margin, 4 lives.
	ts := authtest.NewTokenServer(t, "hookflow-e2e", "e2e-client-secret-7", time.Hour, time.Hour, receiverauth.TokenMargin/2, time.Hour)
	rcv := &authReceiver{}
	rcv.Server = httptest.NewServer(ts.Protect(rcv))
	t.Cleanup(rcv.Close)
	h := e.createHook(map[string]any{"events": []string{"deal.*"}, "target_url": rcv.URL,
		"receiver_auth": map[string]any{"type": "oauth2_client_credentials", "token_url": ts.TokenURL(),
			"client_id": "hookflow-e2e", "client_secret": "e2e-client-secret-7", "scopes": []string{"webhooks"}}})
	deliver := func(n int, wantFetched int) {
		t.Helper()
		a := e.trigger(map[string]any{"event": "deal.updated", "data": map[string]any{"id": n}})
		d := e.eventDone(a.EventID, 1).Deliveries[0]
		if full := e.attempts(d.ID); d.Status != "succeeded" || len(full.AttemptLog) != 1 {
			t.Fatalf("delivery %d: %+v, want succeeded at the first attempt", n, full)
		}
		if got := len(ts.Issued()); got != wantFetched {
			t.Fatalf("after delivery %d the token endpoint issued %d tokens, want %d", n, got, wantFetched)
		}
	}
	deliver(1, 2)
	deliver(2, 2) // cached
	ts.Revoke()
	deliver(3, 3) // 401, a new token, sent again within the attempt
	deliver(4, 4) // token 3 is within the margin of its expiry: refreshed first
	deliver(5, 4)
	issued := ts.Issued()
	auth, _ := rcv.seen()
	want := []string{issued[1], issued[1], issued[2], issued[3], issued[3]}
	if len(auth) != len(want) {
		t.Fatalf("the receiver let %d requests through, want %d", len(auth), len(want))
	}
	for i := range want {
		if auth[i] != "Bearer "+want[i] {
			t.Errorf("delivery %d carried %q, want token %d", i+1, auth[i], i)
		}
	}

	ts.Refuse()
	ts.Revoke()
	a := e.trigger(map[string]any{"event": "deal.updated", "data": map[string]any{"id": 6}})
	d := e.eventDone(a.EventID, 1).Deliveries[0]
	full := e.attempts(d.ID)
	if d.Status != "failed" || len(full.AttemptLog) == 0 {
		t.Fatalf("with a refusing token endpoint: %+v", full)
	}
	for _, at := range full.AttemptLog {
		if !strings.Contains(at.Error, "receiver_auth.client_secret") || !strings.Contains(at.Error, "invalid_client") {
			t.Errorf("attempt %d error %q, want the token endpoint's refusal", at.Number, at.Error)
		}
	}
	if r := e.testHook(h.ID); r.OK || !strings.Contains(r.Error, "invalid_client") {
		t.Errorf("test delivery with a refusing token endpoint: %+v", r)
	}
}

// A receiver behind HTTP Basic authentication.
func TestBasicAuthReceiver(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	rcv := &authReceiver{}
	rcv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "crm-gateway" || p != "b4sic-pa55" {
			w.Header().Set("WWW-Authenticate", `Basic realm="crm"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		rcv.ServeHTTP(w, r)
	}))
	t.Cleanup(rcv.Close)
	h := e.createHook(map[string]any{"events": []string{"account.*"}, "target_url": rcv.URL,
		"receiver_auth": map[string]any{"type": "basic", "username": "crm-gateway", "password": "b4sic-pa55"}})
	a := e.trigger(map[string]any{"event": "account.created", "data": map[string]any{"id": 1}})
	if d := e.eventDone(a.EventID, 1).Deliveries[0]; d.Status != "succeeded" || d.HookID != h.ID {
		t.Errorf("delivery to the Basic-auth receiver: %+v", d)
	}
	if auth, _ := rcv.seen(); len(auth) != 1 || !strings.HasPrefix(auth[0], "Basic ") {
		t.Errorf("the receiver let through %q", auth)
	}
}

// credentialHooks creates, through the API, a hook of every receiver_auth
// type against real peers, rotates one hook's secret, and delivers an event
// to each. It returns every secret involved, by name — what must never be
// found in clear in the database, the logs or the histories — and the
// event's workflow id.
func credentialHooks(t *testing.T, e *env) (map[string]string, string) {
	t.Helper()
	defer func(was string) { e.tenant = was }(e.tenant)
	e.tenant = "credentials" // apart from the caller's hooks
	ca := authtest.NewCA(t)
	mtls := &authReceiver{}
	mtls.Server = ca.MTLSServer(t, mtls)
	cert, key := ca.Client(t, "hookflow-e2e")
	ts := authtest.NewTokenServer(t, "hookflow-client-id", "oauth-client-secret-5c1f")
	open := &authReceiver{}
	open.Server = httptest.NewServer(ts.Protect(open))
	t.Cleanup(open.Close)
	plain := &authReceiver{}
	plain.Server = httptest.NewServer(plain)
	t.Cleanup(plain.Close)

	auths := []map[string]any{
		{"type": "basic", "username": "crm-gateway", "password": "basic-password-9d2e"},
		{"type": "bearer", "token": "static-bearer-token-41aa"},
		{"type": "oauth2_client_credentials", "token_url": ts.TokenURL(), "client_id": "hookflow-client-id", "client_secret": "oauth-client-secret-5c1f"},
		{"type": "mtls", "cert_pem": cert, "key_pem": key, "ca_pem": ca.PEM},
	}
	targets := []string{plain.URL, plain.URL, open.URL, mtls.URL}
	secrets := map[string]string{"basic password": "basic-password-9d2e", "bearer token": "static-bearer-token-41aa",
		"OAuth client secret": "oauth-client-secret-5c1f", "mTLS private key": strings.Split(key, "\n")[1]}
	var first hookAnswer
	for i, auth := range auths {
		h := e.createHook(map[string]any{"events": []string{"secret.*"}, "target_url": targets[i], "receiver_auth": auth})
		secrets[fmt.Sprintf("signing secret of hook %d", h.ID)] = h.Secret
		if i == 0 {
			first = h
		}
	}
	var rotated struct{ Secret string }
	if code := e.call("POST", fmt.Sprintf("/v1/hooks/%d/secret/rotate", first.ID), map[string]any{"grace_period": "1h"}, &rotated); code != 200 {
		t.Fatalf("rotate = %d", code)
	}
	secrets["rotated signing secret"] = rotated.Secret
	a := e.trigger(map[string]any{"event": "secret.created", "data": map[string]any{"id": 1}})
	for _, d := range e.eventDone(a.EventID, len(auths)).Deliveries {
		if d.Status != "succeeded" {
			t.Errorf("delivery to hook %d: %+v", d.HookID, d)
		}
	}
	for i, tok := range ts.Issued() {
		secrets[fmt.Sprintf("OAuth access token %d", i+1)] = tok
	}
	return secrets, a.WorkflowID
}

// The database holds no secret in clear: every column of every table is
// searched for every signing secret (current and previous) and every
// receiver credential a run used, on SQLite and PostgreSQL.
func TestNoSecretInDatabaseRows(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b)
			secrets, _ := credentialHooks(t, e)
			raw := storetest.Raw(t, b)
			q := "SELECT name FROM sqlite_master WHERE type = 'table'"
			if b.Name == "postgres" {
				q = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
			}
			tables := strings.Fields(strings.Join(column(t, raw, q), " "))
			cells := 0
			for _, table := range tables {
				for _, v := range allCells(t, raw, table) {
					cells++
					for name, secret := range secrets {
						if strings.Contains(v, secret) || strings.Contains(v, strings.TrimPrefix(secret, "whsec_")) {
							t.Errorf("table %s holds the %s in clear", table, name)
						}
					}
				}
			}
			if cells < 100 || !strings.Contains(strings.Join(tables, " "), "hooks") {
				t.Fatalf("searched %d cells of tables %v: too few to mean anything", cells, tables)
			}
		})
	}
}

func column(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// allCells returns every value of every row of table, as text.
func allCells(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query("SELECT * FROM " + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		for _, v := range vals {
			out = append(out, v.String)
		}
	}
	return out
}
