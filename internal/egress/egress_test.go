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

// TestSpecialPurposeRanges walks IANA's IPv4 and IPv6 Special-Purpose
// Address Registries (and the deprecated ranges still routed somewhere):
// one row per range, an address inside it, refused.
func TestSpecialPurposeRanges(t *testing.T) {
	tests := []struct{ rng, addr string }{
		{"0.0.0.0/8 this network", "0.1.2.3"},
		{"10.0.0.0/8 private", "10.9.8.7"},
		{"100.64.0.0/10 shared", "100.127.255.254"},
		{"127.0.0.0/8 loopback", "127.1.2.3"},
		{"169.254.0.0/16 link-local", "169.254.1.1"},
		{"172.16.0.0/12 private", "172.31.255.254"},
		{"192.0.0.0/24 IETF protocol assignments", "192.0.0.170"},
		{"192.0.2.0/24 TEST-NET-1", "192.0.2.55"},
		{"192.88.99.0/24 6to4 relay anycast", "192.88.99.1"},
		{"192.168.0.0/16 private", "192.168.200.1"},
		{"198.18.0.0/15 benchmarking", "198.19.255.1"},
		{"198.51.100.0/24 TEST-NET-2", "198.51.100.9"},
		{"203.0.113.0/24 TEST-NET-3", "203.0.113.77"},
		{"224.0.0.0/4 multicast", "239.1.1.1"},
		{"240.0.0.0/4 reserved", "250.1.1.1"},
		{"255.255.255.255/32 broadcast", "255.255.255.255"},
		{"::1/128 loopback", "::1"},
		{"::/128 unspecified", "::"},
		{"::/96 IPv4-compatible", "::127.0.0.1"},
		{"::/96 IPv4-compatible, public v4 inside", "::8.8.8.8"},
		{"::ffff:0:0/96 IPv4-mapped", "::ffff:192.168.1.1"},
		{"::ffff:0:0:0/96 IPv4-translated", "::ffff:0:7f00:1"},
		{"64:ff9b::/96 NAT64", "64:ff9b::a00:1"},
		{"64:ff9b:1::/48 local-use NAT64", "64:ff9b:1::1"},
		{"100::/64 discard-only", "100::1"},
		{"100:0:0:1::/64 dummy prefix", "100:0:0:1::1"},
		{"2001::/32 Teredo", "2001:0:4136:e378::1"},
		{"2001:2::/48 benchmarking", "2001:2::1"},
		{"2001:10::/28 ORCHID", "2001:10::1"},
		{"2001:20::/28 ORCHIDv2", "2001:20::1"},
		{"2001:db8::/32 documentation", "2001:db8:1::1"},
		{"2002::/16 6to4", "2002:c000:0201::1"},
		{"3fff::/20 documentation", "3fff:0fff::1"},
		{"5f00::/16 segment routing", "5f00::1"},
		{"fc00::/7 unique local", "fd12:3456::1"},
		{"fe80::/10 link-local", "fe80::1"},
		{"fec0::/10 site-local", "fec0::1"},
		{"ff00::/8 multicast", "ff05::2"},
	}
	for _, tt := range tests {
		t.Run(tt.rng, func(t *testing.T) {
			if Public(netip.MustParseAddr(tt.addr)) {
				t.Errorf("Public(%s) = true; %s is not publicly routable", tt.addr, tt.rng)
			}
			if err := CheckAddress(netip.AddrPortFrom(netip.MustParseAddr(tt.addr), 443).String()); !errors.Is(err, ErrRefused) {
				t.Errorf("CheckAddress(%s) = %v, want ErrRefused", tt.addr, err)
			}
		})
	}
	// The neighbours of the new ranges stay public.
	for _, s := range []string{"192.88.98.1", "192.88.100.1", "2001:200::1", "2400:cb00::1", "4000::1", "2620:4f:8000::1"} {
		if !Public(netip.MustParseAddr(s)) {
			t.Errorf("Public(%s) = false, want allowed", s)
		}
	}
}
