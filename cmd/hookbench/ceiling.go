package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hookflow/hookflow/internal/devserver"
	"github.com/hookflow/hookflow/internal/pprofhttp"
	"github.com/hookflow/hookflow/workflows"
	enumspb "go.temporal.io/api/enums/v1"
	sdkclient "go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// The ceiling is the bare engine hookflow runs on: the same embedded
// Temporal server and config as `hookflow dev` (state on disk), a worker
// with hookflow's worker options, and per event one workflow of two local
// activities, started eagerly from the HTTP request that asks for it. The
// first activity does nothing; the second posts the event id to the
// receiver, so its latency is measured exactly as hookflow's. Whatever
// hookflow costs beyond this is hookflow's own.
const ceilingCommand = "serve-ceiling"

// ceilingQueue is the bare worker's task queue.
const ceilingQueue = "ceiling"

// startCeiling runs the bare engine as a child process (hookbench
// serve-ceiling), so its CPU and memory are measured apart from the load
// generator, as hookflow's are.
func startCeiling(ctx context.Context) (*server, error) {
	dir, err := os.MkdirTemp("", "hookbench-ceiling-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir}
	port, err := freePort()
	if err != nil {
		return s, err
	}
	self, err := os.Executable()
	if err != nil {
		return s, err
	}
	s.api = "http://127.0.0.1:" + strconv.Itoa(port)
	return s, s.launch(ctx, exec.Command(self, ceilingCommand, "127.0.0.1:"+strconv.Itoa(port), filepath.Join(dir, "data")))
}

type bareInput struct {
	EventID string
	Target  string
}

// bareWorkflow is the least a webhook engine on Temporal does per event.
func bareWorkflow(ctx workflow.Context, in bareInput) error {
	var a *bareActivities
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 30 * time.Second})
	if err := workflow.ExecuteLocalActivity(lctx, a.Plan, in.EventID).Get(ctx, nil); err != nil {
		return err
	}
	return workflow.ExecuteLocalActivity(lctx, a.Send, in).Get(ctx, nil)
}

type bareActivities struct{ http *http.Client }

// Plan does nothing: where hookflow matches hooks and plans deliveries.
func (a *bareActivities) Plan(context.Context, string) error { return nil }

// Send posts the event id to the receiver, once.
func (a *bareActivities) Send(ctx context.Context, in bareInput) error {
	body, _ := json.Marshal(map[string]string{"id": in.EventID})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.Target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Webhook-Id", in.EventID)
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// serveCeiling is the child process: it serves POST /v1/hooks (remembers
// the target), POST /v1/events (starts one bare workflow, answers 202 once
// it is started) and GET /readyz, until SIGINT or SIGTERM.
func serveCeiling(addr, dataDir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Profiled as hookflow is, so the two profiles compare.
	pprofhttp.Serve(os.Getenv("HOOKFLOW_PPROF_ADDR"), slog.New(slog.DiscardHandler))
	ts, err := devserver.Start(ctx, devserver.Options{DatabaseFile: filepath.Join(dataDir, "temporal.db"),
		SearchAttributes: workflows.SearchAttributes})
	if err != nil {
		return err
	}
	defer ts.Stop()
	quiet := sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	// As hookflow dials its embedded server: no gzip on loopback.
	c, err := sdkclient.Dial(sdkclient.Options{HostPort: ts.FrontendAddress(), Logger: quiet,
		ConnectionOptions: sdkclient.ConnectionOptions{GrpcCompression: &sdkclient.GrpcCompressionNone{}}})
	if err != nil {
		return err
	}
	defer c.Close()
	w := sdkworker.New(c, ceilingQueue, sdkworker.Options{MaxConcurrentActivityExecutionSize: 500, MaxConcurrentLocalActivityExecutionSize: 100})
	w.RegisterWorkflowWithOptions(bareWorkflow, workflow.RegisterOptions{Name: "Bare"})
	w.RegisterActivity(&bareActivities{http: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 256}}})
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()

	var target atomic.Value
	target.Store("")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("POST /v1/hooks", func(w http.ResponseWriter, r *http.Request) {
		var h struct {
			TargetURL string `json:"target_url"`
		}
		_ = json.NewDecoder(r.Body).Decode(&h)
		target.Store(h.TargetURL)
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("POST /v1/events", func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			ID string `json:"id"`
		}
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil || ev.ID == "" {
			http.Error(w, "need an id", http.StatusBadRequest)
			return
		}
		sctx, cancel := context.WithTimeout(r.Context(), 10*time.Second) // as hookflow's start used to be bounded
		defer cancel()
		_, err := c.ExecuteWorkflow(sctx, sdkclient.StartWorkflowOptions{
			ID: "bare/" + ev.ID, TaskQueue: ceilingQueue, EnableEagerStart: true,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		}, "Bare", bareInput{EventID: ev.ID, Target: target.Load().(string)})
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Shutdown(context.Background()) }()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// cpuTime is the CPU (user + system) the processes have used so far.
func cpuTime(pids ...int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command name, which is in parentheses and may hold spaces.
		rest := b[bytes.LastIndexByte(b, ')')+2:]
		f := bytes.Fields(rest)
		if len(f) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(string(f[11]), 10, 64)
		stime, _ := strconv.ParseInt(string(f[12]), 10, 64)
		total += time.Duration(utime+stime) * time.Second / clockTicks
	}
	return total
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on Linux.
const clockTicks = 100
