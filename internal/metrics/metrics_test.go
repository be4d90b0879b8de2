package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/metrics"
	"github.com/hookflow/hookflow/models"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type hookCounts struct {
	counts map[models.HookState]int
	err    error
}

func (h hookCounts) CountHooksByState(context.Context) (map[models.HookState]int, error) {
	return h.counts, h.err
}

func TestMetricsRecordWithBoundedLabels(t *testing.T) {
	m := metrics.New()
	m.EventReceived("acme", "Contact.Update")
	m.EventReceived("acme", "contact.update")
	for i := range metrics.MaxEventSeries + 5 {
		m.EventReceived("t", fmt.Sprint("x.", i))
	}
	m.DeliveryEnded(models.DeliverySucceeded)
	m.AttemptMade(metrics.StatusClass(204), 20*time.Millisecond)
	m.AttemptMade(metrics.ClassNetwork, time.Second)
	m.QueueLag(-time.Second) // clocks of two machines: never a negative sample
	m.RequestServed("BREW", "", 404, time.Millisecond)
	m.CountHooks(hookCounts{counts: map[models.HookState]int{models.StateActive: 3}})

	want := `
# HELP hookflow_events_received_total Triggers accepted by POST /v1/events, by tenant and lower-cased event type; repeats of an event id are not counted.
# TYPE hookflow_events_received_total counter
hookflow_events_received_total{tenant="acme",type="contact.update"} 2
# HELP hookflow_hooks Hooks by state (Active, Stopped, TooManyErrors), over every tenant.
# TYPE hookflow_hooks gauge
hookflow_hooks{state="Active"} 3
hookflow_hooks{state="Stopped"} 0
hookflow_hooks{state="TooManyErrors"} 0
# HELP hookflow_http_requests_total API requests answered, by method, route template and status code.
# TYPE hookflow_http_requests_total counter
hookflow_http_requests_total{code="404",method="other",route="unmatched"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"hookflow_hooks", "hookflow_http_requests_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.Registry(), "hookflow_events_received_total"); n != metrics.MaxEventSeries+1 {
		t.Errorf("events series = %d, want the cap %d plus one overflow series", n, metrics.MaxEventSeries)
	}
	mfs, _ := m.Registry().Gather()
	got := map[string]bool{}
	for _, mf := range mfs {
		got[mf.GetName()] = true
	}
	for _, name := range []string{"hookflow_deliveries_total", "hookflow_delivery_attempts_total", "hookflow_delivery_attempt_duration_seconds",
		"hookflow_delivery_queue_lag_seconds", "hookflow_http_request_duration_seconds", "go_goroutines", "process_cpu_seconds_total"} {
		if !got[name] {
			t.Errorf("%s is not registered", name)
		}
	}
}

// A database that does not answer fails only the hooks gauge: the scrape
// still serves every other metric.
func TestScrapeSurvivesADownDatabase(t *testing.T) {
	m := metrics.New()
	m.CountHooks(hookCounts{err: errors.New("connection refused")})
	m.DeliveryEnded(models.DeliveryFailed)
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if body := rec.Body.String(); rec.Code != 200 || !strings.Contains(body, `hookflow_deliveries_total{outcome="failed"} 1`) {
		t.Errorf("scrape = %d\n%s", rec.Code, body)
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *metrics.Metrics
	m.EventReceived("t", "a.b")
	m.AttemptMade(metrics.Class2xx, time.Second)
	m.CountHooks(hookCounts{})
	if h, err := m.TemporalHandler(); h == nil || err != nil {
		t.Errorf("TemporalHandler on nil = %v, %v", h, err)
	}
}

// The SDK's handler lands on the same registry, with Prometheus names.
func TestTemporalHandlerSharesTheRegistry(t *testing.T) {
	m := metrics.New()
	h, err := m.TemporalHandler()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := m.TemporalHandler(); again == nil {
		t.Fatal("second TemporalHandler call failed")
	}
	h.WithTags(map[string]string{"namespace": "default"}).Counter("temporal_request").Inc(1)
	h.Timer("temporal_request_latency").Record(30 * time.Millisecond)
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`temporal_request_total{namespace="default"} 1`, "temporal_request_latency_seconds_bucket"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("scrape lacks %s:\n%s", want, rec.Body)
		}
	}
}

// README's Metrics table lists every hookflow metric.
func TestREADMEListsEveryMetric(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	m.CountHooks(hookCounts{})
	m.CountQueue(queueCounts{})
	m.DispatchState(func() (int, int) { return 8, 2 })
	// A vector is gathered once it has a series: record one of each.
	m.EventReceived("t", "a.b")
	m.DeliveryEnded(models.DeliverySucceeded)
	m.AttemptMade(metrics.Class2xx, time.Second)
	m.QueueLag(time.Second)
	m.RequestServed("GET", "/healthz", 200, time.Millisecond)
	m.EventDispatched(time.Millisecond)
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		if name := mf.GetName(); strings.HasPrefix(name, "hookflow_") {
			n++
			if !strings.Contains(string(readme), "`"+name+"`") {
				t.Errorf("README does not list %s", name)
			}
		}
	}
	if n != 14 {
		t.Errorf("gathered %d hookflow metrics, want 14: a new one needs a line in README and here", n)
	}
}

// queueCounts is an admission queue of 3 events, the oldest a minute old.
type queueCounts struct{}

func (queueCounts) QueueStats(context.Context) (int64, time.Time, error) {
	return 3, time.Now().Add(-time.Minute), nil
}

// The queue's gauges read the queue at each scrape.
func TestQueueGauges(t *testing.T) {
	m := metrics.New()
	m.CountQueue(queueCounts{})
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if !strings.Contains(body, "hookflow_events_queued 3") || !strings.Contains(body, "hookflow_events_queued_oldest_age_seconds 60") {
		t.Errorf("scrape lacks the queue's gauges:\n%s", body)
	}
}
