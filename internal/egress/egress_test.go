package egress

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

func TestPublic(t *testing.T) {
	refused := []string{
		"127.0.0.1", "127.9.9.9", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
		"0.0.0.0", "0.1.2.3", "::", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
		"224.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1", "240.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1",
		"2001:db8::1", "ff02::1",
	}
	public := []string{"93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"}
	for _, s := range refused {
		if Public(netip.MustParseAddr(s)) {
			t.Errorf("Public(%s) = true, want refused", s)
		}
	}
	for _, s := range public {
		if !Public(netip.MustParseAddr(s)) {
			t.Errorf("Public(%s) = false, want allowed", s)
		}
	}
}

// lyingDNS answers every A query with ip: a public-looking name that
// resolves to a private address, as in DNS rebinding.
func lyingDNS(t *testing.T, ip [4]byte) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
			_ = b.StartQuestions()
			_ = b.Question(q)
			_ = b.StartAnswers()
			if q.Type == dnsmessage.TypeA {
				_ = b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 1}, dnsmessage.AResource{A: ip})
			}
			msg, _ := b.Finish()
			_, _ = pc.WriteTo(msg, addr)
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// A name that resolves to loopback is refused at connect time, after DNS,
// so DNS rebinding cannot pass; with AllowPrivate the same request goes through.
func TestDialerRefusesPrivateAddressesAfterResolution(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	target := "http://hooks.public-looking.example" + port + "/"
	res := lyingDNS(t, [4]byte{127, 0, 0, 1})

	guarded := New(Options{Timeout: 5 * time.Second, ConnectTimeout: time.Second, TLSTimeout: time.Second, Resolver: res})
	resp, err := guarded.For(false).Post(target, "application/json", nil)
	if err == nil {
		resp.Body.Close()
		t.Fatal("request to a name resolving to 127.0.0.1 went through")
	}
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "127.0.0.1 is not a public address") {
		t.Errorf("err = %v, want ErrRefused naming the address", err)
	}
	if _, err := guarded.For(true).Post("http://127.0.0.1"+port+"/", "", nil); !errors.Is(err, ErrRefused) {
		t.Errorf("insecure_ssl client is not guarded: %v", err)
	}
	if hits.Load() != 0 {
		t.Fatalf("the private target got %d requests", hits.Load())
	}

	open := New(Options{AllowPrivate: true, Timeout: 5 * time.Second, ConnectTimeout: time.Second, TLSTimeout: time.Second, Resolver: res})
	resp, err = open.For(false).Post(target, "application/json", nil)
	if err != nil {
		t.Fatalf("with AllowPrivate: %v", err)
	}
	resp.Body.Close()
	if hits.Load() != 1 {
		t.Errorf("with AllowPrivate the target got %d requests, want 1", hits.Load())
	}
}

func TestRedirectsAreNotFollowedAndTimeoutsHold(t *testing.T) {
	var followed atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		case "/elsewhere":
			followed.Add(1)
		case "/slow":
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		}
	}))
	defer srv.Close()
	c := New(Options{AllowPrivate: true, Timeout: 300 * time.Millisecond, ConnectTimeout: time.Second, TLSTimeout: time.Second}).For(false)
	resp, err := c.Post(srv.URL+"/redirect", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || followed.Load() != 0 {
		t.Errorf("redirect: status %d, followed %d times", resp.StatusCode, followed.Load())
	}
	began := time.Now()
	if _, err := c.Post(srv.URL+"/slow", "", nil); err == nil || time.Since(began) > 3*time.Second {
		t.Errorf("slow receiver: err %v after %s, want a timeout near 300ms", err, time.Since(began))
	}
}
