package chaos

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/actions"
	"github.com/hookflow/hookflow/internal/seal"
	"github.com/hookflow/hookflow/workflows"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// clusterNamespace and clusterQueue are where hookflow runs on the cluster.
const (
	clusterNamespace = "hookflow-cluster"
	clusterQueue     = "hookflow-cluster"
)

// clusterStack is hookflow's production shape on a real Temporal cluster:
// two `hookflow api` and two `hookflow worker` processes over one
// PostgreSQL database.
type clusterStack struct {
	temporal *temporalCluster
	env      []string // every hookflow process's settings but Temporal's
	apis     [2]*proc
	workers  [2]*proc
	clients  [2]*apiClient
}

// worker starts worker i with Temporal's settings from the environment.
func (s *clusterStack) startWorker(t *testing.T, i int) {
	t.Helper()
	env := append(append(s.env, s.temporal.clientEnv(clusterNamespace)...), fmt.Sprintf("HOOKFLOW_METRICS_ADDR=127.0.0.1:%d", freePort(t)))
	s.workers[i] = startHookflow(t, fmt.Sprintf("hookflow worker %d", i), env, "worker")
}

// startAPI starts api i: the first with Temporal's settings from the
// environment, the second from a temporal.toml profile.
func (s *clusterStack) startAPI(t *testing.T, i int) {
	t.Helper()
	port := freePort(t)
	s.clients[i] = newAPIClient(port)
	temporal := s.temporal.clientEnv(clusterNamespace)
	if i == 1 {
		temporal = s.temporal.profile(t, clusterNamespace)
	}
	env := append(append(s.env, temporal...), fmt.Sprintf("HOOKFLOW_ADDR=127.0.0.1:%d", port))
	s.apis[i] = startHookflow(t, fmt.Sprintf("hookflow api %d", i), env, "api")
}

// splitLoad sends events idPrefix-a-… through the first API and
// idPrefix-b-… through the second, n in all.
func (s *clusterStack) splitLoad(idPrefix string, n int, retry bool) [2]*load {
	var ls [2]*load
	for i, c := range s.clients {
		ls[i] = &load{client: c, idPrefix: fmt.Sprintf("%s-%c", idPrefix, 'a'+i), n: n / 2, concurrency: 4,
			retry: retry, pause: 10 * time.Millisecond, deadline: 3 * time.Minute}
		ls[i].start()
	}
	return ls
}

func waitLoads(t *testing.T, ls [2]*load) (acked map[string]bool) {
	t.Helper()
	acked = map[string]bool{}
	for _, l := range ls {
		l.wait(t)
		maps.Copy(acked, l.acknowledged())
	}
	return acked
}

// waitLogged waits until p's output holds text.
func waitLogged(t *testing.T, p *proc, text string, timeout time.Duration) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%s to log %q", p.name, text), timeout, func() bool {
		b, _ := os.ReadFile(p.log)
		return strings.Contains(string(b), text)
	})
}

// hookflow in production on a real Temporal cluster: temporal-server and
// temporal-sql-tool built from the pinned go.temporal.io/server, PostgreSQL
// persistence and visibility, four history shards, a frontend that requires
// mutual TLS; two api and two worker processes on PostgreSQL, configured
// through Temporal's own variables and a temporal.toml profile.
//
// A worker started before Temporal, and before its namespace, waits for
// both and says so. Events alternate between the APIs and each is delivered
// exactly once; a worker killed with SIGKILL mid-delivery loses nothing
// (duplicates carry the delivery id); while Temporal is killed and down,
// every trigger is answered 202, and all are delivered once it is back;
// every event's workflow is found by its search attributes;
// and the task queue's backlog drains after each burst, never stalling.
func TestProductionShapeOnATemporalCluster(t *testing.T) {
	began := time.Now()
	pg := startPostgres(t)
	tc := newTemporalCluster(t, pg, newClusterPKI(t))
	rcv := newReceiver(t)
	rcv.slow(20 * time.Millisecond)
	s := &clusterStack{temporal: tc, env: append([]string{
		"HOOKFLOW_LOG_LEVEL=info",
		"HOOKFLOW_DATABASE_URL=" + pg.url(),
		"HOOKFLOW_TASK_QUEUE=" + clusterQueue,
		"HOOKFLOW_API_KEYS=" + apiKey,
		"HOOKFLOW_ENCRYPTION_KEYS=" + seal.NewKey(),
		"HOOKFLOW_ALLOW_PRIVATE_TARGETS=true",
	}, fastRetries...)}
	migrate := exec.Command(hookflowBin, "migrate")
	migrate.Env = append(cleanEnv(), s.env...)
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("hookflow migrate: %v\n%s", err, out)
	}

	// A worker that starts first waits for Temporal, then for the namespace.
	s.startWorker(t, 0)
	waitLogged(t, s.workers[0], "waiting for Temporal: no answer from "+tc.address(), time.Minute)
	tc.start(t)
	waitLogged(t, s.workers[0], "waiting for Temporal: namespace "+clusterNamespace+" does not exist", 2*time.Minute)
	c := tc.dial(t, clusterNamespace)
	registerNamespace(t, c, clusterNamespace)
	waitLogged(t, s.workers[0], `"msg":"Temporal ready"`, 2*time.Minute)
	t.Logf("cluster up and a waiting worker ready after %s", time.Since(began).Round(time.Second))
	s.startWorker(t, 1)
	s.startAPI(t, 0)
	s.startAPI(t, 1)
	for i, api := range s.apis {
		waitReady(t, api, s.clients[i], 2*time.Minute)
	}
	checkSearchAttributesRegistered(t, c)
	hookID := s.clients[0].createHook(t, rcv.url())

	// 1. Deliveries, each exactly once.
	ls := s.splitLoad("once", 200, false)
	acked := waitLoads(t, ls)
	if len(acked) != 200 {
		t.Fatalf("%d of 200 events acknowledged without faults", len(acked))
	}
	peak := watchDrain(t, c, clusterNamespace, clusterQueue, rcv, len(acked), 30*time.Second, 3*time.Minute)
	expectDelivered(t, rcv, 200, acked, time.Minute)
	for id := range acked {
		if n := len(rcv.arrivals(id)); n != 1 {
			t.Errorf("event %s arrived %d times without any fault, want once", id, n)
		}
	}
	t.Logf("no faults: 200 events delivered once each; backlog peak %d tasks, oldest %s", peak.tasks, peak.oldest)
	checkActions(t, c, acked)

	// 2. A worker killed with SIGKILL while requests are in flight.
	all := maps.Clone(acked)
	ls = s.splitLoad("kill", 200, true)
	waitFor(t, "40 more deliveries and one in flight", 2*time.Minute, func() bool {
		return rcv.delivered() >= len(all)+40 && rcv.inFlightCount() > 0
	})
	s.workers[0].kill(t)
	t.Logf("worker 0 killed at %d delivered", rcv.delivered())
	s.startWorker(t, 0)
	maps.Copy(all, waitLoads(t, ls))
	peak = watchDrain(t, c, clusterNamespace, clusterQueue, rcv, len(all), 30*time.Second, 3*time.Minute)
	f := expectDelivered(t, rcv, 400, all, time.Minute)
	t.Logf("worker killed: %d duplicates (same webhook-id); backlog peak %d tasks, oldest %s", f.duplicated, peak.tasks, peak.oldest)

	// 3. Temporal killed with SIGKILL: every trigger sent while it is down
	// is answered 202 (admitted into the database, nothing refused), and
	// all of them are delivered once it is back.
	ls = s.splitLoad("outage-before", 50, false)
	waitFor(t, "the load before the outage to start", time.Minute, func() bool { return ls[0].acked.Load()+ls[1].acked.Load() >= 10 })
	tc.proc.kill(t)
	before := waitLoads(t, ls)
	down := s.splitLoad("outage", 100, false)
	during := waitLoads(t, down)
	for _, l := range append(ls[:], down[:]...) {
		l.expectAnswers(t) // 202 only: no 503, no connection error
	}
	if len(during) != 100 {
		t.Errorf("%d of 100 triggers sent while Temporal was down answered 202", len(during))
	}
	if code, err := s.clients[1].do(http.MethodGet, "/readyz", nil, nil); err != nil || code != http.StatusOK {
		t.Errorf("GET /readyz while Temporal is down = %d %v, want 200: triggers are still accepted", code, err)
	}
	delivered := rcv.delivered()
	tc.start(t)
	maps.Copy(all, before)
	maps.Copy(all, during)
	peak = watchDrain(t, c, clusterNamespace, clusterQueue, rcv, len(all), 30*time.Second, 3*time.Minute)
	f = expectDelivered(t, rcv, 550, all, time.Minute)
	if f.acked != 550 {
		t.Errorf("%d of 550 events acknowledged", f.acked)
	}
	t.Logf("Temporal down: the %d triggers sent meanwhile were all answered 202; %d of %d events had arrived when it came back; backlog peak %d tasks, oldest %s",
		len(during), delivered, len(all), peak.tasks, peak.oldest)

	// 4. Visibility: every event's workflow is found by its search attributes.
	query := fmt.Sprintf("HookflowHookIds = '%d' AND HookflowEventType = 'Contact.Update'", hookID)
	waitFor(t, "visibility to list all 550 event workflows", 2*time.Minute, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: clusterNamespace, Query: query})
		return err == nil && resp.GetCount() == int64(len(all))
	})
	t.Logf("%d workflows match %s; took %s", len(all), query, time.Since(began).Round(time.Second))
}

// checkSearchAttributesRegistered checks that hookflow registered its
// search attributes on the cluster's namespace.
func checkSearchAttributesRegistered(t *testing.T, c client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: clusterNamespace})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"HookflowTenant", "HookflowEventType", "HookflowHookIds"} {
		if _, ok := resp.GetCustomAttributes()[name]; !ok {
			t.Errorf("search attribute %s not registered: %v", name, resp.GetCustomAttributes())
		}
	}
}

// checkActions counts, from the cluster's own histories, the Temporal Cloud
// Actions each event cost: an event whose one delivery is accepted at once
// costs its start and one batch of local activities.
func checkActions(t *testing.T, c client.Client, events map[string]bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	costs := map[int]int{} // actions → events
	for id := range events {
		it := c.GetWorkflowHistory(ctx, workflows.FanoutWorkflowID("default", id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		var evs []*historypb.HistoryEvent
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatalf("history of event %s: %v", id, err)
			}
			evs = append(evs, ev)
		}
		costs[actions.History(evs).Total()]++
	}
	t.Logf("Temporal Cloud Actions per event (actions: events): %v", costs)
	if costs[2] < len(events)/2 {
		t.Errorf("fewer than half the events cost 2 actions: %v", costs)
	}
}
