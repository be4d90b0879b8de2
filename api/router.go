// Package api is hookflow's HTTP API (Gin): hooks, triggers, deliveries and
// health. Handlers validate, call the store or Temporal, and map errors in
// one place (fail); the rules live in models.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hookflow/hookflow/internal/binview"
	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/logging"
	"github.com/hookflow/hookflow/internal/metrics"
	"go.temporal.io/sdk/client"
)

// Store is what the API needs of the data layer; *store.Store has it all.
type Store interface {
	hookStore
	eventStore
	deliveryStore
	lifecycleStore
	binStore
	Ping(ctx context.Context) error
}

// Temporal is what the API needs of the Temporal client.
type Temporal interface {
	workflowStarter
	CheckHealth(ctx context.Context, request *client.CheckHealthRequest) (*client.CheckHealthResponse, error)
}

// Deps configure the API.
type Deps struct {
	Store      Store
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

type app struct {
	store      Store
	temporal   Temporal
	taskQueue  string
	maxBody    int64
	maxRecords int
	log        *slog.Logger
	clock      func() time.Time
	metrics    *metrics.Metrics
	authCheck  ReceiverAuthChecker
	admitted   func()
}

func (a *app) now() time.Time                 { return a.clock().UTC() }
func (a *app) fail(c *gin.Context, err error) { fail(c, a.log, err) }

// NewRouter returns the API's HTTP handler.
func NewRouter(d Deps) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	a := &app{store: d.Store, temporal: d.Temporal, taskQueue: d.TaskQueue, maxBody: d.MaxBody,
		maxRecords: d.MaxRecords, clock: d.Now, metrics: d.Metrics, authCheck: d.ReceiverAuth, admitted: d.Admitted,
		log: slog.New(logging.Handler{Handler: d.Logger.Handler()})} // every line of a request gets its id
	if a.clock == nil {
		a.clock = time.Now
	}
	if a.metrics == nil {
		a.metrics = metrics.New()
	}
	if a.admitted == nil {
		a.admitted = func() {}
	}
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(a.access) // first: it must see the status the recovery below writes
	r.Use(gin.CustomRecovery(func(c *gin.Context, err any) {
		a.log.ErrorContext(c.Request.Context(), "panic serving request", "path", c.FullPath(), "err", err)
		c.AbortWithStatusJSON(http.StatusInternalServerError, errorBody{apiError{Code: "internal", Message: "internal error; it has been logged"}})
	}))
	r.NoRoute(func(c *gin.Context) {
		c.JSON(http.StatusNotFound, errorBody{apiError{Code: "not_found", Message: "no route " + c.Request.Method + " " + c.Request.URL.Path}})
	})
	r.NoMethod(func(c *gin.Context) {
		c.JSON(http.StatusMethodNotAllowed, errorBody{apiError{Code: "method_not_allowed", Message: c.Request.Method + " is not allowed on " + c.Request.URL.Path}})
	})
	r.GET("/healthz", a.healthz)
	r.GET("/readyz", a.readyz)
	r.GET("/metrics", gin.WrapH(a.metrics))
	r.GET("/openapi.json", a.openapi)

	guarded := guard(d.LoopbackHosts)
	bodies := limitBodies(max(d.MaxBody, maxJSONBody))
	v1 := r.Group("/v1", guarded, authenticate(d.Keys), bodies)
	v1.POST("/hooks", a.createHook)
	v1.GET("/hooks", a.listHooks)
	v1.GET("/hooks/:id", a.getHook)
	v1.PUT("/hooks/:id", a.updateHook)
	v1.PATCH("/hooks/:id", a.updateHook)
	v1.DELETE("/hooks/:id", a.deleteHook)
	v1.GET("/hooks/:id/secret", a.getHookSecret)
	v1.POST("/hooks/:id/secret/rotate", a.rotateHookSecret)
	v1.GET("/hooks/:id/deliveries", a.listHookDeliveries)
	v1.POST("/events", a.createEvent)
	v1.POST("/events/batch", a.createEvents)
	v1.GET("/events/:id", a.getEvent)
	v1.GET("/deliveries/:id", a.getDelivery)

	// When receivers fail: test, activate, recover, redeliver, and the mails (docs/failures.md).
	lc := &lifecycle{app: a, tester: d.Tester}
	v1.POST("/hooks/:id/test", lc.testHook)
	v1.POST("/hooks/:id/activate", lc.activateHook)
	v1.POST("/hooks/:id/recover", lc.recoverHook)
	v1.POST("/deliveries/:id/redeliver", lc.redeliver)
	v1.GET("/deliveries", a.listDeliveries)
	v1.GET("/notifications", a.listNotifications)

	// The event-type catalog and the vendor-compatible hook APIs (docs/spec.md §9, docs/vendor-apis.md).
	v1.GET("/event-types", a.listEventTypes)
	so := &superOffice{app: a, tester: d.Tester}
	agent := r.Group("/api/v1/Agents/Webhook", guarded, authenticate(d.Keys), bodies)
	agent.POST("/CreateDefaultWebhook", so.createDefaultWebhook)
	agent.POST("/SaveWebhook", so.saveWebhook)
	agent.POST("/GetWebhook", so.getWebhook)
	agent.POST("/GetAllWebhooks", so.getAllWebhooks)
	agent.POST("/DeleteWebhook", so.deleteWebhook)
	agent.POST("/TestWebhook", so.testWebhook)
	pipeliner := r.Group("/api/v100/rest/spaces/:space/entities/Webhooks", guarded, authenticate(d.Keys), bodies)
	pipeliner.POST("", a.createPipelinerWebhook)
	pipeliner.GET("", a.listPipelinerWebhooks)
	pipeliner.GET("/:id", a.getPipelinerWebhook)
	pipeliner.DELETE("/:id", a.deletePipelinerWebhook)

	// Request bins (docs/spec.md §10, docs/bins.md): managed with a key under /v1;
	// below /bins/{id} no key, as the random id is the credential.
	v1.POST("/bins", a.createBin)
	v1.GET("/bins/:id", a.getBin)
	v1.DELETE("/bins/:id", a.deleteBin)
	v1.GET("/bins/:id/requests", a.listBinRequests)
	r.Any("/bins/:id", a.captureBinRequest)
	r.Any("/bins/:id/*rest", a.binSubpath) // the page, its JSON, or a capture
	r.GET(binview.AssetPrefix+"*file", gin.WrapH(binview.Assets()))
	return r
}
