// Package metrics is hookflow's Prometheus instrumentation. A process has one
// registry, never the global default one, and serves it at GET /metrics:
// hookflow's own metrics, the Go runtime's, hooks by state (counted in the
// database at scrape time) and the Temporal SDK's client and worker metrics.
// README's Metrics section lists them all.
//
// Every method is safe on a nil *Metrics and then records nothing, so
// components built without metrics (tests) need no stand-in.
package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"
)

// Attempt classes: the class label of the attempt metrics.
const (
	Class2xx     = "2xx"
	Class3xx     = "3xx" // redirects are not followed, so a 3xx is a failed attempt
	Class4xx     = "4xx"
	Class5xx     = "5xx"
	ClassNetwork = "network" // connect, TLS, timeout or a broken answer
	ClassRefused = "refused" // the SSRF policy refused the address; nothing was sent
	ClassAuth    = "auth"    // the receiver credentials could not be used (no OAuth token, a client certificate expired, wanted or refused); nothing reached the receiver
)

// StatusClass returns the class of an HTTP status: "2xx" for 204.
func StatusClass(code int) string {
	switch {
	case code >= 200 && code < 300:
		return Class2xx
	case code >= 300 && code < 400:
		return Class3xx
	case code >= 400 && code < 500:
		return Class4xx
	}
	return Class5xx
}

// Overflow replaces label values past a cap, and unknown HTTP methods.
const Overflow = "other"

// MaxEventSeries caps the (tenant, type) pairs of hookflow_events_received_total:
// both come from callers, and an unbounded label set would grow Prometheus
// without end. Pairs first seen after the cap count as tenant and type "other".
const MaxEventSeries = 1000

// Metrics records what hookflow does. Create it with New.
type Metrics struct {
	reg            *prometheus.Registry
	events         *prometheus.CounterVec
	eventSeries    *capped
	deliveries     *prometheus.CounterVec
	attempts       *prometheus.CounterVec
	attemptSeconds *prometheus.HistogramVec
	queueLag       prometheus.Histogram
	requests       *prometheus.CounterVec
	requestSeconds *prometheus.HistogramVec
	dispatched     prometheus.Counter
	startSeconds   prometheus.Histogram
	temporal       func() (client.MetricsHandler, error)
	handler        http.Handler
}

// New returns Metrics on a registry of their own, with the Go runtime and
// process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookflow_events_received_total",
			Help: "Triggers accepted by POST /v1/events, by tenant and lower-cased event type; repeats of an event id are not counted.",
		}, []string{"tenant", "type"}),
		eventSeries: &capped{max: MaxEventSeries, seen: map[[2]string]bool{}},
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookflow_deliveries_total",
			Help: "Deliveries that ended, by outcome: succeeded, failed (retries exhausted, not retryable, or the hook's plan failed) or skipped (hook not Active when planned or attempted).",
		}, []string{"outcome"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookflow_delivery_attempts_total",
			Help: "Delivery attempts (HTTP requests to receivers), by class: 2xx, 3xx, 4xx, 5xx, network or refused.",
		}, []string{"class"}),
		attemptSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookflow_delivery_attempt_duration_seconds",
			Help:    "Duration of delivery attempts, from sending the request to reading the answer, by class.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"class"}),
		queueLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hookflow_delivery_queue_lag_seconds",
			Help:    "Time from an event's arrival to the first attempt of its first delivery to each hook.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600},
		}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookflow_http_requests_total",
			Help: "API requests answered, by method, route template and status code.",
		}, []string{"method", "route", "code"}),
		requestSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookflow_http_request_duration_seconds",
			Help:    "Time the API took to answer, by method and route template.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		dispatched: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookflow_events_dispatched_total",
			Help: "Events whose workflow the dispatcher started (or found started); its rate is the dispatch rate.",
		}),
		startSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hookflow_workflow_start_duration_seconds",
			Help:    "How long the dispatcher's workflow starts took.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}),
	}
	m.reg.MustRegister(m.events, m.deliveries, m.dispatched, m.startSeconds, m.attempts, m.attemptSeconds, m.queueLag, m.requests, m.requestSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.temporal = sync.OnceValues(m.newTemporalHandler)
	// ContinueOnError: a failing collector (the database is down) must not
	// hide every other metric.
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return m
}

// Registry is where every metric of the process is registered.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ServeHTTP answers a Prometheus scrape.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m == nil {
		http.Error(w, "metrics are not enabled", http.StatusNotFound)
		return
	}
	m.handler.ServeHTTP(w, r)
}

// EventReceived counts an accepted trigger.
func (m *Metrics) EventReceived(tenant, eventType string) {
	if m == nil {
		return
	}
	m.events.WithLabelValues(m.eventSeries.labels(tenant, strings.ToLower(eventType))).Inc()
}

// DeliveryEnded counts a delivery that reached a final status.
func (m *Metrics) DeliveryEnded(status models.DeliveryStatus) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(string(status)).Inc()
}

// AttemptMade counts one delivery attempt of class (one of the Class
// constants) and records how long it took.
func (m *Metrics) AttemptMade(class string, took time.Duration) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(class).Inc()
	m.attemptSeconds.WithLabelValues(class).Observe(took.Seconds())
}

// QueueLag records how long after its event's arrival a delivery was first attempted.
func (m *Metrics) QueueLag(lag time.Duration) {
	if m == nil {
		return
	}
	m.queueLag.Observe(max(lag, 0).Seconds())
}

// RequestServed records one API answer. route is the route template
// (/v1/hooks/:id), "" for a path no route matches.
func (m *Metrics) RequestServed(method, route string, status int, took time.Duration) {
	if m == nil {
		return
	}
	if !knownMethods[method] {
		method = Overflow // the method comes from the client: keep the label bounded
	}
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.requestSeconds.WithLabelValues(method, route).Observe(took.Seconds())
}

var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// capped hands out label pairs until it has seen max of them, then Overflow.
type capped struct {
	mu   sync.Mutex
	max  int
	seen map[[2]string]bool
}

func (c *capped) labels(a, b string) (string, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := [2]string{a, b}
	if c.seen[k] {
		return a, b
	}
	if len(c.seen) >= c.max {
		return Overflow, Overflow
	}
	c.seen[k] = true
	return a, b
}
