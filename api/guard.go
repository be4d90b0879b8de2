package api

import (
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/semaphore"
)

// guard keeps web pages a developer visits away from the API: the API
// speaks JSON to programs, never to browsers, so
//   - a request naming another origin (Origin: https://evil.example, or
//     "null") is refused: a page may send a request, never on the API;
//   - a request with a body must say Content-Type: application/json, which
//     a page can only send after a CORS preflight the API never grants (a
//     text/plain or form POST is what a page can send without one);
//   - with loopbackHosts (an API without keys listening on loopback, as
//     `hookflow dev` runs by default) the Host must name loopback, so a page
//     whose name rebinds to 127.0.0.1 (DNS rebinding) gets nothing either.
//
// Request bins' own URLs are not guarded: they capture whatever is sent.
func guard(loopbackHosts bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		if loopbackHosts && !loopbackHost(r.Host) {
			abort(c, http.StatusForbidden, "forbidden_host", "this API runs without keys and answers only requests for a loopback host "+
				"(localhost, 127.0.0.1, [::1]); set HOOKFLOW_API_KEYS to serve it under another name")
			return
		}
		if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r.Host) {
			abort(c, http.StatusForbidden, "forbidden_origin", "cross-origin requests are refused: the API is not for web pages of other origins")
			return
		}
		if hasBody(r) && !jsonType(r.Header.Get("Content-Type")) {
			abort(c, http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as JSON with Content-Type: application/json")
			return
		}
	}
}

// maxBodiesInFlight bounds the request bodies one API process reads and
// decodes at once. A decoded trigger costs several times its JSON, so 200
// clients each sending 5 MiB would otherwise hold gigabytes.
const maxBodiesInFlight = 64 << 20

// limitBodies makes a request with a body wait for room among the bodies
// in flight; its weight is its length, or the largest body (limit) when
// unknown. A client that gives up waiting has its context canceled.
func limitBodies(limit int64) gin.HandlerFunc {
	inflight := semaphore.NewWeighted(maxBodiesInFlight)
	return func(c *gin.Context) {
		r := c.Request
		if !hasBody(r) {
			return
		}
		n := r.ContentLength
		if n < 0 || n > limit {
			n = limit // MaxBytesReader refuses the rest
		}
		n = min(n, maxBodiesInFlight)
		if err := inflight.Acquire(r.Context(), n); err != nil {
			abort(c, http.StatusServiceUnavailable, "unavailable", "the server is reading too many bodies at once; retry later")
			return
		}
		defer inflight.Release(n)
		c.Next()
	}
}

func abort(c *gin.Context, status int, code, message string) {
	c.AbortWithStatusJSON(status, errorBody{apiError{Code: code, Message: message}})
}

// hasBody reports whether a request carries a body: a non-zero or unknown
// (chunked) length. Requests without one (activate, test) need no type.
func hasBody(r *http.Request) bool { return r.ContentLength != 0 }

// jsonType accepts application/json and the +json types, with parameters.
func jsonType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// sameOrigin reports whether a browser's Origin names the host the request
// was sent to.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, host)
}

// loopbackHost reports whether a Host header names this machine's loopback:
// localhost (and *.localhost, RFC 6761) or a loopback IP, with any port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
