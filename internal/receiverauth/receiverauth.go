// Package receiverauth presents a hook's receiver credentials
// (receiver_auth) with its deliveries and test deliveries: Basic and bearer
// Authorization headers, OAuth 2.0 client-credentials tokens (fetched with
// golang.org/x/oauth2/clientcredentials, cached until shortly before they
// expire, fetched again once on a 401), and TLS client certificates. Every
// connection, to receivers and to token endpoints alike, goes through the
// egress package's guarded dialer.
package receiverauth

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/hookflow/hookflow/internal/egress"
	"github.com/hookflow/hookflow/models"
)

// TokenMargin is how long before its expiry a cached token is replaced, so
// a token never runs out between being sent and being checked.
const TokenMargin = 30 * time.Second

// cacheSize bounds the per-hook token and TLS client caches; past it the
// least recently used hook's entry goes.
const cacheSize = 10000

// Authenticator sends requests to receivers with their hooks' credentials.
// Make one per process with New; it is safe for concurrent use.
type Authenticator struct {
	clients *egress.Clients
	// Now is the clock certificates and tokens are checked against.
	Now func() time.Time

	mu     sync.Mutex
	tokens *simplelru.LRU[int64, *tokenEntry]
	tls    *simplelru.LRU[int64, *tlsEntry]
}

// tokenEntry is one hook's OAuth token. Its mutex makes concurrent
// deliveries to the hook share one token request.
type tokenEntry struct {
	fp  [32]byte
	cfg *clientcredentials.Config // keeps the auth style the endpoint accepted
	mu  sync.Mutex
	tok *oauth2.Token
}

// tlsEntry is one hook's client with its client certificate; it pools its connections.
type tlsEntry struct {
	fp     [32]byte
	client *http.Client
}

// New returns an Authenticator sending through clients.
func New(clients *egress.Clients) *Authenticator {
	a := &Authenticator{clients: clients, Now: time.Now}
	a.tokens, _ = simplelru.NewLRU[int64, *tokenEntry](cacheSize, nil) // fails only for a size < 1
	a.tls, _ = simplelru.NewLRU(cacheSize, func(_ int64, e *tlsEntry) { e.client.CloseIdleConnections() })
	return a
}

// Error is a problem with a hook's credentials found when using them: an
// expired certificate, a token endpoint that refuses or cannot be reached.
// Its text names the field and never holds a credential; it is what the
// attempt log shows.
type Error struct {
	Field  string // receiver_auth.<field>
	Reason string
	cause  error // for errors.Is (egress.ErrRefused); its text is not shown
}

func (e *Error) Error() string { return e.Field + ": " + e.Reason }

// Unwrap returns the cause, so a refused token endpoint is errors.Is egress.ErrRefused.
func (e *Error) Unwrap() error { return e.cause }

// Do sends req to h's receiver with h's credentials. With OAuth, a 401
// answer makes it fetch a new token and send once more: the token may have
// been revoked before its expiry.
func (a *Authenticator) Do(h *models.Hook, req *http.Request) (*http.Response, error) {
	auth := h.ReceiverAuth
	if auth == nil {
		resp, err := a.clients.For(h.InsecureSSL).Do(req)
		return resp, explainTLS(err, false)
	}
	client := a.clients.For(h.InsecureSSL) // basic, bearer and OAuth; mtls has a client of its own
	switch auth.Type {
	case models.AuthBasic:
		req.SetBasicAuth(auth.Username, auth.Password)
	case models.AuthBearer:
		req.Header.Set("Authorization", "Bearer "+auth.Token)
	case models.AuthMTLS:
		c, err := a.tlsClient(h)
		if err != nil {
			return nil, err
		}
		resp, err := c.Do(req)
		return resp, explainTLS(err, true)
	case models.AuthOAuth2:
		return a.doOAuth(h, client, req)
	default:
		return nil, &Error{Field: "receiver_auth.type", Reason: "unknown type " + string(auth.Type)}
	}
	resp, err := client.Do(req)
	return resp, explainTLS(err, false)
}

func (a *Authenticator) doOAuth(h *models.Hook, client *http.Client, req *http.Request) (*http.Response, error) {
	e := a.tokenEntry(h)
	tok, err := a.token(req.Context(), e, nil)
	if err != nil {
		return nil, err
	}
	tok.SetAuthHeader(req)
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || req.GetBody == nil {
		return resp, explainTLS(err, false)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if tok, err = a.token(req.Context(), e, tok); err != nil {
		return nil, err
	}
	retry := req.Clone(req.Context())
	if retry.Body, err = req.GetBody(); err != nil {
		return nil, fmt.Errorf("resend with a new token: %w", err)
	}
	tok.SetAuthHeader(retry)
	resp, err = client.Do(retry)
	return resp, explainTLS(err, false)
}

// tokenEntry returns h's token cache entry, a fresh one when its OAuth
// settings changed since the entry was made.
func (a *Authenticator) tokenEntry(h *models.Hook) *tokenEntry {
	fp := fingerprint(h)
	a.mu.Lock()
	defer a.mu.Unlock()
	if e, ok := a.tokens.Get(h.ID); ok && e.fp == fp {
		return e
	}
	auth := h.ReceiverAuth
	e := &tokenEntry{fp: fp, cfg: &clientcredentials.Config{
		ClientID: auth.ClientID, ClientSecret: auth.ClientSecret, TokenURL: auth.TokenURL, Scopes: auth.Scopes}}
	a.tokens.Add(h.ID, e)
	return e
}

// token returns e's cached token while it has more than TokenMargin left,
// else fetches one. stale is a token the receiver refused: unless another
// delivery replaced it already, it is fetched again whatever its expiry.
func (a *Authenticator) token(ctx context.Context, e *tokenEntry, stale *oauth2.Token) (*oauth2.Token, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tok != nil && e.tok != stale && (e.tok.Expiry.IsZero() || a.Now().Add(TokenMargin).Before(e.tok.Expiry)) {
		return e.tok, nil
	}
	tok, err := a.fetch(ctx, e.cfg)
	if err != nil {
		e.tok = nil
		return nil, err
	}
	e.tok = tok
	return tok, nil
}

// fetch requests a token, through the guarded client.
func (a *Authenticator) fetch(ctx context.Context, cfg *clientcredentials.Config) (*oauth2.Token, error) {
	tok, err := cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, a.clients.For(false)))
	if err != nil {
		return nil, tokenError(err)
	}
	return tok, nil
}

// endpointWords rewords egress.Describe's "the target" for the token endpoint.
var endpointWords = strings.NewReplacer("the target's", "its", "the target", "it")

// tokenError says why no token came, naming the field to fix. The token
// endpoint's body is not quoted: it is the endpoint's, and could echo a
// credential.
func tokenError(err error) *Error {
	var re *oauth2.RetrieveError
	var ne net.Error
	switch {
	case errors.Is(err, egress.ErrRefused):
		return &Error{Field: "receiver_auth.token_url", Reason: "the token endpoint's address is not public (loopback, private or reserved): hookflow may not reach it", cause: err}
	case errors.As(err, &re) && re.Response != nil:
		status := "answered " + re.Response.Status
		if re.ErrorCode != "" {
			status += " (" + re.ErrorCode + ")"
		}
		switch re.ErrorCode {
		case "invalid_client", "unauthorized_client":
			return &Error{Field: "receiver_auth.client_secret", Reason: "the token endpoint refused client_id and client_secret: it " + status, cause: err}
		case "invalid_scope":
			return &Error{Field: "receiver_auth.scopes", Reason: "the token endpoint refused the scopes: it " + status, cause: err}
		}
		return &Error{Field: "receiver_auth.token_url", Reason: "the token endpoint " + status, cause: err}
	case errors.As(err, &ne):
		// Described as deliveries are: no URL, no resolved address.
		return &Error{Field: "receiver_auth.token_url", Reason: "the token endpoint could not be reached: " +
			endpointWords.Replace(egress.Describe(err)), cause: err}
	}
	// oauth2's own complaints about the answer, such as a missing access_token.
	return &Error{Field: "receiver_auth.token_url", Reason: "the token endpoint's answer is not an OAuth token: " + strings.TrimPrefix(err.Error(), "oauth2: "), cause: err}
}

// tlsClient returns the client presenting h's client certificate, made once
// per hook and certificate so its connections are pooled.
func (a *Authenticator) tlsClient(h *models.Hook) (*http.Client, error) {
	auth := h.ReceiverAuth
	if err := auth.CheckValidity(a.Now()); err != nil {
		return nil, fieldError(err)
	}
	fp := fingerprint(h)
	a.mu.Lock()
	defer a.mu.Unlock()
	if e, ok := a.tls.Get(h.ID); ok {
		if e.fp == fp {
			return e.client, nil
		}
		e.client.CloseIdleConnections()
	}
	pair, err := tls.X509KeyPair([]byte(auth.CertPEM), []byte(auth.KeyPEM))
	if err != nil { // validated when saved, so only a hand-edited row gets here
		return nil, &Error{Field: "receiver_auth.key_pem", Reason: "the certificate and key do not form a pair"}
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12,
		InsecureSkipVerify: h.InsecureSSL} // the hook owner asked for it (insecure_ssl)
	if auth.CAPEM != "" {
		cfg.RootCAs = x509.NewCertPool()
		cfg.RootCAs.AppendCertsFromPEM([]byte(auth.CAPEM))
	}
	c := a.clients.WithTLS(cfg)
	a.tls.Add(h.ID, &tlsEntry{fp: fp, client: c})
	return c, nil
}

// fieldError turns a one-field ValidationError into an Error.
func fieldError(err error) error {
	var ve *models.ValidationError
	if errors.As(err, &ve) && len(ve.Fields) > 0 {
		return &Error{Field: ve.Fields[0].Field, Reason: ve.Fields[0].Problem}
	}
	return err
}

// fingerprint identifies h's credentials and TLS choice, so a cached token
// or client is dropped when the hook's receiver_auth changes.
func fingerprint(h *models.Hook) [32]byte {
	b, _ := json.Marshal(struct { // a struct of strings always encodes
		Auth     *models.ReceiverAuth
		Insecure bool
	}{h.ReceiverAuth, h.InsecureSSL})
	return sha256.Sum256(b)
}

// explainTLS turns a receiver's TLS alert about client certificates into
// what it means here: it wants one, or refused the one sent. Other errors
// are returned as they are.
func explainTLS(err error, sentCert bool) error {
	var op *net.OpError
	if err == nil || !errors.As(err, &op) || op.Op != "remote error" || !strings.Contains(op.Err.Error(), "certificate") {
		return err
	}
	alert := strings.TrimPrefix(op.Err.Error(), "tls: ") // such as "certificate required": no address in it
	if sentCert {
		return &Error{Field: "receiver_auth.cert_pem", Reason: "the receiver refused the client certificate (TLS alert: " + alert + ")", cause: err}
	}
	return &Error{Field: "receiver_auth", Reason: "the receiver asks for a TLS client certificate (TLS alert: " + alert + "): set receiver_auth of type mtls", cause: err}
}

// Describe says why a request to a hook's receiver failed, in words safe to
// show a tenant, log and keep in a Temporal history: a credential problem
// as its Error says it, anything else as egress.Describe does (no URL, no
// address).
func Describe(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return egress.Describe(err)
}

// Check tries credentials about to be saved, so a mistake is a 400 naming
// the field instead of failed deliveries later: a client certificate must
// be valid now, and an OAuth token endpoint must issue a token (one
// request, through the SSRF guard; the token is not kept).
func (a *Authenticator) Check(ctx context.Context, auth *models.ReceiverAuth) error {
	if err := auth.CheckValidity(a.Now()); err != nil {
		return err
	}
	if auth.Type != models.AuthOAuth2 {
		return nil
	}
	_, err := a.fetch(ctx, &clientcredentials.Config{
		ClientID: auth.ClientID, ClientSecret: auth.ClientSecret, TokenURL: auth.TokenURL, Scopes: auth.Scopes})
	var e *Error
	if errors.As(err, &e) {
		return models.Invalid(e.Field, e.Reason)
	}
	return err
}
