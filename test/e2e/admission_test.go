package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/metrics"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/worker"
	dto "github.com/prometheus/client_model/go"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

type eventStatus struct {
	Status     string           `json:"status"`
	Deliveries []deliveryAnswer `json:"deliveries"`
}

// A trigger is answered 202 once stored; its event is queued, with no
// workflow, until a dispatcher starts it; then it is started and delivered.
func TestEventIsQueuedThenStartedThenDelivered(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnvWith(t, b, envOptions{holdDispatch: true})
			rcv := newReceiver(t)
			e.createHook(map[string]any{"events": []string{"contact.*"}, "target_url": rcv.URL})
			a := e.trigger(map[string]any{"id": "queued-" + b.Name, "event": "Contact.Update", "data": map[string]any{"id": 1}})

			var ev eventStatus
			if code := e.call("GET", "/v1/events/"+a.EventID, nil, &ev); code != 200 || ev.Status != "queued" || len(ev.Deliveries) != 0 {
				t.Fatalf("event before dispatch = %d %+v, want queued without deliveries", code, ev)
			}
			var missing *serviceerror.NotFound
			if _, err := e.client.DescribeWorkflowExecution(context.Background(), a.WorkflowID, ""); !errors.As(err, &missing) {
				t.Fatalf("the workflow of a queued event exists (describe: %v)", err)
			}
			if q := value(e.scrape(), "hookflow_events_queued"); q != 1 {
				t.Errorf("hookflow_events_queued = %v, want 1", q)
			}

			e.dispatch(e.dispatcher)
			done := e.eventDone(a.EventID, 1)
			if done.Deliveries[0].Status != "succeeded" || rcv.hits.Load() != 1 {
				t.Errorf("after dispatch: %+v, %d requests", done.Deliveries, rcv.hits.Load())
			}
			e.call("GET", "/v1/events/"+a.EventID, nil, &ev)
			if ev.Status != "started" {
				t.Errorf("status after delivery = %q, want started", ev.Status)
			}
			mfs := e.scrape()
			if q, d := value(mfs, "hookflow_events_queued"), value(mfs, "hookflow_events_dispatched_total"); q != 0 || d != 1 {
				t.Errorf("queued %v, dispatched %v; want 0 and 1", q, d)
			}
			if value(mfs, "hookflow_dispatch_bound") < 1 {
				t.Error("hookflow_dispatch_bound is not reported")
			}
		})
	}
}

// Two workers, each with its dispatcher, drain one backlog: every event's
// workflow is started by exactly one of them, and delivered once.
func TestTwoDispatchersStartEachEventOnce(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnvWith(t, b, envOptions{holdDispatch: true})
			rcv := newReceiver(t)
			e.createHook(map[string]any{"events": []string{"*"}, "target_url": rcv.URL})
			const n = 200
			for i := 0; i < n; i += 100 {
				var batch []map[string]any
				for j := i; j < i+100; j++ {
					batch = append(batch, map[string]any{"id": fmt.Sprintf("two-%s-%d", b.Name, j), "event": "deal.created", "data": map[string]any{"id": j}})
				}
				if code := e.call("POST", "/v1/events/batch", map[string]any{"events": batch}, nil); code != 202 {
					t.Fatalf("batch = %d", code)
				}
			}
			second := secondWorker(t, e)
			e.dispatch(e.dispatcher)
			e.dispatch(second.dispatcher)
			waitFor(t, 60*time.Second, "every event delivered", func() bool { return rcv.hits.Load() >= n })
			time.Sleep(300 * time.Millisecond) // room for a wrong second delivery
			if got := rcv.hits.Load(); got != n {
				t.Errorf("receiver got %d requests, want %d", got, n)
			}
			one := value(e.scrape(), "hookflow_events_dispatched_total")
			two := value(scrapeRegistry(t, second.metrics), "hookflow_events_dispatched_total")
			if one+two != n || one == 0 || two == 0 {
				t.Errorf("dispatchers started %v and %v workflows, want %d in all, shared", one, two, n)
			}
			runs, err := e.client.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{
				Query: fmt.Sprintf("TaskQueue = '%s' AND WorkflowType = 'Fanout'", e.queue)})
			if err == nil && runs.Count > n {
				t.Errorf("%d event workflows, want %d", runs.Count, n)
			}
		})
	}
}

// scrapeRegistry reads a registry's metric families by name.
func scrapeRegistry(t *testing.T, m *metrics.Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	got, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	mfs := map[string]*dto.MetricFamily{}
	for _, mf := range got {
		mfs[mf.GetName()] = mf
	}
	return mfs
}

// secondWorker is another worker process's worth of hookflow on e's
// database and task queue: its own client, worker and dispatcher.
func secondWorker(t *testing.T, e *env) *env {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := metrics.New()
	c, err := client.Dial(client.Options{HostPort: temporalAddr, Logger: sdklog.NewStructuredLogger(logger)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	d := worker.NewDispatcher(e.store, c, e.queue, logger, m)
	w := worker.New(c, e.queue, worker.Deps{Store: e.store, Receivers: testReceivers(), Retry: fastRetry, Metrics: m, Dispatcher: d})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return &env{t: t, dispatcher: d, metrics: m}
}

// One tenant's backlog of 10,000 events does not hold back another
// tenant's event: it takes the next turn in hookflow's queue, waits in the
// engine only behind the starts in flight (which the dispatcher's bound
// keeps short), and arrives no more than a second later than the same
// tenant's event did without the backlog, on this machine, in this run: the
// difference is the delay the backlog caused, whatever else loads the
// machine. Each way is the median of three events, one after another: a
// stall of the whole machine (under `go test ./...`, another package's
// burst runs beside this one) holds up one event for a second, backlog or
// none, but not the next.
func TestBacklogOfOneTenantDoesNotDelayAnother(t *testing.T) {
	starts := newStartLog()
	e := newEnvWith(t, storetest.SQLite(t), envOptions{starts: starts})
	bulk := newReceiver(t)
	single := newReceiver(t)
	// Tenants of this run only: workflow ids name them, and the Temporal
	// server outlives a run (-count).
	bulkTenant, singleTenant := "bulk-"+e.queue, "single-"+e.queue
	e.createHook(map[string]any{"events": []string{"*"}, "target_url": bulk.URL, "tenant": bulkTenant})
	e.createHook(map[string]any{"events": []string{"*"}, "target_url": single.URL, "tenant": singleTenant})

	// sendSingle triggers one event of the single tenant and times it.
	sendSingle := func(id string) (sent time.Time, took time.Duration, workflowID string) {
		before := single.hits.Load()
		sent = time.Now()
		a := e.trigger(map[string]any{"id": id, "event": "contact.updated", "data": map[string]any{"id": 1}, "tenant": singleTenant})
		waitFor(t, 60*time.Second, "the single tenant's event "+id, func() bool { return single.hits.Load() > before })
		return sent, single.requests()[before].At.Sub(sent), a.WorkflowID
	}
	const tries = 3
	// The reference: the single tenant's event with nothing queued. The
	// first event of a process pays for warming up: it is not timed.
	sendSingle("single-warm")
	var alone []time.Duration
	for i := range tries {
		_, took, _ := sendSingle(fmt.Sprint("single-alone-", i))
		alone = append(alone, took)
	}

	const backlog = 10000
	for i := 0; i < backlog; i += 1000 {
		var batch []map[string]any
		for j := i; j < i+1000; j++ {
			batch = append(batch, map[string]any{"id": fmt.Sprint("bulk-", j), "event": "contact.updated", "data": map[string]any{"id": j}, "tenant": bulkTenant})
		}
		if code := e.call("POST", "/v1/events/batch", map[string]any{"events": batch}, nil); code != 202 {
			t.Fatalf("bulk batch = %d", code)
		}
	}
	waitFor(t, 60*time.Second, "the bulk tenant's deliveries to flow", func() bool { return bulk.hits.Load() >= 100 })

	var behind []time.Duration
	for i := range tries {
		sent, took, id := sendSingle(fmt.Sprint("single-behind-", i))
		behind = append(behind, took)
		requested, started := starts.times(id)
		ahead := starts.requestedBetween(sent, requested)
		t.Logf("behind the backlog the single event took %s: %s queued in hookflow (%d bulk starts went first), %s starting in Temporal, %s to its delivery",
			took, requested.Sub(sent), ahead, started.Sub(requested), took-started.Sub(sent))
		// One claim (at most maxClaim, 64) may be on its way when the
		// event is admitted; it takes the next one.
		if ahead > 2*64 {
			t.Errorf("%d of the bulk tenant's starts went before the single tenant's event: it waited behind the backlog", ahead)
		}
	}
	queued, _, err := e.store.QueueStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("alone the single event took %v, behind the backlog %v; %d bulk events still queued", alone, behind, queued)
	if queued < backlog/2 {
		t.Fatalf("only %d bulk events were still queued: the backlog drained too soon to test anything", queued)
	}
	if delay := medianOf(behind) - medianOf(alone); delay > time.Second {
		t.Errorf("the backlog delayed the single tenant's event by %s (median %s against %s alone), want ≤ 1s", delay, medianOf(behind), medianOf(alone))
	}
}

// medianOf is the middle of an odd number of durations.
func medianOf(ds []time.Duration) time.Duration {
	return slices.Sorted(slices.Values(ds))[len(ds)/2]
}
