package receiverauth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/egress"
	"github.com/hookflow/hookflow/internal/receiverauth"
	"github.com/hookflow/hookflow/internal/receiverauth/authtest"
	"github.com/hookflow/hookflow/models"
)

func newAuthenticator(allowPrivate bool) *receiverauth.Authenticator {
	return receiverauth.New(egress.New(egress.Options{AllowPrivate: allowPrivate, Timeout: 5 * time.Second,
		ConnectTimeout: time.Second, TLSTimeout: time.Second}))
}

// post sends one delivery-like POST for h through a and returns the status.
func post(t *testing.T, a *receiverauth.Authenticator, h *models.Hook) (int, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, h.TargetURL, strings.NewReader(`{"id":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := a.Do(h, req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// recorder answers 200 and keeps the Authorization header and body of each request.
type recorder struct {
	mu     sync.Mutex
	auth   []string
	bodies []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.auth = append(r.auth, req.Header.Get("Authorization"))
	r.bodies = append(r.bodies, string(b))
}

func (r *recorder) seen() ([]string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.auth...), append([]string(nil), r.bodies...)
}

func TestBasicAndBearer(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	a := newAuthenticator(true)
	for _, tt := range []struct {
		auth *models.ReceiverAuth
		want string
	}{
		{nil, ""},
		{&models.ReceiverAuth{Type: models.AuthBasic, Username: "hookflow", Password: "p@ss:word"},
			"Basic " + base64.StdEncoding.EncodeToString([]byte("hookflow:p@ss:word"))},
		{&models.ReceiverAuth{Type: models.AuthBearer, Token: "static-token-1"}, "Bearer static-token-1"},
	} {
		if code, err := post(t, a, &models.Hook{ID: 1, TargetURL: srv.URL, ReceiverAuth: tt.auth}); code != 200 || err != nil {
			t.Fatalf("%v: %d, %v", tt.auth, code, err)
		}
		if got, _ := rec.seen(); got[len(got)-1] != tt.want {
			t.Errorf("%v: Authorization %q, want %q", tt.auth, got[len(got)-1], tt.want)
		}
	}
}

func oauthHook(ts *authtest.TokenServer, target string) *models.Hook {
	return &models.Hook{ID: 7, TargetURL: target, ReceiverAuth: &models.ReceiverAuth{Type: models.AuthOAuth2,
		TokenURL: ts.TokenURL(), ClientID: ts.ClientID, ClientSecret: ts.ClientSecret, Scopes: []string{"webhooks:write", "crm"}}}
}

// A token is fetched once and reused while it has more than TokenMargin
// left; a 401 makes one new fetch and one resend in the same call; a token
// within the margin of its expiry is replaced before it is sent.
func TestOAuthTokensAreCachedAndRefreshed(t *testing.T) {
	// The first token lives an hour, the second less than the margin, the rest an hour.
	ts := authtest.NewTokenServer(t, "hookflow", "client-secret-1", time.Hour, receiverauth.TokenMargin/2, time.Hour)
	rec := &recorder{}
	srv := httptest.NewServer(ts.Protect(rec))
	defer srv.Close()
	a := newAuthenticator(true)
	h := oauthHook(ts, srv.URL)
	send := func(want int) {
		t.Helper()
		if code, err := post(t, a, h); code != 200 || err != nil {
			t.Fatalf("send: %d, %v", code, err)
		}
		if n := len(ts.Issued()); n != want {
			t.Fatalf("%d tokens fetched, want %d", n, want)
		}
	}
	send(1)
	send(1) // cached
	ts.Revoke()
	send(2) // 401, a new token, the same request again
	send(3) // the second token expires within the margin: replaced before use
	send(3)
	auth, bodies := rec.seen()
	issued := ts.Issued()
	want := []string{issued[0], issued[0], issued[1], issued[2], issued[2]}
	for i := range want {
		if auth[i] != "Bearer "+want[i] || bodies[i] != `{"id":1}` {
			t.Errorf("request %d carried %q with body %q, want token %d and the whole body", i, auth[i], bodies[i], i)
		}
	}
	if s := ts.Scopes(); s[0] != "webhooks:write crm" {
		t.Errorf("scope parameter %q, want the scopes space-separated", s[0])
	}

	// Concurrent deliveries to a hook share one token request.
	a, h.ID = newAuthenticator(true), 8
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { _, _ = post(t, a, h) })
	}
	wg.Wait()
	if n := len(ts.Issued()); n != 4 {
		t.Errorf("20 concurrent deliveries fetched %d tokens, want 1", n-3)
	}
	// Changed credentials are a new cache entry.
	ts.ClientSecret = "client-secret-2"
	h.ReceiverAuth.ClientSecret = "client-secret-2"
	send(5)
}

// A token endpoint that refuses is a 400 naming the field at save time and
// the attempt's reason when sending; neither repeats the secret.
func TestOAuthRefusals(t *testing.T) {
	ts := authtest.NewTokenServer(t, "hookflow", "right-secret")
	a := newAuthenticator(true)
	h := oauthHook(ts, "http://127.0.0.1:1/never")
	h.ReceiverAuth.ClientSecret = "wrong-secret"
	err := a.Check(context.Background(), h.ReceiverAuth)
	var ve *models.ValidationError
	if !errors.As(err, &ve) || ve.Fields[0].Field != "receiver_auth.client_secret" || !strings.Contains(ve.Fields[0].Problem, "invalid_client") {
		t.Fatalf("Check = %v, want a 400 naming receiver_auth.client_secret (invalid_client)", err)
	}
	_, err = post(t, a, h)
	var ae *receiverauth.Error
	if !errors.As(err, &ae) || ae.Field != "receiver_auth.client_secret" || !strings.Contains(err.Error(), "401") {
		t.Fatalf("Do = %v, want an Error naming receiver_auth.client_secret", err)
	}
	for _, e := range []error{err, ve} {
		if strings.Contains(e.Error(), "wrong-secret") || strings.Contains(e.Error(), "right-secret") {
			t.Errorf("error repeats a secret: %v", e)
		}
	}
	h.ReceiverAuth.TokenURL = "http://127.0.0.1:1/token" // nothing listens
	if err := a.Check(context.Background(), h.ReceiverAuth); !errors.As(err, &ve) || ve.Fields[0].Field != "receiver_auth.token_url" ||
		!strings.Contains(ve.Fields[0].Problem, "could not be reached: it refused the connection") || strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("Check with a dead token endpoint = %v, want the reason without the address", err)
	}
	h.ReceiverAuth.TokenURL = ts.URL + "/elsewhere" // 404, no OAuth error
	if err := a.Check(context.Background(), h.ReceiverAuth); !errors.As(err, &ve) || ve.Fields[0].Field != "receiver_auth.token_url" ||
		!strings.Contains(ve.Fields[0].Problem, "404") {
		t.Errorf("Check with a token endpoint answering 404 = %v", err)
	}
}

// The token endpoint goes through the same SSRF guard as deliveries.
func TestTokenEndpointIsGuarded(t *testing.T) {
	ts := authtest.NewTokenServer(t, "hookflow", "s")
	a := newAuthenticator(false)
	h := oauthHook(ts, "https://receiver.example.com/")
	err := a.Check(context.Background(), h.ReceiverAuth)
	var ve *models.ValidationError
	if !errors.As(err, &ve) || ve.Fields[0].Field != "receiver_auth.token_url" || !strings.Contains(ve.Fields[0].Problem, "not public") {
		t.Errorf("Check with a loopback token endpoint = %v, want a 400 naming receiver_auth.token_url", err)
	}
	if _, err := post(t, a, h); !errors.Is(err, egress.ErrRefused) {
		t.Errorf("Do with a loopback token endpoint = %v, want egress.ErrRefused", err)
	}
	if n := len(ts.Issued()); n != 0 {
		t.Errorf("the loopback token endpoint was reached %d times", n)
	}
}

// A receiver requiring a client certificate is reached with one, and
// without one (or with one it does not trust) the error says so.
func TestMTLS(t *testing.T) {
	ca := authtest.NewCA(t)
	srv := ca.MTLSServer(t, &recorder{})
	a := newAuthenticator(true)
	cert, key := ca.Client(t, "hookflow")
	h := &models.Hook{ID: 3, TargetURL: srv.URL, ReceiverAuth: &models.ReceiverAuth{Type: models.AuthMTLS, CertPEM: cert, KeyPEM: key, CAPEM: ca.PEM}}
	if err := a.Check(context.Background(), h.ReceiverAuth); err != nil {
		t.Fatalf("Check = %v", err)
	}
	if code, err := post(t, a, h); code != 200 || err != nil {
		t.Fatalf("with the certificate: %d, %v", code, err)
	}

	bare := &models.Hook{ID: 4, TargetURL: srv.URL, InsecureSSL: true}
	if _, err := post(t, a, bare); err == nil || !strings.Contains(err.Error(), "asks for a TLS client certificate") {
		t.Errorf("without a certificate: %v, want the reason", err)
	}
	other := authtest.NewCA(t)
	cert2, key2 := other.Client(t, "stranger")
	h.ReceiverAuth = &models.ReceiverAuth{Type: models.AuthMTLS, CertPEM: cert2, KeyPEM: key2, CAPEM: ca.PEM}
	if _, err := post(t, a, h); err == nil || !strings.Contains(err.Error(), "refused the client certificate") {
		t.Errorf("with an untrusted certificate: %v, want the reason", err)
	}
	h.ReceiverAuth = &models.ReceiverAuth{Type: models.AuthMTLS, CertPEM: cert, KeyPEM: key} // no ca_pem: system roots
	if _, err := post(t, a, h); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("the receiver's certificate from an unknown CA was accepted: %v", err)
	}

	// A certificate past its end: a 400 at save time, the attempt's reason later.
	old, oldKey := ca.Issue(t, "hookflow", time.Now().Add(-3*time.Hour), time.Now().Add(-2*time.Hour))
	expired := &models.ReceiverAuth{Type: models.AuthMTLS, CertPEM: old, KeyPEM: oldKey, CAPEM: ca.PEM}
	var ve *models.ValidationError
	if err := a.Check(context.Background(), expired); !errors.As(err, &ve) || ve.Fields[0].Field != "receiver_auth.cert_pem" ||
		!strings.Contains(ve.Fields[0].Problem, "expired") {
		t.Errorf("Check of an expired certificate = %v", err)
	}
	h.ReceiverAuth = &models.ReceiverAuth{Type: models.AuthMTLS, CertPEM: cert, KeyPEM: key, CAPEM: ca.PEM}
	a.Now = func() time.Time { return time.Now().Add(2 * time.Hour) } // the certificate has run out since it was saved
	var ae *receiverauth.Error
	if _, err := post(t, a, h); !errors.As(err, &ae) || ae.Field != "receiver_auth.cert_pem" || !strings.Contains(err.Error(), "expired") {
		t.Errorf("sending with an expired certificate = %v, want an Error naming receiver_auth.cert_pem", err)
	}
}
