package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/hookflow/hookflow/internal/logging"
)

// RequestIDHeader carries the request id: the caller's when it sent a sane
// one, else a generated one. It is echoed on every answer and logged on every
// line of the request, so a user's report can be found in the logs.
const RequestIDHeader = "X-Request-Id"

// quietRoutes are polled by machines every few seconds; their access lines
// are logged at debug level so they do not drown the rest.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// triggerRoutes come at the CRM's full rate: an accepted trigger's access
// line is at debug level (the event is in the database and the metrics),
// a refused one at info or above like any other.
var triggerRoutes = map[string]bool{"/v1/events": true, "/v1/events/batch": true}

// access gives each request its id, counts it in the metrics and writes one
// access line when it is answered: method, route, path, status, latency and
// request id. Never headers (Authorization) or bodies.
func (a *app) access(c *gin.Context) {
	began := time.Now()
	id := c.GetHeader(RequestIDHeader)
	if !saneRequestID(id) {
		id = uuid.NewString()
	}
	c.Header(RequestIDHeader, id)
	ctx := logging.WithRequestID(c.Request.Context(), id)
	c.Request = c.Request.WithContext(ctx)

	c.Next()

	took := time.Since(began)
	route, status := c.FullPath(), c.Writer.Status()
	a.metrics.RequestServed(c.Request.Method, route, status, took)
	level := slog.LevelInfo
	switch {
	case status >= http.StatusInternalServerError:
		level = slog.LevelWarn // fail has logged the cause at error level
	case quietRoutes[route], status < http.StatusMultipleChoices && triggerRoutes[route] && c.Request.Method == http.MethodPost:
		level = slog.LevelDebug
	}
	a.log.LogAttrs(ctx, level, "request", slog.String("method", c.Request.Method), slog.String("route", route),
		slog.String("path", c.Request.URL.Path), slog.Int("status", status),
		slog.Float64("latency_ms", float64(took.Microseconds())/1000), slog.Int("bytes", max(c.Writer.Size(), 0)),
		slog.String("remote_ip", c.RemoteIP()))
}

// saneRequestID accepts ids of 1 to 128 characters that are safe in a header
// and a log line: letters, digits and ._:@/+=- (UUIDs, ULIDs, trace ids).
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		switch r {
		case '.', '_', ':', '@', '/', '+', '=', '-':
			ok = true
		}
		if !ok {
			return false
		}
	}
	return true
}
