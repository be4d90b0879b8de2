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

// nonPublic lists the special-purpose ranges net/netip has no predicate
// for, from IANA's IPv4 and IPv6 Special-Purpose Address Registries (every
// entry not marked globally reachable), plus deprecated ranges a router may
// still honour and IPv6 prefixes that embed an IPv4 address a gateway would
// reach for us. docs/security.md lists them with their sources.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network" (RFC 791)
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space, CGNAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments (RFC 6890)
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation, TEST-NET-1 (RFC 5737)
	netip.MustParsePrefix("192.88.99.0/24"),  // deprecated 6to4 relay anycast (RFC 7526)
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking (RFC 2544)
	netip.MustParsePrefix("198.51.100.0/24"), // documentation, TEST-NET-2 (RFC 5737)
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation, TEST-NET-3 (RFC 5737)
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the limited broadcast (RFC 1112, RFC 919)
	netip.MustParsePrefix("::/96"),           // deprecated IPv4-compatible addresses, ::127.0.0.1 (RFC 4291)
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated addresses (RFC 2765)
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64 (RFC 6052)
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64 (RFC 8215)
	netip.MustParsePrefix("100::/64"),        // discard-only (RFC 6666)
	netip.MustParsePrefix("100:0:0:1::/64"),  // dummy prefix (RFC 9780)
	netip.MustParsePrefix("2001::/23"),       // IETF protocol assignments: Teredo, benchmarking 2001:2::/48, ORCHID (RFC 2928)
	netip.MustParsePrefix("2001:db8::/32"),   // documentation (RFC 3849)
	netip.MustParsePrefix("2002::/16"),       // 6to4 (RFC 3056)
	netip.MustParsePrefix("3fff::/20"),       // documentation (RFC 9637)
	netip.MustParsePrefix("5f00::/16"),       // segment routing SIDs (RFC 9602)
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local (RFC 3879)
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
