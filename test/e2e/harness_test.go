// Package e2e runs hookflow end to end: a real embedded Temporal server, a
// real database (SQLite, and PostgreSQL when HOOKFLOW_TEST_DATABASE_URL is
// set), the real worker and API, and httptest receivers.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/api/router"
	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/devserver"
	"github.com/hookflow/hookflow/internal/egress"
	"github.com/hookflow/hookflow/internal/metrics"
	"github.com/hookflow/hookflow/internal/openapitest"
	"github.com/hookflow/hookflow/internal/plan"
	"github.com/hookflow/hookflow/internal/probe"
	"github.com/hookflow/hookflow/internal/receiverauth"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/worker"
	"github.com/hookflow/hookflow/workflows"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

// temporalAddr is the one embedded Temporal server every test here shares;
// tests keep apart by task queue and database.
var temporalAddr string

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	srv, err := devserver.Start(ctx, devserver.Options{SearchAttributes: workflows.SearchAttributes})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start embedded Temporal:", err)
		os.Exit(1)
	}
	temporalAddr = srv.FrontendAddress()
	code := m.Run()
	srv.Stop()
	os.Exit(code)
}

// fastRetry keeps retry tests short: 200ms, ×2, capped at 1s, 4 attempts.
var fastRetry = plan.Retry{InitialInterval: 200 * time.Millisecond, Backoff: 2, MaxInterval: time.Second, MaxAttempts: 4, AttemptTimeout: 10 * time.Second}

// envCount numbers the envs of this test binary.
var envCount atomic.Int64

// env is one running hookflow: its own database, task queue, worker, API
// and metrics registry.
type env struct {
	t      *testing.T
	store  *store.Store
	client client.Client
	api    *httptest.Server
	http   *http.Client // checks every exchange against the API's OpenAPI document
	queue  string
	key    string // sent as a bearer token when set
	// tenant, when set, is the tenant every call acts for. Workflow ids name
	// tenants, and the Temporal server is shared by both backends.
	tenant string
	// dispatcher starts the workflows of admitted events, as in the worker
	// role; dispatch starts it unless envOptions.holdDispatch.
	dispatcher *worker.Dispatcher
	metrics    *metrics.Metrics
}

// newEnv starts one hookflow on b; opts adjust the worker's dependencies.
func newEnv(t *testing.T, b storetest.Backend, opts ...func(*worker.Deps)) *env {
	t.Helper()
	return newEnvWith(t, b, envOptions{worker: opts})
}

// envOptions vary an env: API keys (the test client sends the first), where
// every log line of the API, worker and Temporal SDK goes, and changes to
// the worker's dependencies.
type envOptions struct {
	keys   []config.APIKey
	logs   io.Writer
	worker []func(*worker.Deps)
	// holdDispatch leaves admitted events queued until the test calls dispatch.
	holdDispatch bool
	// starts, when set, records when the dispatcher asked Temporal to start
	// each workflow, and when the start returned.
	starts *startLog
}

func newEnvWith(t *testing.T, b storetest.Backend, o envOptions) *env {
	t.Helper()
	st := storetest.Open(t, b)
	if o.logs == nil {
		o.logs = io.Discard
	}
	logger := slog.New(slog.NewJSONHandler(o.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := metrics.New()
	m.CountHooks(st)
	m.CountQueue(st)
	sdkMetrics, err := m.TemporalHandler()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(client.Options{HostPort: temporalAddr, Logger: sdklog.NewStructuredLogger(logger), MetricsHandler: sdkMetrics})
	if err != nil {
		t.Fatalf("dial Temporal: %v", err)
	}
	t.Cleanup(c.Close)
	// Unique per env, also across -count repeats of one test: visibility
	// queries tell tests apart by it.
	queue := fmt.Sprintf("e2e-%s-%d", strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()), envCount.Add(1))
	receivers := testReceivers()
	var d *worker.Dispatcher
	if o.starts != nil {
		d = worker.NewDispatcher(st, &loggedStarter{Client: c, log: o.starts}, queue, logger, m)
	} else {
		d = worker.NewDispatcher(st, c, queue, logger, m)
	}
	deps := worker.Deps{Store: st, Receivers: receivers, Retry: fastRetry, Metrics: m, Dispatcher: d}
	for _, edit := range o.worker {
		edit(&deps)
	}
	w := worker.New(c, queue, deps)
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	t.Cleanup(w.Stop)
	srv := httptest.NewServer(router.New(st, api.Deps{Temporal: c, TaskQueue: queue, MaxBody: 5 << 20, MaxRecords: 10000,
		Logger: logger, Now: time.Now, Tester: probe.New(receivers), ReceiverAuth: receivers, Keys: o.keys, Metrics: m, Admitted: d.Wake}))
	t.Cleanup(srv.Close)
	e := &env{t: t, store: st, client: c, api: srv, queue: queue, dispatcher: d, metrics: m,
		http: &http.Client{Transport: openapitest.New(t, openapiDocument(t, srv.URL)).Transport(nil)}}
	if len(o.keys) > 0 {
		e.key = o.keys[0].Key
	}
	if !o.holdDispatch {
		e.dispatch(d)
	}
	return e
}

// dispatch runs d until the test ends (stopped before the worker: cleanups
// run last first).
func (e *env) dispatch(d *worker.Dispatcher) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	e.t.Cleanup(func() { cancel(); <-done })
}

// call sends a JSON request to the API and decodes the answer into out.
func (e *env) call(method, path string, body any, out any) int {
	e.t.Helper()
	return e.callWithHeader(method, path, body, out)
}

// callWithHeader is call with extra headers, given as name, value pairs.
func (e *env) callWithHeader(method, path string, body any, out any, header ...string) int {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, e.api.URL+path, r)
	req.Header.Set("Content-Type", "application/json")
	if e.key != "" {
		req.Header.Set("Authorization", "Bearer "+e.key)
	}
	if e.tenant != "" {
		req.Header.Set(api.TenantHeader, e.tenant)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

// openapiDocument fetches the OpenAPI document the API at base serves.
func openapiDocument(t *testing.T, base string) []byte {
	t.Helper()
	resp, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /openapi.json = %d, %v", resp.StatusCode, err)
	}
	return b
}

type hookAnswer struct {
	ID     int64  `json:"id"`
	Secret string `json:"secret"`
	State  string `json:"state"`
}

func (e *env) createHook(body map[string]any) hookAnswer {
	e.t.Helper()
	var h hookAnswer
	if code := e.call("POST", "/v1/hooks", body, &h); code != 201 {
		e.t.Fatalf("create hook = %d", code)
	}
	return h
}

type triggerAnswer struct {
	EventID    string `json:"event_id"`
	WorkflowID string `json:"workflow_id"`
	Duplicate  bool   `json:"duplicate"`
}

func (e *env) trigger(body map[string]any) triggerAnswer {
	e.t.Helper()
	var a triggerAnswer
	if code := e.call("POST", "/v1/events", body, &a); code != 202 {
		e.t.Fatalf("trigger = %d", code)
	}
	return a
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// received is one request a receiver got.
type received struct {
	At     time.Time
	Header http.Header
	Body   []byte
	Err    error // signature verification by the Standard Webhooks reference library
}

// receiver is an httptest server that records requests and answers with the
// next status of a script (200 once the script runs out).
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      []received
	script   []int
	secret   atomic.Value // string: verify signatures when set
	hits     atomic.Int32
	delay    time.Duration
	retryHdr string
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{script: script}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	rec := received{At: time.Now(), Header: req.Header.Clone(), Body: body}
	if s, _ := r.secret.Load().(string); s != "" {
		wh, err := standardwebhooks.NewWebhook(s)
		if err == nil {
			err = wh.Verify(body, req.Header)
		}
		rec.Err = err
	}
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	r.mu.Lock()
	n := len(r.got)
	r.got = append(r.got, rec)
	status := 200
	if n < len(r.script) {
		status = r.script[n]
	}
	r.mu.Unlock()
	r.hits.Add(1)
	if r.retryHdr != "" && status >= 400 {
		w.Header().Set("Retry-After", r.retryHdr)
	}
	w.WriteHeader(status)
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// standardBody is the body of a standard-format delivery.
type standardBody struct {
	ID        string           `json:"id"`
	Type      string           `json:"type"`
	Timestamp string           `json:"timestamp"`
	Data      []map[string]any `json:"data"`
	Chunk     struct {
		Index int `json:"index"`
		Count int `json:"count"`
	} `json:"chunk"`
}

func decodeStandard(t *testing.T, b []byte) standardBody {
	t.Helper()
	var s standardBody
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("delivery body %s: %v", b, err)
	}
	return s
}

// startLog is when a dispatcher asked Temporal to start each workflow (by
// workflow id), and when the start returned.
type startLog struct {
	mu                 sync.Mutex
	requested, started map[string]time.Time
}

func newStartLog() *startLog {
	return &startLog{requested: map[string]time.Time{}, started: map[string]time.Time{}}
}

// times are the start's request and answer; zero until they happened.
func (l *startLog) times(workflowID string) (requested, started time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.requested[workflowID], l.started[workflowID]
}

// requestedBetween counts the starts requested in (from, to].
func (l *startLog) requestedBetween(from, to time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, at := range l.requested {
		if at.After(from) && !at.After(to) {
			n++
		}
	}
	return n
}

// loggedStarter is a Temporal client whose workflow starts go to a startLog.
type loggedStarter struct {
	client.Client
	log *startLog
}

func (s *loggedStarter) ExecuteWorkflow(ctx context.Context, o client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	s.log.mu.Lock()
	s.log.requested[o.ID] = time.Now()
	s.log.mu.Unlock()
	run, err := s.Client.ExecuteWorkflow(ctx, o, wf, args...)
	s.log.mu.Lock()
	s.log.started[o.ID] = time.Now()
	s.log.mu.Unlock()
	return run, err
}

// testReceivers sends the deliveries of a test worker. Connecting and the
// TLS handshake get the whole request's time, as hookflow's own sender
// gives them up to 10 s: with 1 s each, a handshake with an httptest TLS
// receiver, on a machine whose cores the embedded Temporal server and
// others share, sometimes ran out, and an attempt meant to fail on the
// certificate failed on time instead (TestInsecureSSLIsPerHook).
func testReceivers() *receiverauth.Authenticator {
	return receiverauth.New(egress.New(egress.Options{AllowPrivate: true, Timeout: 5 * time.Second,
		ConnectTimeout: 5 * time.Second, TLSTimeout: 5 * time.Second}))
}
