package main

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// result is one run's figures; it prints as a table and as one JSON line.
type result struct {
	Scenario       string         `json:"scenario"`
	Mode           string         `json:"mode"`
	Rate           float64        `json:"target_rate"`
	Concurrency    int            `json:"concurrency"`
	Batch          int            `json:"batch"`
	DurationS      float64        `json:"send_seconds"`
	EventsSent     int64          `json:"events_sent"`
	EventsAccepted int64          `json:"events_accepted"`
	AcceptedPerS   float64        `json:"events_accepted_per_s"`
	AcceptP50ms    float64        `json:"accept_p50_ms"` // trigger sent → answered, any answer
	AcceptP99ms    float64        `json:"accept_p99_ms"`
	Expected       int64          `json:"deliveries_expected"`
	Delivered      int            `json:"deliveries_received"`
	DeliveriesPerS float64        `json:"deliveries_per_s"`
	P50ms          float64        `json:"latency_p50_ms"`
	P95ms          float64        `json:"latency_p95_ms"`
	P99ms          float64        `json:"latency_p99_ms"`
	MaxMs          float64        `json:"latency_max_ms"`
	Errors         int64          `json:"trigger_errors"`
	Duplicates     int            `json:"duplicates"`
	Statuses       map[string]int `json:"trigger_statuses"`
	PeakRSSMiB     float64        `json:"server_peak_rss_mib"`
	// CPUmsPerDelivery is the server processes' CPU (user + system) from the
	// first trigger to the end of the drain, per delivery received.
	CPUmsPerDelivery float64 `json:"cpu_ms_per_delivery"`
	// Undelivered deliveries had not arrived when the drain time ran out.
	Undelivered int64 `json:"undelivered"`

	// CPU per accepted event from the first trigger to the end of the
	// drain, by side (serve mode; 0 where not measured).
	CPUHookflowMs   float64 `json:"cpu_ms_per_event_hookflow,omitempty"`
	CPUAPIMs        float64 `json:"cpu_ms_per_event_hookflow_api,omitempty"` // part of CPUHookflowMs, with -apis
	CPUHookflowPGMs float64 `json:"cpu_ms_per_event_hookflow_postgres,omitempty"`
	CPUTemporalMs   float64 `json:"cpu_ms_per_event_temporal,omitempty"`
	CPUTemporalPGMs float64 `json:"cpu_ms_per_event_temporal_postgres,omitempty"`
	// The task queue's backlog (with -temporal): its peak, its oldest task,
	// and the longest a partition's backlog stood still (with -partitions).
	BacklogPeak    int64   `json:"backlog_peak,omitempty"`
	BacklogOldestS float64 `json:"backlog_oldest_s,omitempty"`
	BacklogFrozenS float64 `json:"backlog_partition_frozen_s,omitempty"`
	// Ceiling is the bare engine under the same load, run just before.
	Ceiling *result `json:"ceiling,omitempty"`
}

// run measures the scenario, and (with -ceiling) the bare engine under
// the same load first, so the ratio between them comes from one machine at
// one moment.
func run(ctx context.Context, o options, sc scenario) (*result, error) {
	var ceiling *result
	if o.ceiling && !sc.bare && o.target == "" {
		bare := sc
		bare.bare = true
		var err error
		if ceiling, err = runOnce(ctx, o, bare); err != nil {
			return nil, fmt.Errorf("ceiling: %w", err)
		}
	}
	res, err := runOnce(ctx, o, sc)
	if err != nil {
		return nil, err
	}
	res.Ceiling = ceiling
	return res, nil
}

func runOnce(ctx context.Context, o options, sc scenario) (*result, error) {
	delay := sc.receiverDelay
	if o.receiverLag > 0 {
		delay = o.receiverLag
	}
	rcv, err := startReceiver(delay)
	if err != nil {
		return nil, err
	}
	defer rcv.srv.Close()
	c := &client{base: o.target, key: o.apiKey, http: &http.Client{Timeout: 60 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0}}}
	pids := []int{o.serverPID}
	meter := &cpuMeter{temporalPID: o.temporalPID}
	var watch *backlogWatch
	if o.target == "" {
		start := startServer
		if sc.bare {
			start = func(ctx context.Context, _ options) (*server, error) { return startCeiling(ctx) }
		}
		srv, err := start(ctx, o)
		if srv != nil {
			defer srv.stop()
		}
		if err != nil {
			return nil, err
		}
		c.base, c.bases, pids = srv.api, srv.apis, srv.pids()
		if o.mode == "serve" && !sc.bare {
			meter.hookflowPIDs, meter.apiPIDs, meter.hookflowDB = srv.hookflowPIDs, srv.apiPIDs, srv.database
			meter.temporalPID = cmp.Or(o.temporalPID, srv.temporalPID)
			if meter.pg, err = sql.Open("pgx", o.databaseURL); err != nil {
				return nil, err
			}
			defer meter.pg.Close()
			meter.temporalDBs = strings.Split(o.temporalDatabases, ",")
		}
		if o.temporal != "" && !sc.bare {
			if watch, err = watchBacklog(o, srv.queue); err != nil {
				return nil, err
			}
		}
	}
	perEvent := int64(sc.hooks * sc.requestsPerEvent())
	if sc.bare {
		sc.hooks, sc.otherHooks, perEvent = 1, 0, 1 // one request per event, whatever the scenario's fan-out
	}
	if err := setup(ctx, c, sc, rcv.url); err != nil {
		return nil, err
	}
	runID := "b" + strconv.FormatInt(time.Now().UnixNano(), 36)
	meter.begin(ctx)
	cpu := cpuTime(pids...)
	load := send(ctx, c, o, sc, rcv, runID)
	expected := load.accepted * perEvent
	deadline := time.Now().Add(o.drain)
	for int64(rcv.delivered()) < expected && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	cpu = cpuTime(pids...) - cpu
	res := summarize(o, sc, load, rcv, expected, pids[0])
	if res.Delivered > 0 {
		res.CPUmsPerDelivery = float64(cpu.Microseconds()) / 1000 / float64(res.Delivered)
	}
	if o.mode == "serve" && !sc.bare && load.accepted > 0 {
		sides, n := meter.end(ctx), float64(load.accepted)
		per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / n }
		res.CPUHookflowMs, res.CPUAPIMs, res.CPUHookflowPGMs = per(sides.hookflow), per(sides.api), per(sides.hookflowPG)
		res.CPUTemporalMs, res.CPUTemporalPGMs = per(sides.temporal), per(sides.temporalPG)
	}
	if watch != nil {
		peak, oldest, frozen := watch.finish()
		res.BacklogPeak, res.BacklogOldestS, res.BacklogFrozenS = peak, oldest.Seconds(), frozen.Seconds()
	}
	if sc.bare {
		res.Scenario = "ceiling"
	}
	return res, nil
}

func summarize(o options, sc scenario, load loadResult, rcv *receiver, expected int64, pid int) *result {
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	lat := slices.Clone(rcv.latencies)
	slices.Sort(lat)
	pct := func(p float64) float64 { return percentile(lat, p) }
	answers := slices.Clone(load.answers)
	slices.Sort(answers)
	r := &result{
		Scenario: o.scenario, Mode: o.mode, Rate: o.rate, Concurrency: o.concurrency, Batch: o.batch,
		DurationS: load.elapsed.Seconds(), EventsSent: load.sent, EventsAccepted: load.accepted,
		AcceptedPerS: float64(load.accepted) / load.elapsed.Seconds(),
		Expected:     expected, Delivered: len(lat), Errors: load.errors, Duplicates: rcv.duplicates,
		P50ms: pct(0.50), P95ms: pct(0.95), P99ms: pct(0.99), AcceptP50ms: percentile(answers, 0.5), AcceptP99ms: percentile(answers, 0.99), Statuses: map[string]int{}, PeakRSSMiB: peakRSS(pid),
		Undelivered: expected - int64(len(lat)),
	}
	if len(lat) > 0 {
		r.MaxMs = float64(lat[len(lat)-1].Microseconds()) / 1000
		// Deliveries per second over the span from the first trigger to the last delivery.
		if span := rcv.last.Sub(rcv.firstSent()); span > 0 {
			r.DeliveriesPerS = float64(len(lat)) / span.Seconds()
		}
	}
	for code, n := range load.statuses {
		r.Statuses[strconv.Itoa(code)] = int(n)
	}
	return r
}

// percentile of sorted durations, in ms.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[min(len(sorted)-1, int(p*float64(len(sorted))))].Microseconds()) / 1000
}

func (r *result) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "scenario\t%s (%s)\n", r.Scenario, r.Mode)
	fmt.Fprintf(tw, "load\trate %.0f/s, concurrency %d, batch %d, %.1fs\n", r.Rate, r.Concurrency, r.Batch, r.DurationS)
	fmt.Fprintf(tw, "events accepted\t%d of %d (%.1f/s), %d errors %v\n", r.EventsAccepted, r.EventsSent, r.AcceptedPerS, r.Errors, r.Statuses)
	fmt.Fprintf(tw, "answer latency\tp50 %.1f ms, p99 %.1f ms\n", r.AcceptP50ms, r.AcceptP99ms)
	fmt.Fprintf(tw, "deliveries\t%d of %d (%.1f/s), %d duplicates, %d not arrived after the drain\n", r.Delivered, r.Expected, r.DeliveriesPerS, r.Duplicates, r.Undelivered)
	fmt.Fprintf(tw, "latency\tp50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms\n", r.P50ms, r.P95ms, r.P99ms, r.MaxMs)
	fmt.Fprintf(tw, "server peak RSS\t%.0f MiB\n", r.PeakRSSMiB)
	fmt.Fprintf(tw, "server CPU\t%.2f ms per delivery\n", r.CPUmsPerDelivery)
	if r.CPUHookflowMs > 0 {
		fmt.Fprintf(tw, "CPU per event\thookflow %.1f ms (APIs %.1f ms) + its PostgreSQL %.1f ms; Temporal %.1f ms + its PostgreSQL %.1f ms\n",
			r.CPUHookflowMs, r.CPUAPIMs, r.CPUHookflowPGMs, r.CPUTemporalMs, r.CPUTemporalPGMs)
	}
	if r.BacklogPeak > 0 || r.BacklogFrozenS > 0 {
		fmt.Fprintf(tw, "task queue backlog\tpeak %d tasks, oldest %.0f s; a partition stood still for up to %.0f s\n",
			r.BacklogPeak, r.BacklogOldestS, r.BacklogFrozenS)
	}
	if c := r.Ceiling; c != nil {
		fmt.Fprintf(tw, "ceiling\t%.1f deliveries/s, p50 %.1f ms, p99 %.1f ms, %.2f ms CPU per delivery, %d errors, peak RSS %.0f MiB\n",
			c.DeliveriesPerS, c.P50ms, c.P99ms, c.CPUmsPerDelivery, c.Errors, c.PeakRSSMiB)
		fmt.Fprintf(tw, "vs ceiling\tdeliveries/s %s, p50 %s, p99 %s, CPU per delivery %s\n",
			percent(r.DeliveriesPerS, c.DeliveriesPerS), times(r.P50ms, c.P50ms), times(r.P99ms, c.P99ms), times(r.CPUmsPerDelivery, c.CPUmsPerDelivery))
	}
	tw.Flush()
}

// percent prints a as a share of b.
func percent(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f %%", 100*a/b)
}

// times prints a as a multiple of b.
func times(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("×%.2f", a/b)
}

// median takes, figure by figure, the median of several runs.
func median(rs []*result) *result {
	m := *rs[0]
	pick := func(get func(*result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = get(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	m.DurationS = pick(func(r *result) float64 { return r.DurationS })
	m.EventsSent = int64(pick(func(r *result) float64 { return float64(r.EventsSent) }))
	m.EventsAccepted = int64(pick(func(r *result) float64 { return float64(r.EventsAccepted) }))
	m.AcceptedPerS = pick(func(r *result) float64 { return r.AcceptedPerS })
	m.Expected = int64(pick(func(r *result) float64 { return float64(r.Expected) }))
	m.Delivered = int(pick(func(r *result) float64 { return float64(r.Delivered) }))
	m.DeliveriesPerS = pick(func(r *result) float64 { return r.DeliveriesPerS })
	m.P50ms = pick(func(r *result) float64 { return r.P50ms })
	m.P95ms = pick(func(r *result) float64 { return r.P95ms })
	m.P99ms = pick(func(r *result) float64 { return r.P99ms })
	m.MaxMs = pick(func(r *result) float64 { return r.MaxMs })
	m.Errors = int64(pick(func(r *result) float64 { return float64(r.Errors) }))
	m.Duplicates = int(pick(func(r *result) float64 { return float64(r.Duplicates) }))
	m.PeakRSSMiB = pick(func(r *result) float64 { return r.PeakRSSMiB })
	m.Undelivered = int64(pick(func(r *result) float64 { return float64(r.Undelivered) }))
	m.CPUHookflowMs = pick(func(r *result) float64 { return r.CPUHookflowMs })
	m.CPUAPIMs = pick(func(r *result) float64 { return r.CPUAPIMs })
	m.CPUHookflowPGMs = pick(func(r *result) float64 { return r.CPUHookflowPGMs })
	m.CPUTemporalMs = pick(func(r *result) float64 { return r.CPUTemporalMs })
	m.CPUTemporalPGMs = pick(func(r *result) float64 { return r.CPUTemporalPGMs })
	m.BacklogPeak = int64(pick(func(r *result) float64 { return float64(r.BacklogPeak) }))
	m.BacklogOldestS = pick(func(r *result) float64 { return r.BacklogOldestS })
	m.BacklogFrozenS = pick(func(r *result) float64 { return r.BacklogFrozenS })
	m.CPUmsPerDelivery = pick(func(r *result) float64 { return r.CPUmsPerDelivery })
	m.AcceptP50ms = pick(func(r *result) float64 { return r.AcceptP50ms })
	m.AcceptP99ms = pick(func(r *result) float64 { return r.AcceptP99ms })
	m.Statuses = nil
	var ceilings []*result
	for _, r := range rs {
		if r.Ceiling != nil {
			ceilings = append(ceilings, r.Ceiling)
		}
	}
	m.Ceiling = nil
	if len(ceilings) > 0 {
		m.Ceiling = median(ceilings)
	}
	return &m
}
