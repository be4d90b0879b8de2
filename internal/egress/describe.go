package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"syscall"
)

// ErrInvalidTarget marks a target URL no request can be built for.
var ErrInvalidTarget = errors.New("the target URL cannot be requested")

// Describe says why a request to a target failed in words safe to show a
// tenant, log, store in an attempt and carry in a Temporal history: never the
// target's URL (its path and query can be a credential, a Slack webhook's
// token), never a resolved address or the resolver's (a tenant could map the
// network hookflow runs in, through /v1/hooks/{id}/test or its attempts).
func Describe(err error) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	var certInvalid x509.CertificateInvalidError
	var hostErr x509.HostnameError
	var unknownCA x509.UnknownAuthorityError
	var tlsRecord tls.RecordHeaderError
	var tlsAlert tls.AlertError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrInvalidTarget):
		return ErrInvalidTarget.Error()
	case errors.Is(err, ErrRefused):
		return "the target's address is not allowed: it is loopback, private, link-local or reserved " +
			"(set HOOKFLOW_ALLOW_PRIVATE_TARGETS=true to allow such targets)"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "the target's host name does not resolve"
		}
		return "the target's host name could not be resolved"
	case errors.Is(err, context.Canceled):
		return "the request was canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "the target did not answer in time"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the target refused the connection"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the target closed the connection before answering"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "the target's network is unreachable"
	case errors.As(err, &hostErr):
		return "TLS: the target's certificate is not valid for its host name"
	case errors.As(err, &unknownCA):
		return "TLS: the target's certificate is signed by an unknown authority"
	case errors.As(err, &certInvalid):
		return "TLS: the target's certificate is invalid or expired"
	case errors.As(err, &tlsRecord):
		return "TLS: the target did not answer with TLS (is it plain http?)"
	case errors.As(err, &tlsAlert):
		return "TLS: the handshake with the target failed"
	}
	return "the request to the target failed"
}

// RedactURL returns only the scheme and host (with port) of a target URL:
// what logs, errors and histories may show. The full URL stays in the hook.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(an invalid URL)"
	}
	return u.Scheme + "://" + u.Host
}
