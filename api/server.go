// Package api is hookflow's HTTP API: the native /v1 (hooks, triggers,
// deliveries, health) and the pieces every product served beside it shares:
// keys and tenants, the one error answer, strict JSON decoding, the guard
// against browsers, and pagination. SuperOffice's and Pipeliner's APIs and
// request bins are packages of their own on it (api/superoffice,
// api/pipeliner, api/bins); api/router puts them together. Handlers return
// an error, which one adapter (fail) answers; the rules live in models.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/logging"
	"github.com/hookflow/hookflow/internal/metrics"
	"go.temporal.io/sdk/client"
)

// Store is what the native API needs of the data layer; *store.Store has it all.
type Store interface {
	HookStore
	eventStore
	deliveryStore
	lifecycleStore
	Ping(ctx context.Context) error
}

// Temporal is what the API needs of the Temporal client.
type Temporal interface {
	workflowStarter
	CheckHealth(ctx context.Context, request *client.CheckHealthRequest) (*client.CheckHealthResponse, error)
}

// Deps configure the API.
type Deps struct {
	Temporal   Temporal
	TaskQueue  string
	Keys       []config.APIKey // none: open (dev on loopback, or --insecure-no-auth)
	MaxBody    int64
	MaxRecords int
	Logger     *slog.Logger
	Now        func() time.Time
	Tester     Tester           // sends test deliveries (TestWebhook, /v1/hooks/{id}/test); nil answers 501
	Metrics    *metrics.Metrics // served at /metrics; nil: a registry of the router's own
	// LoopbackHosts refuses requests whose Host is not a loopback name: set
	// for an API without keys listening on loopback (DNS rebinding).
	LoopbackHosts bool
	// ReceiverAuth tries new receiver credentials before they are saved
	// (certificate dates, a token from the token endpoint); nil checks their form only.
	ReceiverAuth ReceiverAuthChecker
	// Admitted, when set, is called after events are admitted: a dispatcher
	// in this process then starts them at once instead of at its next poll.
	Admitted func()
}

// Server serves the API: the native routes, and those the products mount
// on it (Keyed, Open).
type Server struct {
	store      Store
	temporal   Temporal
	taskQueue  string
	maxBody    int64
	maxRecords int
	log        *slog.Logger
	clock      func() time.Time
	metrics    *metrics.Metrics
	tester     Tester
	authCheck  ReceiverAuthChecker
	admitted   func()

	engine *gin.Engine
	keyed  []gin.HandlerFunc // before every keyed route: guard, key, body bound
}

// New returns the server on st with the native API's routes.
func New(st Store, d Deps) *Server {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{store: st, temporal: d.Temporal, taskQueue: d.TaskQueue, maxBody: d.MaxBody,
		maxRecords: d.MaxRecords, clock: d.Now, metrics: d.Metrics, tester: d.Tester, authCheck: d.ReceiverAuth, admitted: d.Admitted,
		log: slog.New(logging.Handler{Handler: d.Logger.Handler()})} // every line of a request gets its id
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.metrics == nil {
		s.metrics = metrics.New()
	}
	if s.admitted == nil {
		s.admitted = func() {}
	}
	r := gin.New()
	s.engine = r
	r.HandleMethodNotAllowed = true
	r.Use(s.access) // first: it must see the status the recovery below writes
	r.Use(gin.CustomRecovery(func(c *gin.Context, err any) {
		s.log.ErrorContext(c.Request.Context(), "panic serving request", "path", c.FullPath(), "err", err)
		c.AbortWithStatusJSON(http.StatusInternalServerError, errorBody{apiError{Code: "internal", Message: "internal error; it has been logged"}})
	}))
	r.NoRoute(s.handle(func(c *gin.Context) error {
		return NewError(http.StatusNotFound, "not_found", "no route "+c.Request.Method+" "+c.Request.URL.Path)
	}))
	r.NoMethod(s.handle(func(c *gin.Context) error {
		return NewError(http.StatusMethodNotAllowed, "method_not_allowed", c.Request.Method+" is not allowed on "+c.Request.URL.Path)
	}))
	s.keyed = []gin.HandlerFunc{s.handle(guard(d.LoopbackHosts)), s.handle(authenticate(d.Keys)),
		s.handle(limitBodies(max(d.MaxBody, MaxJSONBody)))}

	open := s.Open("")
	open.GET("/healthz", s.healthz)
	open.GET("/readyz", s.readyz)
	open.GET("/metrics", Wrap(s.metrics))
	open.GET("/openapi.json", s.openapi)

	v1 := s.Keyed("/v1")
	v1.POST("/hooks", s.createHook)
	v1.GET("/hooks", s.listHooks)
	v1.GET("/hooks/:id", s.getHook)
	v1.PUT("/hooks/:id", s.updateHook)
	v1.PATCH("/hooks/:id", s.updateHook)
	v1.DELETE("/hooks/:id", s.deleteHook)
	v1.GET("/hooks/:id/secret", s.getHookSecret)
	v1.POST("/hooks/:id/secret/rotate", s.rotateHookSecret)
	v1.GET("/hooks/:id/deliveries", s.listHookDeliveries)
	v1.POST("/events", s.createEvent)
	v1.POST("/events/batch", s.createEvents)
	v1.GET("/events/:id", s.getEvent)
	v1.GET("/deliveries/:id", s.getDelivery)

	// When receivers fail: test, activate, recover, redeliver, and the mails (docs/failures.md).
	v1.POST("/hooks/:id/test", s.testHook)
	v1.POST("/hooks/:id/activate", s.activateHook)
	v1.POST("/hooks/:id/recover", s.recoverHook)
	v1.POST("/deliveries/:id/redeliver", s.redeliver)
	v1.GET("/deliveries", s.listDeliveries)
	v1.GET("/notifications", s.listNotifications)

	// The event-type catalog (docs/spec.md §9).
	v1.GET("/event-types", s.listEventTypes)
	return s
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// RouteList lists the routes served, for tests that hold them against the
// OpenAPI document.
func (s *Server) RouteList() gin.RoutesInfo { return s.engine.Routes() }

// Now is the server's clock, in UTC.
func (s *Server) Now() time.Time { return s.clock().UTC() }

// Log is the server's logger; its lines carry the request id.
func (s *Server) Log() *slog.Logger { return s.log }

// Keyed returns the routes below prefix that need an API key, behind the
// guard against browsers and the bound on request bodies in flight.
func (s *Server) Keyed(prefix string) Routes {
	return Routes{s: s, group: s.engine.Group(prefix, s.keyed...)}
}

// Open returns the routes below prefix that need nothing: health, metrics,
// and the request bins' own URLs, whose random id is the credential.
func (s *Server) Open(prefix string) Routes {
	return Routes{s: s, group: s.engine.Group(prefix)}
}

// Routes registers Handlers below a prefix.
type Routes struct {
	s     *Server
	group *gin.RouterGroup
}

// GET serves GET path with h; the others alike.
func (r Routes) GET(path string, h Handler)    { r.group.GET(path, r.s.handle(h)) }
func (r Routes) POST(path string, h Handler)   { r.group.POST(path, r.s.handle(h)) }
func (r Routes) PUT(path string, h Handler)    { r.group.PUT(path, r.s.handle(h)) }
func (r Routes) PATCH(path string, h Handler)  { r.group.PATCH(path, r.s.handle(h)) }
func (r Routes) DELETE(path string, h Handler) { r.group.DELETE(path, r.s.handle(h)) }

// Any serves every method of path with h.
func (r Routes) Any(path string, h Handler) { r.group.Any(path, r.s.handle(h)) }

// Wrap serves an http.Handler as a Handler (metrics, static assets).
func Wrap(h http.Handler) Handler {
	return func(c *gin.Context) error {
		h.ServeHTTP(c.Writer, c.Request)
		return nil
	}
}
