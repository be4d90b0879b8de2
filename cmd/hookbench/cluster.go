package main

// What serve mode needs against a real Temporal cluster: several api and
// worker processes, the CPU each side spends, and the task queue's backlog.

import (
	"context"
	"crypto/tls"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hookflow/hookflow/internal/config"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	sdkclient "go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/api/adminservice/v1"
	tqspb "go.temporal.io/server/api/taskqueue/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// startRoles runs `hookflow migrate`, then o.apis `hookflow api` and
// o.workers `hookflow worker` processes on db and Temporal at temporal, and
// returns the APIs' base URLs.
func (s *server) startRoles(bin string, env []string, o options, db, temporal, queue string) ([]string, error) {
	migrate := exec.Command(bin, "migrate", "--database-url", db)
	migrate.Env = env
	if out, err := migrate.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("hookflow migrate: %w\n%s", err, out)
	}
	common := []string{"--database-url", db, "--temporal-address", temporal, "--task-queue", queue}
	for range max(o.workers, 1) {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		if err := s.start(bin, env, append([]string{"worker", "--metrics-addr", "127.0.0.1:" + strconv.Itoa(port)}, common...)); err != nil {
			return nil, err
		}
	}
	var apis []string
	for range o.apis {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		if err := s.start(bin, env, append([]string{"api", "--addr", addr}, common...)); err != nil {
			return nil, err
		}
		apis = append(apis, "http://"+addr)
		s.apiPIDs = append(s.apiPIDs, s.hookflowPIDs[len(s.hookflowPIDs)-1])
	}
	return apis, nil
}

// start runs one hookflow process of this run.
func (s *server) start(bin string, env, args []string) error {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	s.procs = append(s.procs, cmd)
	s.hookflowPIDs = append(s.hookflowPIDs, cmd.Process.Pid)
	return nil
}

// cpuSides is CPU time spent by each side of the system; api is the part
// of hookflow's spent by `hookflow api` processes.
type cpuSides struct {
	hookflow, api, hookflowPG, temporal, temporalPG time.Duration
}

// cpuMeter reads the CPU time of hookflow's processes, of the Temporal
// server, and of the PostgreSQL backends serving either side's databases
// (PostgreSQL on this machine: its backends' /proc entries).
type cpuMeter struct {
	hookflowPIDs []int
	apiPIDs      []int // those of hookflowPIDs that are APIs
	temporalPID  int
	pg           *sql.DB // nil: no PostgreSQL figures
	hookflowDB   string
	temporalDBs  []string
	start        map[int]time.Duration // backend pid → CPU at start
	startSides   cpuSides
}

// backends lists the PostgreSQL backends connected to each database.
func (m *cpuMeter) backends(ctx context.Context) map[int]string {
	out := map[int]string{}
	if m.pg == nil {
		return out
	}
	rows, err := m.pg.QueryContext(ctx, `SELECT pid, datname FROM pg_stat_activity WHERE datname IS NOT NULL`)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		var db string
		if rows.Scan(&pid, &db) == nil {
			out[pid] = db
		}
	}
	return out
}

// read returns each side's CPU since begin (or since process start when
// begin has not run); PostgreSQL backends that exited in between are lost.
func (m *cpuMeter) read(ctx context.Context) cpuSides {
	var c cpuSides
	c.hookflow, c.api = cpuTime(m.hookflowPIDs...), cpuTime(m.apiPIDs...)
	if m.temporalPID != 0 {
		c.temporal = cpuTime(m.temporalPID)
	}
	for pid, db := range m.backends(ctx) {
		used := cpuTime(pid) - m.start[pid]
		switch {
		case db == m.hookflowDB:
			c.hookflowPG += used
		case slices.Contains(m.temporalDBs, db):
			c.temporalPG += used
		}
	}
	return c
}

// begin starts the measured window.
func (m *cpuMeter) begin(ctx context.Context) {
	m.start = map[int]time.Duration{}
	for pid := range m.backends(ctx) {
		m.start[pid] = cpuTime(pid)
	}
	m.startSides = m.read(ctx)
}

// end returns each side's CPU over the window.
func (m *cpuMeter) end(ctx context.Context) cpuSides {
	c := m.read(ctx)
	return cpuSides{
		hookflow: c.hookflow - m.startSides.hookflow, api: c.api - m.startSides.api, hookflowPG: c.hookflowPG,
		temporal: c.temporal - m.startSides.temporal, temporalPG: c.temporalPG,
	}
}

// backlogWatch samples the task queue's backlog every second while the
// run lasts: the whole queue through the public API, and each partition
// through the admin API when -partitions is set (self-hosted servers only).
type backlogWatch struct {
	mu          sync.Mutex
	peak        int64
	oldest      time.Duration
	frozen      time.Duration // longest a partition's non-empty backlog did not move
	lines       io.Writer
	stop, done  chan struct{}
	partitions  int
	namespace   string
	queue       string
	c           sdkclient.Client
	admin       adminservice.AdminServiceClient
	last        []int64
	frozenSince []time.Time
}

// watchBacklog connects to Temporal as hookflow does (Temporal's client
// configuration with -temporal as the address) and starts sampling.
func watchBacklog(o options, queue string) (*backlogWatch, error) {
	prof, err := config.LoadTemporalProfile(os.Getenv)
	if err != nil {
		return nil, err
	}
	cfg := config.Config{Temporal: prof, TemporalAddress: o.temporal, TemporalNamespace: prof.Namespace}
	if cfg.TemporalNamespace == "" {
		cfg.TemporalNamespace = "default"
	}
	opts, err := cfg.TemporalClientOptions()
	if err != nil {
		return nil, err
	}
	opts.Logger = sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	c, err := sdkclient.Dial(opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", o.temporal, err)
	}
	w := &backlogWatch{c: c, namespace: opts.Namespace, queue: queue, partitions: o.partitions, lines: io.Discard,
		stop: make(chan struct{}), done: make(chan struct{}),
		last: make([]int64, o.partitions), frozenSince: make([]time.Time, o.partitions)}
	if o.backlogLog != "" {
		f, err := os.Create(o.backlogLog)
		if err != nil {
			return nil, err
		}
		w.lines = f
	}
	if o.partitions > 0 {
		creds := insecure.NewCredentials()
		if opts.ConnectionOptions.TLS != nil {
			creds = credentials.NewTLS(opts.ConnectionOptions.TLS.Clone())
		} else if prof.APIKey != "" {
			creds = credentials.NewTLS(&tls.Config{})
		}
		conn, err := grpc.NewClient(o.temporal, grpc.WithTransportCredentials(creds))
		if err != nil {
			return nil, err
		}
		w.admin = adminservice.NewAdminServiceClient(conn)
	}
	go w.run()
	return w, nil
}

func (w *backlogWatch) run() {
	defer close(w.done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-w.stop:
			return
		case now := <-tick.C:
			w.sample(now)
		}
	}
}

func (w *backlogWatch) sample(now time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	line := now.Format("15:04:05.000")
	var total int64
	var oldest time.Duration
	for _, typ := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
		resp, err := w.c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
			Namespace: w.namespace, TaskQueue: &taskqueuepb.TaskQueue{Name: w.queue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			TaskQueueType: typ, ReportStats: true,
		})
		if err != nil {
			line += " " + typ.String() + " error: " + err.Error()
			continue
		}
		st := resp.GetStats()
		total += st.GetApproximateBacklogCount()
		oldest = max(oldest, st.GetApproximateBacklogAge().AsDuration())
		line += fmt.Sprintf(" %s backlog=%d oldest=%s", typ, st.GetApproximateBacklogCount(), st.GetApproximateBacklogAge().AsDuration().Round(time.Second))
	}
	parts := w.partitionBacklogs(ctx)
	if parts != nil {
		line += fmt.Sprintf(" workflow partitions=%v", parts)
	}
	fmt.Fprintln(w.lines, line)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.peak, w.oldest = max(w.peak, total), max(w.oldest, oldest)
	for i, n := range parts {
		switch {
		case n == 0 || n != w.last[i]:
			w.frozenSince[i] = now
		default:
			w.frozen = max(w.frozen, now.Sub(w.frozenSince[i]))
		}
		w.last[i] = n
	}
}

// partitionBacklogs reads each workflow-task partition's backlog; nil
// without -partitions or when the admin API refuses.
func (w *backlogWatch) partitionBacklogs(ctx context.Context) []int64 {
	if w.admin == nil {
		return nil
	}
	out := make([]int64, w.partitions)
	for i := range w.partitions {
		resp, err := w.admin.DescribeTaskQueuePartition(ctx, &adminservice.DescribeTaskQueuePartitionRequest{
			Namespace: w.namespace,
			TaskQueuePartition: &tqspb.TaskQueuePartition{TaskQueue: w.queue, TaskQueueType: enumspb.TASK_QUEUE_TYPE_WORKFLOW,
				PartitionId: &tqspb.TaskQueuePartition_NormalPartitionId{NormalPartitionId: int32(i)}},
			BuildIds: &taskqueuepb.TaskQueueVersionSelection{Unversioned: true},
		})
		if err != nil {
			return nil
		}
		for _, v := range resp.GetVersionsInfoInternal() {
			for _, st := range v.GetPhysicalTaskQueueInfo().GetInternalTaskQueueStatus() {
				out[i] += st.GetApproximateBacklogCount()
			}
		}
	}
	return out
}

// finish stops sampling and returns the peak backlog, its oldest task, and
// the longest time a partition's backlog stood still.
func (w *backlogWatch) finish() (peak int64, oldest, frozen time.Duration) {
	close(w.stop)
	<-w.done
	w.c.Close()
	if f, ok := w.lines.(io.Closer); ok {
		f.Close()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak, w.oldest, w.frozen
}
