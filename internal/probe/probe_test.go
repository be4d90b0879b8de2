package probe_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/egress"
	"github.com/hookflow/hookflow/internal/payload"
	"github.com/hookflow/hookflow/internal/probe"
	"github.com/hookflow/hookflow/internal/receiverauth"
	"github.com/hookflow/hookflow/internal/signature"
	"github.com/hookflow/hookflow/models"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestTestHookSendsEveryFormat(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	s := probe.New(receiverauth.New(egress.New(egress.Options{AllowPrivate: true, Timeout: 5 * time.Second})))
	for _, x := range payload.Formats.All() {
		f := x.Name
		h := &models.Hook{ID: 7, Tenant: "acme", Name: "t", TargetURL: srv.URL, Secret: secret, Format: f,
			Headers: models.JSON[map[string]string]{V: map[string]string{"X-Api-Key": "k1"}}}
		r, err := s.TestHook(context.Background(), h)
		if err != nil || !r.OK() || r.StatusCode != http.StatusAccepted {
			t.Errorf("%s: TestHook = %+v, %v", f, r, err)
			continue
		}
		if got.Header.Get(probe.TestHeader) != "true" || got.Header.Get("X-Api-Key") != "k1" || got.Header.Get("Content-Type") == "" {
			t.Errorf("%s: headers %v", f, got.Header)
		}
		if f == payload.Standard && !signature.VerifyStandard(secret, got.Header.Get("Webhook-Id"), got.Header.Get("Webhook-Timestamp"),
			got.Header.Get("Webhook-Signature"), body, time.Now(), time.Minute) {
			t.Errorf("standard: signature does not verify: %v", got.Header)
		}
	}
}

func TestTestHookReportsNoAnswer(t *testing.T) {
	// Without AllowPrivate the egress policy refuses loopback, as in production.
	s := probe.New(receiverauth.New(egress.New(egress.Options{Timeout: time.Second})))
	r, err := s.TestHook(context.Background(), &models.Hook{TargetURL: "http://127.0.0.1:9/", Secret: secret, Format: payload.Standard})
	if err != nil || r.OK() || r.Error == "" || r.StatusCode != 0 {
		t.Errorf("TestHook to a refused address = %+v, %v", r, err)
	}
}

// A test delivery is signed as the hook's deliveries are: during a secret
// rotation, a receiver still holding the previous secret accepts it too.
func TestTestHookSignsWithBothSecretsDuringARotation(t *testing.T) {
	const previous = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
	var got http.Header
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header
		body, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	expires := time.Now().Add(time.Hour)
	h := &models.Hook{ID: 7, TargetURL: srv.URL, Secret: secret, PreviousSecret: previous, PreviousSecretExpires: &expires, Format: payload.Standard}
	r, err := probe.New(receiverauth.New(egress.New(egress.Options{AllowPrivate: true, Timeout: 5 * time.Second}))).TestHook(context.Background(), h)
	if err != nil || !r.OK() {
		t.Fatalf("TestHook = %+v, %v", r, err)
	}
	for _, s := range []string{secret, previous} {
		if !signature.VerifyStandard(s, got.Get("Webhook-Id"), got.Get("Webhook-Timestamp"), got.Get("Webhook-Signature"), body, time.Now(), time.Minute) {
			t.Errorf("a receiver with secret %.10s… rejects the test delivery: %v", s, got)
		}
	}
}

// A test delivery is no DNS oracle (issue 14): its error never shows the
// address a name resolved to, the resolver's address, or the target's URL.
func TestTestHookErrorsAreGeneric(t *testing.T) {
	dead, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	resolver := dead.LocalAddr().String()
	dead.Close() // a resolver that refuses every query
	clients := egress.New(egress.Options{Timeout: 2 * time.Second, ConnectTimeout: time.Second, TLSTimeout: time.Second,
		Resolver: &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", resolver)
		}}})
	s := probe.New(receiverauth.New(clients))
	for _, target := range []string{
		"http://db.internal.example/hooks?token=capability", // resolution fails
		"http://10.1.2.3:5432/hooks?token=capability",       // a private address
		"http://[fd00::1]:80/hooks?token=capability",
	} {
		h := &models.Hook{ID: 7, Tenant: "acme", Name: "t", TargetURL: target, Secret: secret, Format: payload.Standard}
		r, err := s.TestHook(context.Background(), h)
		if err != nil || r.Error == "" {
			t.Fatalf("TestHook(%s) = %+v, %v; want a failed result", target, r, err)
		}
		for _, leak := range []string{resolver, "127.0.0.1", "10.1.2.3", "fd00", "db.internal", "capability", "lookup", "dial"} {
			if strings.Contains(r.Error, leak) {
				t.Errorf("TestHook(%s).Error = %q; it shows %q", target, r.Error, leak)
			}
		}
	}
}
