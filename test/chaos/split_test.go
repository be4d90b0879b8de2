package chaos

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/seal"
)

// splitStack is the production shape on one machine: `hookflow temporal`
// (the embedded Temporal server alone), `hookflow api` and `hookflow worker`,
// each its own process, over one database.
type splitStack struct {
	env         []string // the api's and the worker's settings
	api, worker *proc
	client      *apiClient
	temporal    *proc
	startTemp   func(t *testing.T) *proc // (re)starts Temporal on its data dir and port
}

// startSplit migrates the database at dbURL and starts Temporal, the worker
// and the API, with env on top of fastRetries.
func startSplit(t *testing.T, dbURL string, env ...string) *splitStack {
	t.Helper()
	temporalPort, apiPort := freePort(t), freePort(t)
	s := &splitStack{client: newAPIClient(apiPort)}
	s.env = append([]string{
		"HOOKFLOW_LOG_LEVEL=warn",
		"HOOKFLOW_DATABASE_URL=" + dbURL,
		fmt.Sprintf("HOOKFLOW_TEMPORAL_ADDRESS=127.0.0.1:%d", temporalPort),
		fmt.Sprintf("HOOKFLOW_ADDR=127.0.0.1:%d", apiPort),
		// The worker's /metrics: its default :9464 may be taken by another hookflow on the machine.
		fmt.Sprintf("HOOKFLOW_METRICS_ADDR=127.0.0.1:%d", freePort(t)),
		"HOOKFLOW_API_KEYS=" + apiKey,
		"HOOKFLOW_ENCRYPTION_KEYS=" + seal.NewKey(),
		"HOOKFLOW_ALLOW_PRIVATE_TARGETS=true", // the receiver is on loopback
	}, append(fastRetries, env...)...)
	temporalDir := t.TempDir()
	s.startTemp = func(t *testing.T) *proc {
		p := startHookflow(t, "hookflow temporal", []string{"HOOKFLOW_LOG_LEVEL=warn"}, "temporal",
			"--data-dir", temporalDir, "--temporal-port", fmt.Sprint(temporalPort), "--ui-port", "0")
		waitListening(t, p, temporalPort, 2*time.Minute)
		return p
	}
	s.temporal = s.startTemp(t)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	migrate := exec.CommandContext(ctx, hookflowBin, "migrate")
	migrate.Env = append(cleanEnv(), s.env...)
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("hookflow migrate: %v\n%s", err, out)
	}
	s.startWorker(t)
	s.startAPI(t)
	return s
}

func (s *splitStack) startWorker(t *testing.T) {
	t.Helper()
	s.worker = startHookflow(t, "hookflow worker", s.env, "worker")
}

func (s *splitStack) startAPI(t *testing.T) {
	t.Helper()
	s.api = startHookflow(t, "hookflow api", s.env, "api")
	waitReady(t, s.api, s.client, 2*time.Minute)
}

// The production shape on PostgreSQL under a steady load of 300 triggers:
// the worker is killed (SIGKILL) mid-delivery, then the API mid-acceptance,
// then PostgreSQL crashes (immediate shutdown) and comes back, then is
// restarted as `pg_ctl restart` does (fast shutdown). While the database is
// down the API answers 503 (never a 500, never a hang) and it recovers by
// itself. Every acknowledged event arrives; duplicates carry the delivery id.
func TestSplitRolesSurviveKillsAndDatabaseCrash(t *testing.T) {
	began := time.Now()
	pg := startPostgres(t)
	rcv := newReceiver(t)
	rcv.slow(20 * time.Millisecond)
	s := startSplit(t, pg.url())
	hookID := s.client.createHook(t, rcv.url())

	l := &load{client: s.client, idPrefix: "split", n: 300, concurrency: 4, pause: 50 * time.Millisecond, retry: true, deadline: 3 * time.Minute}
	l.start()

	waitFor(t, "30 deliveries and one in flight", 2*time.Minute, func() bool { return rcv.delivered() >= 30 && rcv.inFlightCount() > 0 })
	s.worker.kill(t)
	t.Logf("worker killed at %d acknowledged, %d delivered", l.acked.Load(), rcv.delivered())
	resumeAt := l.acked.Load() + 20
	waitFor(t, "20 more events acknowledged while the worker is down", time.Minute, func() bool { return l.acked.Load() >= resumeAt })
	s.startWorker(t)

	waitFor(t, "120 events acknowledged", 2*time.Minute, func() bool { return l.acked.Load() >= 120 })
	s.api.kill(t)
	t.Logf("API killed at %d acknowledged, %d delivered", l.acked.Load(), rcv.delivered())
	s.startAPI(t)

	waitFor(t, "200 events acknowledged", 2*time.Minute, func() bool { return l.acked.Load() >= 200 })
	w := watchAPI(s.client, hookID)
	pg.crash(t)
	t.Logf("PostgreSQL crashed at %d acknowledged, %d delivered", l.acked.Load(), rcv.delivered())
	expectUnavailable(t, s.client, http.MethodPost, "/v1/events", trigger("while-db-down"))
	expectUnavailable(t, s.client, http.MethodGet, fmt.Sprintf("/v1/hooks/%d", hookID), nil)
	expectUnavailable(t, s.client, http.MethodGet, "/v1/events/split-0", nil)
	if code, err := s.client.do(http.MethodGet, "/readyz", nil, nil); err != nil || code != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz while PostgreSQL is down = %d %v, want 503", code, err)
	}
	time.Sleep(2 * time.Second) // the outage: the load and the watcher meet it too
	pg.start(t)
	waitReady(t, s.api, s.client, time.Minute) // by itself: nothing is restarted
	pg.restart(t)
	t.Logf("PostgreSQL restarted at %d acknowledged, %d delivered", l.acked.Load(), rcv.delivered())
	waitReady(t, s.api, s.client, time.Minute)
	w.stop(t)
	l.wait(t)

	f := expectDelivered(t, rcv, l.n, l.acknowledged(), 3*time.Minute)
	if f.acked != l.n {
		t.Errorf("%d of %d events acknowledged", f.acked, l.n)
	}
	connErrs, statuses := l.expectAnswers(t, http.StatusServiceUnavailable)
	t.Logf("answers besides 202: %d × 503, %d connection errors (all resent); took %s",
		statuses[http.StatusServiceUnavailable], connErrs, time.Since(began).Round(time.Second))
}

// errorAnswer is the API's error shape, as far as the tests read it.
type errorAnswer struct {
	Error struct {
		Code string `json:"code"`
	} `json:"error"`
}

// expectUnavailable checks that a request answers 503 with code "unavailable" in time.
func expectUnavailable(t *testing.T, c *apiClient, method, path string, body any) {
	t.Helper()
	var answer errorAnswer
	code, err := c.do(method, path, body, &answer)
	switch {
	case err != nil:
		t.Errorf("%s %s while PostgreSQL is down: %v; want a 503 within %s", method, path, err, requestTimeout)
	case code != http.StatusServiceUnavailable || answer.Error.Code != "unavailable":
		t.Errorf("%s %s while PostgreSQL is down = %d %q, want 503 \"unavailable\"", method, path, code, answer.Error.Code)
	}
}

// apiWatch reads and writes through the API in a loop while the database
// crashes and restarts, and counts the answers.
type apiWatch struct {
	done    chan struct{}
	stopped chan struct{}

	mu      sync.Mutex
	answers map[string]int  // "GET /v1/hooks 503" → how many
	failing map[string]bool // "GET /v1/hooks" → its last answer was not a success
	bad     []string        // answers other than success or 503 "unavailable", and failed requests
}

// watchAPI starts watching: a hook read, the hook list, an event with its
// deliveries, a hook's deliveries, and a hook creation (a transaction; its
// pattern never matches, so it receives nothing).
func watchAPI(c *apiClient, hookID int64) *apiWatch {
	w := &apiWatch{done: make(chan struct{}), stopped: make(chan struct{}), answers: map[string]int{}, failing: map[string]bool{}}
	requests := []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, fmt.Sprintf("/v1/hooks/%d", hookID), nil},
		{http.MethodGet, "/v1/hooks", nil},
		{http.MethodGet, "/v1/events/split-0", nil},
		{http.MethodGet, fmt.Sprintf("/v1/hooks/%d/deliveries", hookID), nil},
		{http.MethodPost, "/v1/hooks", map[string]any{"events": []string{"probe.never"}, "target_url": "http://127.0.0.1:9/never"}},
	}
	go func() {
		defer close(w.stopped)
		for {
			for _, r := range requests {
				var answer errorAnswer
				code, err := c.do(r.method, r.path, r.body, &answer)
				req := r.method + " " + r.path
				w.mu.Lock()
				w.failing[req] = err != nil || code >= 300
				switch {
				case err != nil:
					w.bad = append(w.bad, fmt.Sprintf("%s: %v", req, err))
				case code < 300, code == http.StatusServiceUnavailable && answer.Error.Code == "unavailable":
					w.answers[fmt.Sprintf("%s %d", req, code)]++
				default:
					w.bad = append(w.bad, fmt.Sprintf("%s %d %q", req, code, answer.Error.Code))
				}
				w.mu.Unlock()
			}
			select {
			case <-w.done:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return w
}

// stop waits until every request succeeds again, ends the watch and checks
// that the outage showed as 503 and nothing else went wrong.
func (w *apiWatch) stop(t *testing.T) {
	t.Helper()
	waitFor(t, "every watched request to succeed again", time.Minute, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return !slices.Contains(slices.Collect(maps.Values(w.failing)), true)
	})
	close(w.done)
	select {
	case <-w.stopped:
	case <-time.After(2 * requestTimeout):
		t.Fatal("API watcher did not stop")
	}
	unavailable := 0
	for what, n := range w.answers {
		if strings.HasSuffix(what, " 503") {
			unavailable += n
		}
	}
	if unavailable == 0 {
		t.Error("the watcher never saw a 503 while PostgreSQL was down")
	}
	for _, b := range w.bad[:min(len(w.bad), 10)] {
		t.Errorf("while PostgreSQL crashed and restarted: %s", b)
	}
	t.Logf("API answers while PostgreSQL crashed and restarted: %v", w.answers)
}
