package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// QueueCounter reads the admission queue; *store.Store is one.
type QueueCounter interface {
	QueueStats(ctx context.Context) (queued int64, oldest time.Time, err error)
}

var (
	queuedDesc = prometheus.NewDesc("hookflow_events_queued",
		"Events admitted (answered 202) whose workflow has not started yet, over every tenant.", nil, nil)
	oldestDesc = prometheus.NewDesc("hookflow_events_queued_oldest_age_seconds",
		"Age of the oldest event whose workflow has not started yet; 0 when none waits.", nil, nil)
)

// CountQueue adds the admission queue's gauges, read from q at each scrape
// (a count and one indexed lookup), so they hold over every API and worker.
func (m *Metrics) CountQueue(q QueueCounter) {
	if m == nil {
		return
	}
	m.reg.MustRegister(queueCollector{q, time.Now})
}

type queueCollector struct {
	q   QueueCounter
	now func() time.Time
}

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queuedDesc; ch <- oldestDesc }

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	n, oldest, err := c.q.QueueStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queuedDesc, err)
		return
	}
	age := 0.0
	if !oldest.IsZero() {
		age = max(c.now().Sub(oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age)
}

// DispatchState reports the dispatcher's adaptive bound on workflow starts
// and the starts in flight under it, read at each scrape.
func (m *Metrics) DispatchState(state func() (bound, inflight int)) {
	if m == nil {
		return
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookflow_dispatch_bound",
			Help: "How many event workflows the dispatcher lets start at once (adapts to how fast the engine keeps up).",
		}, func() float64 { b, _ := state(); return float64(b) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookflow_dispatch_inflight",
			Help: "Event workflows started by the dispatcher whose plan has not begun yet.",
		}, func() float64 { _, n := state(); return float64(n) }),
	)
}

// EventDispatched counts an event whose workflow the dispatcher started (or
// found started), with how long the start took.
func (m *Metrics) EventDispatched(took time.Duration) {
	if m == nil {
		return
	}
	m.dispatched.Inc()
	m.startSeconds.Observe(took.Seconds())
}
