package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/internal/store/storetest"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// scrape reads GET /metrics into metric families by name.
func (e *env) scrape() map[string]*dto.MetricFamily {
	e.t.Helper()
	resp, err := e.http.Get(e.api.URL + "/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var p expfmt.TextParser
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		e.t.Fatalf("parse /metrics: %v", err)
	}
	return mfs
}

// value sums the samples of a counter or gauge (or counts a histogram's
// observations) whose labels include every name=value pair of labels.
func value(mfs map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	var sum float64
	for _, m := range mfs[name].GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			found = found || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
		}
		if !found {
			return false
		}
	}
	return true
}

// After a real run — one delivery retried once then accepted, one refused
// with 410 — /metrics shows every hookflow metric with its labels, and the
// Temporal SDK's own metrics on the same registry.
func TestMetricsAfterDeliveries(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	flaky := newReceiver(t, 500)
	gone := newReceiver(t, 410)
	e.createHook(map[string]any{"events": []string{"contact.*"}, "target_url": flaky.URL})
	e.createHook(map[string]any{"events": []string{"contact.*"}, "target_url": gone.URL})
	a := e.trigger(map[string]any{"id": "metrics-1", "event": "Contact.Update", "data": map[string]any{"id": 1}})
	e.eventDone(a.EventID, 2)

	var mfs map[string]*dto.MetricFamily
	// The deliveries end before their workflow does: wait for both counts.
	waitFor(t, 10*time.Second, "both deliveries and the workflow counted", func() bool {
		mfs = e.scrape()
		return value(mfs, "hookflow_deliveries_total") == 2 && value(mfs, "temporal_workflow_completed_total") > 0
	})
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"hookflow_events_received_total", []string{"tenant", "default", "type", "contact.update"}, 1},
		{"hookflow_deliveries_total", []string{"outcome", "succeeded"}, 1},
		{"hookflow_deliveries_total", []string{"outcome", "failed"}, 1},
		{"hookflow_delivery_attempts_total", []string{"class", "5xx"}, 1},
		{"hookflow_delivery_attempts_total", []string{"class", "2xx"}, 1},
		{"hookflow_delivery_attempts_total", []string{"class", "4xx"}, 1},
		{"hookflow_delivery_attempt_duration_seconds", nil, 3},
		{"hookflow_delivery_queue_lag_seconds", nil, 2},
		{"hookflow_hooks", []string{"state", "Active"}, 1},
		{"hookflow_hooks", []string{"state", "TooManyErrors"}, 1},
		{"hookflow_http_requests_total", []string{"method", "POST", "route", "/v1/events", "code", "202"}, 1},
		{"hookflow_http_request_duration_seconds", []string{"method", "POST", "route", "/v1/hooks"}, 2},
	}
	for _, c := range checks {
		if got := value(mfs, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// The Temporal SDK's client and worker metrics, on the same registry.
	for _, name := range []string{"temporal_request_total", "temporal_workflow_completed_total",
		"temporal_activity_execution_latency_seconds", "temporal_workflow_task_execution_latency_seconds"} {
		if value(mfs, name) == 0 {
			t.Errorf("%s is missing or zero", name)
		}
	}
	if t.Failed() {
		var names []string
		for n := range mfs {
			names = append(names, n)
		}
		t.Logf("metrics served: %s", strings.Join(names, " "))
	}
}

// API lines carry the request id the answer echoes; worker lines carry the
// delivery, hook, event and workflow ids.
func TestLogLinesCarryTheirIDs(t *testing.T) {
	logs := &lockedBuffer{}
	e := newEnvWith(t, storetest.SQLite(t), envOptions{logs: logs})
	rcv := newReceiver(t)
	h := e.createHook(map[string]any{"events": []string{"*"}, "target_url": rcv.URL})
	body := strings.NewReader(`{"id":"logs-1","event":"Deal.Created","data":{"id":7}}`)
	req, _ := http.NewRequest("POST", e.api.URL+"/v1/events", body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(api.RequestIDHeader, "crm-req-42")
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 || resp.Header.Get(api.RequestIDHeader) != "crm-req-42" {
		t.Fatalf("trigger = %d, X-Request-Id %q", resp.StatusCode, resp.Header.Get(api.RequestIDHeader))
	}
	ev := e.eventDone("logs-1", 1)

	var access, attempt map[string]any
	// The worker logs the attempt just after recording it: wait for the line.
	waitFor(t, 5*time.Second, "the delivery attempt's log line", func() bool {
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("log line is not JSON: %q", line)
			}
			switch {
			case m["msg"] == "request" && m["route"] == "/v1/events":
				access = m
			case m["msg"] == "delivery attempt":
				attempt = m
			}
		}
		return attempt != nil
	})
	if access["request_id"] != "crm-req-42" || access["status"] != float64(202) || access["method"] != "POST" {
		t.Errorf("access line = %v", access)
	}
	d := ev.Deliveries[0]
	want := map[string]any{"delivery_id": float64(d.ID), "hook_id": float64(h.ID), "event_id": "logs-1",
		"WorkflowID": d.WorkflowID, "status": float64(200)}
	for k, v := range want {
		if attempt[k] != v {
			t.Errorf("delivery attempt line %s = %v, want %v (line %v)", k, attempt[k], v, attempt)
		}
	}
}
