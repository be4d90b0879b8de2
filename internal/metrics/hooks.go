package metrics

import (
	"context"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/prometheus/client_golang/prometheus"
)

// HookCounter counts hooks per state over every tenant; *store.Store is one.
type HookCounter interface {
	CountHooksByState(ctx context.Context) (map[models.HookState]int, error)
}

// CountHooks adds the hookflow_hooks gauge, read from hc at each scrape: one
// grouped count, so a scrape costs one small query and the number is never stale.
func (m *Metrics) CountHooks(hc HookCounter) {
	if m == nil {
		return
	}
	m.reg.MustRegister(hooksCollector{hc})
}

var hooksDesc = prometheus.NewDesc("hookflow_hooks", "Hooks by state (Active, Stopped, TooManyErrors), over every tenant.", []string{"state"}, nil)

// hookStates are always reported, at 0 when no hook is in them, so a
// dashboard's TooManyErrors line exists before the first failure.
var hookStates = []models.HookState{models.StateActive, models.StateStopped, models.StateTooManyErrors}

// scrapeTimeout bounds the count, well inside Prometheus' default 10s scrape timeout.
const scrapeTimeout = 3 * time.Second

type hooksCollector struct{ hc HookCounter }

func (c hooksCollector) Describe(ch chan<- *prometheus.Desc) { ch <- hooksDesc }

func (c hooksCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	counts, err := c.hc.CountHooksByState(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(hooksDesc, err)
		return
	}
	for _, s := range hookStates {
		ch <- prometheus.MustNewConstMetric(hooksDesc, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
}
