// Package egress is the HTTP client deliveries go out through: pooled,
// time-bounded, never following redirects, and refusing private addresses at
// connect time so a hook cannot reach into the network hookflow runs in.
package egress

import (
	"context"
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
	Resolver       *net.Resolver // nil: the system's; tests inject a lying one
}

// Clients holds the two delivery clients: one verifying TLS and one, for
// hooks with insecure_ssl, that does not. Each pools its connections.
type Clients struct {
	verified, insecure *http.Client
	opts               Options
	dial               func(ctx context.Context, network, address string) (net.Conn, error)
}

// New builds the clients.
func New(o Options) *Clients {
	c := &Clients{opts: o, dial: guardedDialer(o).DialContext}
	c.verified = c.newClient(nil)
	c.insecure = c.newClient(&tls.Config{InsecureSkipVerify: true}) // the hook owner asked for it (insecure_ssl)
	return c
}

// For returns the client for a hook.
func (c *Clients) For(insecureSSL bool) *http.Client {
	if insecureSSL {
		return c.insecure
	}
	return c.verified
}

// WithTLS returns a client like the others — the same guarded dialer,
// timeouts and redirect rule — that uses cfg for TLS: for a hook that
// presents a client certificate or trusts CAs of its own. It pools its own
// connections; call CloseIdleConnections when it is no longer used.
func (c *Clients) WithTLS(cfg *tls.Config) *http.Client { return c.newClient(cfg) }

// guardedDialer is the one dialer of every client: it refuses non-public
// addresses unless AllowPrivate.
func guardedDialer(o Options) *net.Dialer {
	dialer := &net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second, Resolver: o.Resolver}
	if !o.AllowPrivate {
		// Control runs after DNS resolution with the address actually dialled,
		// so a name that resolves to a private address (DNS rebinding) is caught.
		dialer.Control = func(_, address string, _ syscall.RawConn) error { return CheckAddress(address) }
	}
	return dialer
}

func (c *Clients) newClient(tlsConfig *tls.Config) *http.Client {
	o := c.opts
	t := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us and bypass the address check
		DialContext:           c.dial,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   o.TLSTimeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConns:          1000,
		MaxIdleConnsPerHost:   100,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
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

// nonPublic lists ranges net/netip has no predicate for: shared (CGNAT),
// "this network", IETF, benchmarking, documentation and reserved space, and
// IPv6 prefixes that embed an IPv4 address a gateway would reach for us.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("2002::/16"),      // 6to4
	netip.MustParsePrefix("2001::/32"),      // Teredo
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("100::/64"),       // discard
}

// Public reports whether ip is a publicly routable unicast address.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}
