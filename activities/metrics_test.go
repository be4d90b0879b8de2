package activities_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/egress"
	"github.com/hookflow/hookflow/internal/metrics"
	"github.com/hookflow/hookflow/internal/receiverauth"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/testsuite"
)

// Each attempt is counted in its class, with its duration; a hook's first
// delivery records its queue lag; a skipped delivery is counted as skipped.
func TestSendWebhookRecordsMetrics(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // then the server notices when the client gives up
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	ok := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer ok.Close()
	tests := []struct {
		name         string
		url          string
		allowPrivate bool
		state        models.HookState
		class        string // "" = no attempt
		outcome      models.DeliveryStatus
	}{
		{"2xx", ok.URL, true, models.StateActive, metrics.Class2xx, models.DeliverySucceeded},
		{"network", slow.URL, true, models.StateActive, metrics.ClassNetwork, ""},
		{"refused", ok.URL, false, models.StateActive, metrics.ClassRefused, ""},
		{"skipped", ok.URL, true, models.StateStopped, "", models.DeliverySkipped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, ids := fixture(t, tt.url, func(h *models.Hook) { h.State = tt.state })
			m := metrics.New()
			s := activities.NewSender(st, receiverauth.New(egress.New(egress.Options{AllowPrivate: tt.allowPrivate, Timeout: 300 * time.Millisecond,
				ConnectTimeout: time.Second, TLSTimeout: time.Second})), time.Hour)
			s.Metrics = m
			var ts testsuite.WorkflowTestSuite
			env := ts.NewTestActivityEnvironment()
			env.RegisterActivity(s)
			_, _ = env.ExecuteActivity("SendWebhook", activities.SendInput{DeliveryID: ids[0]})

			scrape := scrape(m)
			var want []string
			if tt.class != "" {
				want = append(want, `hookflow_delivery_attempts_total{class="`+tt.class+`"} 1`,
					`hookflow_delivery_attempt_duration_seconds_count{class="`+tt.class+`"} 1`, "hookflow_delivery_queue_lag_seconds_count 1")
			}
			if tt.outcome != "" {
				want = append(want, `hookflow_deliveries_total{outcome="`+string(tt.outcome)+`"} 1`)
			} else if strings.Contains(scrape, "hookflow_deliveries_total{") {
				t.Errorf("a delivery that will be retried was counted as ended")
			}
			for _, w := range want {
				if !strings.Contains(scrape, w) {
					t.Errorf("scrape lacks %s", w)
				}
			}
		})
	}
}

// scrape is what Prometheus would read from m.
func scrape(m *metrics.Metrics) string {
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}
