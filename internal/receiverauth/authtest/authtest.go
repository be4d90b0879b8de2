// Package authtest runs real peers for receiver-authentication tests: a
// certificate authority issuing client and server certificates, an HTTPS
// receiver that requires a client certificate, and an OAuth 2.0 token server
// (client credentials) whose tokens expire and can be revoked.
package authtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// CA is a certificate authority of a test.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	PEM  string // its certificate, for ca_pem or a server's ClientCAs
}

// NewCA returns a CA valid for a day either side of now.
func NewCA(t testing.TB) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{SerialNumber: serial(t), Subject: pkix.Name{CommonName: "hookflow test CA"},
		NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &CA{cert: cert, key: key, PEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

// Issue returns a client certificate for cn valid from notBefore to
// notAfter, and its private key, both PEM.
func (ca *CA) Issue(t testing.TB, cn string, notBefore, notAfter time.Time) (certPEM, keyPEM string) {
	t.Helper()
	return ca.issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: cn}, NotBefore: notBefore, NotAfter: notAfter,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
}

// Client returns a client certificate valid now.
func (ca *CA) Client(t testing.TB, cn string) (certPEM, keyPEM string) {
	return ca.Issue(t, cn, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
}

func (ca *CA) issue(t testing.TB, tmpl *x509.Certificate) (string, string) {
	t.Helper()
	key := newKey(t)
	tmpl.SerialNumber = serial(t)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}))
}

// Server returns a server certificate for 127.0.0.1 and names, valid now,
// and its private key, both PEM. It is good for client authentication too:
// a cluster's servers (Temporal's services) present theirs to each other.
func (ca *CA) Server(t testing.TB, names ...string) (certPEM, keyPEM string) {
	t.Helper()
	return ca.issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: names,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}})
}

// MTLSServer starts an HTTPS server on 127.0.0.1 whose certificate ca
// issued, that requires a client certificate ca issued. It is closed when
// the test ends.
func (ca *CA) MTLSServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	certPEM, keyPEM := ca.Server(t)
	pair, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are what tests provoke
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func serial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TokenServer is an OAuth 2.0 token endpoint (client credentials, RFC 6749
// §4.4) at URL + "/token". It counts the tokens it issues, and Protect
// guards a receiver with them.
type TokenServer struct {
	*httptest.Server
	ClientID, ClientSecret string

	mu        sync.Mutex
	lifetimes []time.Duration // the nth token lives lifetimes[n]; the last repeats; 0: no expires_in
	issued    []string
	expiry    map[string]time.Time // zero: never expires
	scopes    []string             // the scope parameter of each request
	revoked   map[string]bool
	refuse    bool
}

// NewTokenServer starts a token server for one client. Each token it
// issues lives the next of lifetimes (the last repeats; none: no expiry).
func NewTokenServer(t testing.TB, clientID, clientSecret string, lifetimes ...time.Duration) *TokenServer {
	s := &TokenServer{ClientID: clientID, ClientSecret: clientSecret, lifetimes: lifetimes,
		expiry: map[string]time.Time{}, revoked: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serveToken))
	t.Cleanup(s.Close)
	return s
}

// TokenURL is the token endpoint.
func (s *TokenServer) TokenURL() string { return s.URL + "/token" }

func (s *TokenServer) serveToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.URL.Path != "/token" || r.Method != http.MethodPost:
		w.WriteHeader(http.StatusNotFound)
		return
	case r.PostFormValue("grant_type") != "client_credentials":
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"unsupported_grant_type"}`))
		return
	case s.refuse || id != s.ClientID || secret != s.ClientSecret:
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"client authentication failed"}`))
		return
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	tok := "at-" + hex.EncodeToString(b)
	answer := map[string]any{"access_token": tok, "token_type": "bearer"}
	if len(s.lifetimes) > 0 {
		life := s.lifetimes[min(len(s.issued), len(s.lifetimes)-1)]
		if life > 0 {
			answer["expires_in"] = int(life.Seconds())
			s.expiry[tok] = time.Now().Add(life)
		}
	}
	s.issued = append(s.issued, tok)
	s.scopes = append(s.scopes, r.PostFormValue("scope"))
	_ = json.NewEncoder(w).Encode(answer)
}

// Issued returns the tokens issued so far, oldest first: one per fetch.
func (s *TokenServer) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

// Scopes returns the scope parameter of each token request.
func (s *TokenServer) Scopes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.scopes...)
}

// Revoke makes Protect refuse every token issued so far, as an
// authorization server does before the tokens' expiry.
func (s *TokenServer) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tok := range s.issued {
		s.revoked[tok] = true
	}
}

// Refuse makes the endpoint answer 401 invalid_client from now on.
func (s *TokenServer) Refuse() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = true
}

// Protect answers 401 to requests without a Bearer token this server
// issued, did not revoke and that has not expired, and passes the others to next.
func (s *TokenServer) Protect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		exp, known := s.expiry[tok]
		if !known {
			for _, t := range s.issued {
				known = known || t == tok
			}
		}
		valid := ok && known && !s.revoked[tok] && (exp.IsZero() || time.Now().Before(exp))
		s.mu.Unlock()
		if !valid {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
