// Command hookbench measures hookflow end to end: it starts (or targets) a
// hookflow, runs its own receiver on 127.0.0.1, creates hooks, sends events
// at a set rate or concurrency for a bounded time, and prints events
// accepted/s, deliveries/s, end-to-end latency percentiles (trigger sent →
// receiver got it), errors and the server's peak RSS — as a table and as one
// JSON line.
//
//	go run ./cmd/hookbench -scenario one-hook -rate 300 -duration 60s
//
// Every run is preceded by the same load on the bare engine (scenario
// ceiling, ceiling.go), and hookflow's figures are printed against it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

type options struct {
	scenario    string
	rate        float64
	concurrency int
	duration    time.Duration
	drain       time.Duration
	target      string
	apiKey      string
	serverPID   int
	hookflow    string
	mode        string
	databaseURL string
	temporal    string
	batch       int
	receiverLag time.Duration
	runs        int

	// serve mode on a Temporal cluster
	apis, workers     int
	temporalPID       int
	temporalDatabases string
	partitions        int
	backlogLog        string
	ceiling           bool
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == ceilingCommand { // the bare engine's own process
		if err := serveCeiling(os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, "hookbench ceiling:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.StringVar(&o.scenario, "scenario", "one-hook", "one of: "+strings.Join(scenarioNames(), ", "))
	flag.Float64Var(&o.rate, "rate", 0, "events per second to send (open loop); 0 = as fast as -concurrency allows")
	flag.IntVar(&o.concurrency, "concurrency", 32, "triggers in flight at once")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "how long to send")
	flag.DurationVar(&o.drain, "drain", 60*time.Second, "how long to wait for deliveries after sending stops")
	flag.StringVar(&o.target, "target", "", "URL of a running hookflow API; empty: start one")
	flag.StringVar(&o.apiKey, "api-key", "", "API key for -target")
	flag.IntVar(&o.serverPID, "server-pid", 0, "PID of the -target server, to read its peak RSS")
	flag.StringVar(&o.hookflow, "hookflow", "", "hookflow binary to start (default: go build ./cmd/hookflow)")
	flag.StringVar(&o.mode, "mode", "dev", "how to start hookflow: dev (embedded Temporal, SQLite) or serve (PostgreSQL + -temporal)")
	flag.StringVar(&o.databaseURL, "database-url", "", "serve mode: a PostgreSQL server's URL; each run creates (and drops) a database of its own there")
	flag.StringVar(&o.temporal, "temporal", "", "serve mode: Temporal frontend host:port (default: start one with hookflow dev's embedded server)")
	flag.IntVar(&o.batch, "batch", 0, "send events through POST /v1/events/batch, this many per request (0: one per request)")
	flag.DurationVar(&o.receiverLag, "receiver-delay", 0, "how long the receiver takes to answer (overrides the scenario)")
	flag.IntVar(&o.runs, "runs", 1, "repeat the run (each on a fresh hookflow) and print the medians too")
	flag.IntVar(&o.apis, "apis", 0, "serve mode: run this many `hookflow api` processes (and -workers workers) instead of one `hookflow serve`; the load goes round the APIs")
	flag.IntVar(&o.workers, "workers", 1, "serve mode with -apis: how many `hookflow worker` processes")
	flag.IntVar(&o.temporalPID, "temporal-pid", 0, "PID of the -temporal server, to count its CPU")
	flag.StringVar(&o.temporalDatabases, "temporal-databases", "", "comma list of the -temporal server's databases on the -database-url PostgreSQL, to count their backends' CPU")
	flag.IntVar(&o.partitions, "partitions", 0, "with -temporal: read the backlog of this many workflow task queue partitions through the admin API (self-hosted servers)")
	flag.StringVar(&o.backlogLog, "backlog-log", "", "with -temporal: write the task queue's backlog, sampled every second, to this file")
	flag.BoolVar(&o.ceiling, "ceiling", true, "before each run, run the bare engine (scenario ceiling) under the same load and print hookflow's figures against it")
	flag.Parse()
	sc, ok := scenarios[o.scenario]
	if !ok {
		fmt.Fprintf(os.Stderr, "hookbench: unknown scenario %q; one of %s\n", o.scenario, strings.Join(scenarioNames(), ", "))
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM) // either way, stop the servers it started
	defer stop()
	if o.scenario == "overload" && o.rate == 0 {
		capacity, err := measureCapacity(ctx, o)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hookbench:", err)
			os.Exit(1)
		}
		o.rate = 3 * capacity
		fmt.Printf("capacity of the bare engine: %.1f events/s; offering 3× = %.0f events/s\n\n", capacity, o.rate)
	}
	var results []*result
	for i := 0; i < max(o.runs, 1); i++ {
		res, err := run(ctx, o, sc)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hookbench:", err)
			os.Exit(1)
		}
		res.print(os.Stdout)
		line, _ := json.Marshal(res)
		fmt.Println(string(line))
		results = append(results, res)
	}
	if len(results) > 1 {
		m := median(results)
		fmt.Printf("\nmedian of %d runs\n", len(results))
		m.print(os.Stdout)
		line, _ := json.Marshal(m)
		fmt.Println(string(line))
	}
}

// measureCapacity is what the bare engine sustains here and now: 20 s of
// events as fast as 16 senders get them accepted, deliveries per second.
func measureCapacity(ctx context.Context, o options) (float64, error) {
	o.rate, o.concurrency, o.duration, o.drain = 0, 16, 20*time.Second, 60*time.Second
	res, err := runOnce(ctx, o, scenarios["ceiling"])
	if err != nil {
		return 0, fmt.Errorf("measure capacity: %w", err)
	}
	return res.DeliveriesPerS, nil
}
