// Package egress is the HTTP client deliveries go out through: pooled,
// time-bounded, never following redirects, and refusing private addresses at
// connect time so a hook cannot reach into the network hookflow runs in.
package egress

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrRefused marks a connection the SSRF policy refused.
var ErrRefused = errors.New("target address refused")

// Options configure the delivery clients.
type Options struct {
	AllowPrivate   bool          // allow loopback, private, link-local... targets (dev default)
	Timeout        time.Duration // whole request, including reading the response
	ConnectTimeout time.Duration
	TLSTimeout     time.Duration
}

// Clients holds the two delivery clients: one verifying TLS and one, for
// hooks with insecure_ssl, that does not. Each pools its connections.
type Clients struct {
	verified, insecure *http.Client
}

// New builds the clients.
func New(o Options) *Clients {
	return &Clients{verified: newClient(o, false), insecure: newClient(o, true)}
}

// For returns the client for a hook.
func (c *Clients) For(insecureSSL bool) *http.Client {
	if insecureSSL {
		return c.insecure
	}
	return c.verified
}

func newClient(o Options, insecure bool) *http.Client {
	dialer := &net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}
	if !o.AllowPrivate {
		// Control runs after DNS resolution with the address actually dialled,
		// so a name that resolves to a private address (DNS rebinding) is caught.
		dialer.Control = func(_, address string, _ syscall.RawConn) error { return CheckAddress(address) }
	}
	t := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us and bypass the address check
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   o.TLSTimeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConns:          1000,
		MaxIdleConnsPerHost:   100,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	if insecure {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // the hook owner asked for it (insecure_ssl)
	}
	return &http.Client{
		Transport: t,
		Timeout:   o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect is the receiver's answer, not a new target
		},
	}
}

// CheckAddress refuses an "ip:port" whose IP is not publicly routable:
// loopback, private (RFC 1918, IPv6 ULA), link-local (cloud metadata lives at
// 169.254.169.254), CGNAT, unspecified, multicast and IPv4-mapped forms of those.
func CheckAddress(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s is not an IP address", ErrRefused, address)
	}
	ip := ap.Addr().Unmap()
	if !Public(ip) {
		return fmt.Errorf("%w: %s is not a public address (set HOOKFLOW_ALLOW_PRIVATE_TARGETS=true to allow it)", ErrRefused, ip)
	}
	return nil
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Public reports whether ip is a publicly routable unicast address.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && !ip.IsLoopback() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast() &&
		!ip.IsLinkLocalMulticast() && !ip.IsInterfaceLocalMulticast() && !ip.IsMulticast() &&
		!ip.IsUnspecified() && !cgnat.Contains(ip)
}
