package worker

import (
	"context"
	"errors"
	"log/slog"
	"math/bits"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookflow/hookflow/internal/filter"
	"github.com/hookflow/hookflow/internal/metrics"
	"github.com/hookflow/hookflow/internal/plan"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/workflows"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// eventQueue is the admission queue in hookflow's database; *store.Store is one.
type eventQueue interface {
	ClaimEvents(ctx context.Context, limit int, now, until time.Time) ([]models.Event, error)
	ReleaseEvents(ctx context.Context, pks []int64, retryAt time.Time) error
	DequeueEvents(ctx context.Context, pks []int64) error
	MatchHooks(ctx context.Context, tenant string, event models.Pattern, aliases []string, before time.Time, afterID int64, limit int) ([]models.Hook, error)
}

// starter is the part of the Temporal client the dispatcher uses.
type starter interface {
	ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error)
}

// Dispatcher tuning. The lease outlives a start (startTimeout) so a live
// dispatcher's claim never runs out under it; a killed one's events are
// claimable again a lease later.
const (
	lease        = 15 * time.Second
	startTimeout = 10 * time.Second
	// idlePoll is how often an idle dispatcher looks for events that an API
	// in another process admitted; one in this process wakes it at once.
	idlePoll = 100 * time.Millisecond
	// planTarget is how soon after its start request an event's plan should
	// begin; later means the engine is falling behind (see limit). On a
	// machine where every start is slow, up to planCeiling. Starts in flight
	// are a queue inside the engine that every new start waits behind,
	// another tenant's too: the ceiling keeps that wait well under the
	// second a backlog may delay another tenant's event (docs/spec.md). A
	// deeper queue would not raise the pace, only the wait: at saturation
	// the engine's pace is the same with 20 starts in flight as with 200.
	// A shallower one starves it: at 250 ms hookflow dev kept 88 % of the
	// bare engine's pace at 100/s on a quiet machine, at 500 ms 94 %, where
	// another tenant's event still waited 0.25–0.76 s behind a 10,000-event
	// backlog with up to five CPU hogs beside it (docs/bench/issue13.md).
	planTarget  = 500 * time.Millisecond
	planCeiling = 600 * time.Millisecond
	// minBound is the fewest starts the bound allows in flight: the engine
	// collapses under thousands of starts in flight, not under a few dozen,
	// and on a machine whose CPU others take, every start is slow without
	// the engine falling behind — a bound cut below this would only starve
	// it. Each start in flight is also one more that another tenant's event
	// waits behind: 8 keeps that wait near a second on a starved machine
	// (at 16 it took 1–2 s with five CPU hogs beside the engine).
	minBound = 8
	// planExpiry is how long a start waits for its plan to begin here
	// before it stops counting as in flight (see expire): longer than the
	// slowest start (startTimeout), so a start that is merely slow, on a
	// starved machine, keeps its place under the bound.
	planExpiry = startTimeout
	// maxClaim bounds one claim: claims stay small so an event admitted
	// behind a backlog waits for a turn, not for a large batch.
	maxClaim = 64
	// While a backlog waits behind the bound, slots free one plan at a
	// time; a claim waits up to gatherWait for minClaim of them, so that a
	// claim (and the queue rows' loads and deletion) serves several events
	// rather than one each.
	minClaim   = 8
	gatherWait = 50 * time.Millisecond
	// maxDequeue bounds the events one statement takes out of the queue;
	// dequeueGather is how long it waits for more while a backlog waits.
	maxDequeue    = 1000
	dequeueGather = 20 * time.Millisecond
	// starterIdle is how long a goroutine that ran a start is kept for
	// the next one (starters).
	starterIdle = 5 * time.Second
	// badEventRetry is how long an event whose start Temporal refused as
	// invalid waits before it is tried again (logged each time).
	badEventRetry = time.Minute
)

// Dispatcher starts the workflow of each admitted event, oldest turn first
// (fair across tenants, see store.AdmitEvents), keeping the starts in flight
// under an adaptive bound. It runs in the worker role, on the worker's own
// client, so starts are eager: the first workflow task comes back with the
// start's answer and runs here without a trip through a task queue. Several
// dispatchers may share a queue: each claims rows under a lease, and the
// workflow id (one per event) makes a second start of an event harmless.
type Dispatcher struct {
	queue     eventQueue
	temporal  starter
	taskQueue string
	log       *slog.Logger
	metrics   *metrics.Metrics
	limit     *limit
	wake      chan struct{}
	now       func() time.Time

	mu       sync.Mutex
	starting map[string]time.Time // workflow id → start requested, until its plan begins
	hints    map[hintKey]hint
	started  chan int64   // events to dequeue
	failures atomic.Int32 // consecutive failed starts
	backlog  atomic.Bool  // the last claim took all it asked for: more wait
}

// NewDispatcher returns a dispatcher of q's events onto taskQueue.
func NewDispatcher(q eventQueue, c starter, taskQueue string, log *slog.Logger, m *metrics.Metrics) *Dispatcher {
	d := &Dispatcher{queue: q, temporal: c, taskQueue: taskQueue, log: log, metrics: m,
		limit: newLimit(32, minBound, 512, planTarget, planCeiling), wake: make(chan struct{}, 1), now: time.Now,
		starting: map[string]time.Time{}, hints: map[hintKey]hint{}, started: make(chan int64, 4096)}
	m.DispatchState(d.limit.state)
	return d
}

// Wake tells the dispatcher an event was admitted, so it need not wait for
// its next poll. It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Planning is told, by the planner, that the plan of the workflow with this
// id begins: its start is no longer in flight.
func (d *Dispatcher) Planning(workflowID string) {
	d.mu.Lock()
	at, ok := d.starting[workflowID]
	delete(d.starting, workflowID)
	d.mu.Unlock()
	if ok {
		d.limit.done(true, d.now().Sub(at))
	}
}

// Run dispatches until ctx ends, then waits for the starts in flight.
func (d *Dispatcher) Run(ctx context.Context) error {
	starts := newStarters(starterIdle)
	dequeued := make(chan struct{})
	go func() { defer close(dequeued); d.dequeue() }()
	defer func() {
		starts.stop()
		close(d.started)
		<-dequeued
	}()
	claimFailures := 0
	defer d.backlog.Store(false)
	for ctx.Err() == nil {
		d.expire()
		// Consecutive failures (Temporal or the database away) space the
		// attempts out instead of spinning through the queue.
		if n := max(int(d.failures.Load()), claimFailures); n > 0 {
			d.sleep(ctx, nil, backoff(n))
		}
		free := d.limit.free()
		if free == 0 {
			d.sleep(ctx, d.limit.freed, planTarget)
			continue
		}
		if d.backlog.Load() {
			free = d.gather(ctx, free)
		}
		want := claimSize(free)
		if want == 0 { // the bound shrank while gathering
			continue
		}
		now := d.now().UTC()
		evs, err := d.queue.ClaimEvents(ctx, want, now, now.Add(lease))
		if err != nil {
			if ctx.Err() == nil {
				claimFailures++
				d.log.Warn("dispatcher: cannot claim queued events", "err", err)
			}
			continue
		}
		claimFailures = 0
		d.backlog.Store(len(evs) == want)
		if len(evs) == 0 {
			d.sleep(ctx, d.wake, idlePoll)
			continue
		}
		d.limit.take(len(evs))
		for i := range evs {
			starts.run(func() { d.start(ctx, &evs[i]) })
		}
	}
	return nil
}

// claimSize is how many events to claim with free starts: at most
// maxClaim, rounded down to a power of two, as each claim size is a
// statement of its own to the store (ClaimEvents): seven at most. 0 when
// none is free.
func claimSize(free int) int {
	if free < 1 {
		return 0
	}
	return 1 << (bits.Len(uint(min(free, maxClaim))) - 1)
}

// gather waits, up to gatherWait, until minClaim starts are free, and
// returns how many are.
func (d *Dispatcher) gather(ctx context.Context, free int) int {
	deadline := time.Now().Add(gatherWait) // the timers sleep waits on are real ones
	for free < minClaim && ctx.Err() == nil {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		d.sleep(ctx, d.limit.freed, left)
		free = d.limit.free()
	}
	return free
}

// start starts one event's workflow (or finds it started). A failed start
// hands the event back to the queue.
func (d *Dispatcher) start(ctx context.Context, ev *models.Event) {
	begun := d.now()
	d.mu.Lock()
	d.starting[ev.WorkflowID] = begun
	d.mu.Unlock()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), startTimeout)
	defer cancel()
	_, err := d.temporal.ExecuteWorkflow(sctx, d.options(ctx, ev), workflows.Fanout,
		workflows.FanoutInput{Tenant: ev.Tenant, EventID: ev.ID, EventPK: ev.PK})
	if err == nil || temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		d.failures.Store(0)
		d.metrics.EventDispatched(d.now().Sub(begun))
		d.started <- ev.PK
		if err != nil {
			d.Planning(ev.WorkflowID) // it runs, or ran, already: no plan to wait for
		}
		return
	}
	d.mu.Lock()
	_, waiting := d.starting[ev.WorkflowID] // expire may have ended the wait already
	delete(d.starting, ev.WorkflowID)
	d.mu.Unlock()
	if waiting {
		d.limit.done(false, 0)
	}
	retry := d.now().UTC()
	var invalid *serviceerror.InvalidArgument
	if errors.As(err, &invalid) { // this event's start, not the engine: don't hold the others up
		retry = retry.Add(badEventRetry)
		d.log.Error("dispatcher: Temporal refused to start an event's workflow; retrying later", "event_id", ev.ID, "tenant", ev.Tenant, "err", err)
	} else {
		d.failures.Add(1)
		d.log.Warn("dispatcher: could not start an event's workflow; it stays queued", "event_id", ev.ID, "err", err)
	}
	if err := d.queue.ReleaseEvents(context.WithoutCancel(ctx), []int64{ev.PK}, retry); err != nil {
		d.log.Warn("dispatcher: could not release an event (claimable again when its lease ends)", "event_id", ev.ID, "err", err)
	}
}

// options are the start options of an event's workflow: its id (one
// workflow per event, whoever starts it, however often), eager start, and
// what the Temporal UI shows of it.
func (d *Dispatcher) options(ctx context.Context, ev *models.Event) client.StartWorkflowOptions {
	attrs := []temporal.SearchAttributeUpdate{workflows.AttrTenant.ValueSet(ev.Tenant), workflows.AttrEventType.ValueSet(ev.Type)}
	if ids := d.hookHint(ctx, ev); len(ids) > 0 {
		attrs = append(attrs, workflows.AttrHookIDs.ValueSet(ids))
	}
	return client.StartWorkflowOptions{
		ID:        ev.WorkflowID,
		TaskQueue: d.taskQueue,
		// Eager start: the worker of this process gets the first workflow
		// task in the start's answer, skipping a trip through the task queue.
		EnableEagerStart:         true,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(attrs...),
		StaticSummary:            ev.Type + " · " + strconv.Itoa(ev.RecordCount) + " record(s)",
	}
}

// hookHint names the hooks an event will most likely reach, for the
// HookflowHookIds search attribute at start: the workflow then needs no
// search-attribute update (a visibility write) when its plan agrees, which
// it does unless hooks change in between. A fan-out larger than the event
// workflow sends itself (plan.InlineHooks), or a failed lookup, names none:
// the hooks' own workflows carry their hook ids. Being a hint, it is kept
// for a second per kind of event: a burst of one event type costs one
// lookup a second, not one per event.
func (d *Dispatcher) hookHint(ctx context.Context, ev *models.Event) []string {
	key := hintKey{ev.Tenant, strings.ToLower(ev.Type), ev.CustomEntity, ev.SkipKey, ev.AboutHookID}
	now := d.now()
	d.mu.Lock()
	h, ok := d.hints[key]
	d.mu.Unlock()
	if ok && now.Sub(h.at) < hintTTL {
		return h.ids
	}
	ids := d.lookupHint(ctx, ev)
	d.mu.Lock()
	if len(d.hints) >= maxHints {
		clear(d.hints)
	}
	d.hints[key] = hint{ids: ids, at: now}
	d.mu.Unlock()
	return ids
}

// hintTTL is how long a hook hint is reused; maxHints bounds how many are kept.
const (
	hintTTL  = time.Second
	maxHints = 4096
)

// hintKey is what decides which hooks an event matches, its records aside.
type hintKey struct {
	tenant, eventType, customEntity, skipKey string
	aboutHook                                int64
}

type hint struct {
	ids []string
	at  time.Time
}

func (d *Dispatcher) lookupHint(ctx context.Context, ev *models.Event) []string {
	et, err := models.ParseEventType(ev.Type)
	if err != nil {
		return nil
	}
	hooks, err := d.queue.MatchHooks(ctx, ev.Tenant, et, ev.Aliases(), ev.ReceivedAt, 0, plan.InlineHooks+1)
	if err != nil || len(hooks) > plan.InlineHooks {
		return nil
	}
	var ids []string
	for i := range hooks {
		if filter.Accepts(hooks[i].Options.V, et.Entity, ev.CustomEntity, ev.SkipKey) {
			ids = append(ids, strconv.FormatInt(hooks[i].ID, 10))
		}
	}
	return ids
}

// expire ends the wait for plans that did not begin here within planExpiry:
// the start was not eager (this worker had no free slot) and another worker
// ran the workflow, or its first task failed and was retried. Neither says
// how fast the engine is, so they leave the bound as it is.
func (d *Dispatcher) expire() {
	now := d.now()
	var gone int
	d.mu.Lock()
	for id, at := range d.starting {
		if now.Sub(at) > planExpiry {
			delete(d.starting, id)
			gone++
		}
	}
	d.mu.Unlock()
	for range gone {
		d.limit.done(true, 0)
	}
}

// dequeue deletes started events from the queue, as many per statement as
// have started meanwhile. While a backlog waits, it also waits up to
// dequeueGather for more: starts then end one at a time, and a statement
// (a commit, through SQLite's one writer) for each was 1 % of hookflow
// dev's CPU at 200 events/s. An event started meanwhile stays in the queue
// (GET /v1/events/{id} says queued) that much longer; without a backlog,
// it leaves at once.
func (d *Dispatcher) dequeue() {
	for pk := range d.started {
		pks := d.gatherStarted([]int64{pk})
		// Retried until it works: an event left queued would be started
		// again (harmless, the workflow exists) when its lease ends.
		for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
			err := d.queue.DequeueEvents(context.Background(), pks)
			if err == nil {
				break
			}
			d.log.Warn("dispatcher: cannot dequeue started events", "err", err, "events", len(pks))
			time.Sleep(wait)
		}
	}
}

// gatherStarted adds the events started meanwhile to pks, up to
// maxDequeue; while a backlog waits, those started within dequeueGather.
func (d *Dispatcher) gatherStarted(pks []int64) []int64 {
	var until <-chan time.Time
	if d.backlog.Load() {
		t := time.NewTimer(dequeueGather)
		defer t.Stop()
		until = t.C
	}
	for len(pks) < maxDequeue {
		var pk int64
		ok := true
		if until == nil {
			select {
			case pk, ok = <-d.started:
			default:
				return pks
			}
		} else {
			select {
			case pk, ok = <-d.started:
			case <-until:
				return pks
			}
		}
		if !ok {
			return pks
		}
		pks = append(pks, pk)
	}
	return pks
}

// sleep waits for c (when not nil), for d, or for ctx to end.
func (d *Dispatcher) sleep(ctx context.Context, c <-chan struct{}, wait time.Duration) {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-c:
	case <-t.C:
	case <-ctx.Done():
	}
}

// backoff is the pause after n consecutive failures: 100 ms, doubling, at most 5 s.
func backoff(n int) time.Duration {
	return min(100*time.Millisecond<<min(n-1, 6), 5*time.Second)
}
