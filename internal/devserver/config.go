package devserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"google.golang.org/protobuf/types/known/durationpb"
)

const (
	clusterName = "active"
	storeName   = "sqlite"
)

// memoryDBSeq makes in-memory database names unique within the process: with
// cache=shared, SQLite connections that use the same name share one database.
var memoryDBSeq atomic.Int64

// sqlConfig returns the SQLite persistence config for dbFile (an absolute
// path) or, when it is empty, for a new in-memory database.
func sqlConfig(dbFile string) *config.SQL {
	if dbFile == "" {
		// The Temporal SQLite plugin creates the schema itself when it opens a
		// database in memory mode. It never closes its connections, so the
		// data lives as long as the process, even after Stop.
		return &config.SQL{
			PluginName:   sqliteplugin.PluginName,
			DatabaseName: fmt.Sprintf("hookflow-dev-%d-%d", os.Getpid(), memoryDBSeq.Add(1)),
			ConnectAttributes: map[string]string{
				"mode":  "memory",
				"cache": "shared",
			},
		}
	}
	return &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: dbFile,
		ConnectAttributes: map[string]string{
			"mode": "rwc",
			// WAL with synchronous=NORMAL commits without an fsync per
			// transaction: 2-3x the workflows/s of the default rollback
			// journal here. A machine crash may lose the last commits but
			// not corrupt the file: fine for dev state. Temporal's SQLite
			// plugin keeps one connection per database, so WAL's single
			// writer is never contended.
			"journal_mode": "wal",
			"synchronous":  "normal",
		},
	}
}

// prepareDatabase creates the schema when the database file is new or empty
// (and its directory when missing),
// and the namespace (with its search attributes) when it does not exist yet.
// It runs before the server starts, so the namespace is there from the first
// request on.
func prepareDatabase(cfg *config.SQL, dbFile, namespace string, attrs map[string]enums.IndexedValueType, retention time.Duration) error {
	if dbFile != "" {
		if err := os.MkdirAll(filepath.Dir(dbFile), 0o755); err != nil {
			return fmt.Errorf("devserver: database directory: %w", err)
		}
		fi, err := os.Stat(dbFile)
		switch {
		case errors.Is(err, os.ErrNotExist) || err == nil && fi.Size() == 0:
			if err := sqliteschema.SetupSchema(cfg); err != nil {
				return fmt.Errorf("devserver: create schema in %s: %w", dbFile, err)
			}
		case err != nil:
			return fmt.Errorf("devserver: database file: %w", err)
		}
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, namespace, false, attrs)
	if err != nil {
		return fmt.Errorf("devserver: namespace %q: %w", namespace, err)
	}
	if retention > 0 {
		ns.Detail.Config.Retention = durationpb.New(retention)
	}
	// A no-op when the namespace exists: search attributes added to Options
	// later are registered through the API once the server runs.
	if err := sqliteschema.CreateNamespaces(cfg, ns); err != nil {
		return fmt.Errorf("devserver: create namespace %q: %w", namespace, err)
	}
	if dbFile != "" {
		if err := trimVisibility(dbFile); err != nil {
			return fmt.Errorf("devserver: %w", err)
		}
	}
	return nil
}

// ports are the ports of the four Temporal services: gRPC, plus the
// frontend's HTTP API.
type ports struct {
	frontend, frontendHTTP, history, matching, worker int
}

// serverConfig is the static Temporal config: one process running all
// services on ip, SQLite for both persistence and visibility.
func serverConfig(ip string, p ports, sql *config.SQL) *config.Config {
	frontendAddr := hostPort(ip, p.frontend)
	httpAddr := hostPort(ip, p.frontendHTTP)
	service := func(port int) config.Service {
		var s config.Service
		s.RPC.GRPCPort = port
		s.RPC.BindOnIP = ip
		return s
	}
	var c config.Config
	c.Global.Membership.BroadcastAddress = ip
	c.Persistence = config.Persistence{
		DefaultStore:    storeName,
		VisibilityStore: storeName,
		// The shard count is fixed when a database is first used; one shard
		// is plenty for one SQLite writer.
		NumHistoryShards: 1,
		DataStores:       map[string]config.DataStore{storeName: {SQL: sql}},
	}
	c.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontendAddr, HTTPAddress: httpAddr},
		},
	}
	c.DCRedirectionPolicy.Policy = "noop"
	frontend := service(p.frontend)
	// Without the HTTP API the frontend warns on every start that Nexus is
	// unavailable; with it, Nexus endpoints work as in the temporal CLI.
	frontend.RPC.HTTPPort = p.frontendHTTP
	c.Services = map[string]config.Service{
		"frontend": frontend,
		"history":  service(p.history),
		"matching": service(p.matching),
		"worker":   service(p.worker),
	}
	c.Archival.History.State = "disabled"
	c.Archival.Visibility.State = "disabled"
	c.NamespaceDefaults.Archival.History.State = "disabled"
	c.NamespaceDefaults.Archival.Visibility.State = "disabled"
	// The worker service (system workflows) reaches the frontend through this.
	c.PublicClient.HostPort = frontendAddr
	return &c
}

// dynamicConfig holds the dev server's settings that differ from Temporal's
// defaults. UpdateWorkflowExecution (and its async "accepted" stage) and
// CHASM are on by default in server v1.32, so they are not set here.
func dynamicConfig() dynamicconfig.StaticClient {
	// The default limits (frontend 2400 rps, matching 1200 rps, history
	// 3000 rps, persistence 2000-9000 qps per host) are sized for one host of
	// a cluster. Here one process runs every service, and a workflow with
	// one activity costs 5-7 calls to each of frontend, matching and history
	// (start, polls, completions), so a 300 workflows/s benchmark would hit
	// them. Lift them all: SQLite and the CPU are the real limits.
	const unlimited = 1_000_000
	return dynamicconfig.StaticClient{
		// The server otherwise calls home periodically to check for updates.
		dynamicconfig.EnableServerVersionCheck.Key(): false,

		dynamicconfig.FrontendRPS.Key():                        unlimited,
		dynamicconfig.FrontendMaxNamespaceRPSPerInstance.Key(): unlimited,
		dynamicconfig.FrontendPersistenceMaxQPS.Key():          unlimited,
		dynamicconfig.MatchingRPS.Key():                        unlimited,
		dynamicconfig.MatchingPersistenceMaxQPS.Key():          unlimited,
		dynamicconfig.HistoryRPS.Key():                         unlimited,
		dynamicconfig.HistoryPersistenceMaxQPS.Key():           unlimited,
		dynamicconfig.WorkerPersistenceMaxQPS.Key():            unlimited,
		// Visibility (ListWorkflow, the Web UI's lists and counts) defaults to
		// 10 rps per namespace: a UI tab plus a test polling a query hit it.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): unlimited,

		// Temporal's Stop never stops the SDK workers of these system jobs
		// (upstream TODOs in service/worker/scanner): they would keep polling
		// a dead port, logging, for the life of the process, once per server
		// a test suite starts. The scanners only tidy orphaned task queue and
		// history rows, which a dev database can do without; without the
		// parent-close-policy worker, history applies parent close policies
		// to children inline instead.
		dynamicconfig.TaskQueueScannerEnabled.Key():       false,
		dynamicconfig.HistoryScannerEnabled.Key():         false,
		dynamicconfig.EnableParentClosePolicyWorker.Key(): false,

		// The mutable-state cache holds up to 128k workflows by default,
		// sized for a server host. hookflow's workflows mostly finish within
		// one task, so a small cache costs no reads, and it keeps a dev
		// process lean: at 8192 entries a minute at 120 events/s took the
		// process to ~500 MB.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 1024,

		// Under load, read the visibility queue at most four times a second
		// (the default is 20), up to 1,000 tasks a read. A workflow's row is
		// written at start and again at close, but Temporal skips the start
		// row of a workflow that has closed by the time its task is read, and
		// most of hookflow's event workflows last less than the wait: each
		// then costs one visibility write instead of two, on the one SQLite
		// connection every write shares. Measured beside the default: the
		// bare engine 10 % more workflows/s, hookflow dev 9 % more events/s
		// at 10 % less CPU each (docs/bench/issue13.md, eighth pass). An idle
		// server reads at once (the limiter's burst is four reads), so what
		// one runs by hand shows in the UI's list as before; under load the
		// list trails by at most a quarter of a second more.
		dynamicconfig.VisibilityProcessorMaxPollRPS.Key(): 4,
		dynamicconfig.VisibilityTaskBatchSize.Key():       1000,

		// The transfer and visibility queues keep each task they ran until
		// their next checkpoint, 30 s by default, and every new task's range
		// is merged into theirs by walking all of them
		// (executableTracker.split): at 200 workflows/s, up to ~12,000 walked
		// per new range, up to 7 % of the CPU, and in some runs not others.
		// Checkpointing every second keeps a second's worth. Bursts drained
		// 23-27 % faster in five of five interleaved pairs
		// (docs/bench/issue13.md, tenth pass); the cost is one small write
		// of each queue's state a second.
		dynamicconfig.TransferProcessorUpdateAckInterval.Key():   time.Second,
		dynamicconfig.VisibilityProcessorUpdateAckInterval.Key(): time.Second,
	}
}

func hostPort(ip string, port int) string {
	return net.JoinHostPort(ip, strconv.Itoa(port))
}
