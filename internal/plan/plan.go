// Package plan holds what an event's plan is made of and the limits that
// shape it: the planner activity fills plans within these limits, the
// workflows follow them, and the dispatcher names the hooks of the fan-outs
// the event workflow sends itself. One package, so that the limits a
// workflow's history depends on are written once.
package plan

import (
	"strconv"
	"time"

	"github.com/hookflow/hookflow/internal/filter"
)

// Fan-out limits that keep every workflow history small
// (docs/architecture.md, "Keeping histories bounded").
const (
	// FanoutPage is how many hooks one run of the event workflow handles
	// before it continues as new.
	FanoutPage = 500
	// InlineHooks and InlineDeliveries bound the deliveries the event workflow
	// sends itself; larger fan-outs get one workflow per hook. A
	// delivery that succeeds at once costs its history one marker, so a
	// hundred hooks fit one workflow, and one workflow per event (not per
	// hook) is what lets a fan-out to 100 hooks keep up with its events.
	InlineHooks      = 100
	InlineDeliveries = 500
	// DeliveryPage is how many deliveries one hook workflow run sends before it
	// continues as new (only one-record formats with thousands of records get there).
	DeliveryPage = 500
	// InlineFilterWork bounds the filter work (filter.Apply's units) the
	// event workflow's plan spends on its hooks; hooks past it are planned
	// by workflows of their own, one per hook, each with its own filter budget, so
	// one plan never runs long whatever the hooks' filters.
	InlineFilterWork = 2 * filter.Budget
	// RecoverPage is how many deliveries a recover run sends again at once
	// before it continues as new: a receiver that just came back gets a
	// steady stream, not the whole backlog at once.
	RecoverPage = 100
	// LanePage is how many deliveries a fifo hook's lane sends before it
	// continues as new, and LaneEvents the history length at which it does
	// sooner (waits for older events add timers).
	LanePage   = 100
	LaneEvents = 2000
)

// LaneWorkflowID is the workflow id of a fifo hook's lane: one per hook, so
// every event's plan signals the same one (signal-with-start). It names the
// tenant, as event workflow ids do.
func LaneWorkflowID(tenant string, hookID int64) string {
	return "lane/" + tenant + "/" + strconv.FormatInt(hookID, 10)
}

// Interval is how far apart a hook's requests start under its rate limit:
// a second over the limit, plus 5%. The margin (50 ms a second) absorbs
// what varies between a request's start at the gate and its arrival at the
// receiver: half of it the sender's own (PaceSlack), the rest the network
// and the receiver's scheduling, so the receiver never counts more than the
// limit in any one second.
func Interval(rateLimit int) time.Duration {
	return time.Second * 21 / time.Duration(20*rateLimit)
}

// PaceSlack is how late a request may start after passing its hook's gate:
// a request held up longer (a slow database answer, a busy worker) passes
// the gate again, so that no two requests start closer than the interval
// less this.
const PaceSlack = 25 * time.Millisecond

// Retry is the delivery retry schedule from configuration. It travels in
// plans (recorded in history) because workflows may not read configuration.
type Retry struct {
	InitialInterval time.Duration
	Backoff         float64
	MaxInterval     time.Duration
	MaxAttempts     int
	// AttemptTimeout bounds one attempt: the request timeout plus recording
	// it. It is also how long Temporal waits before retrying an attempt whose
	// worker died, so it should stay close to the request timeout.
	AttemptTimeout time.Duration
}

// Event is what the event workflow must do.
type Event struct {
	Hooks []Hook
	// NextAfterHookID, when non-zero, is where the next run resumes: more hooks matched.
	NextAfterHookID int64
}

// Hook is one matched hook. Planned hooks come with their deliveries;
// the others are planned by a workflow of their own.
type Hook struct {
	HookID     int64
	Planned    bool
	Deliveries []int64 // in seq order
	Total      int     // deliveries this hook has for the event
	ChunkDelay time.Duration
	// RequestsPerChunk is how many requests share one chunk's send time:
	// chunk_size for one-record formats, else 1. Zero means 1.
	RequestsPerChunk int
	Retry            Retry
	// RateLimit, when not 0, paces the hook's requests: each attempt first
	// reserves a slot (docs/architecture.md, "Rate limits").
	RateLimit int
	// Laned hooks are fifo: their deliveries are planned with the lane's
	// workflow id and sent by the lane, not by the event's workflow.
	Laned bool
	// Failed says why the hook's deliveries could not be planned: its filter
	// needs more than its budget, or its stored options cannot be read. The
	// event shows it as one failed delivery of the hook; retrying cannot help.
	Failed string
}

// Due returns when the delivery at seq goes out: chunk N of the hook,
// N × chunk delay after the first.
func (h Hook) Due(first time.Time, seq int) time.Time {
	return first.Add(time.Duration(seq/max(h.RequestsPerChunk, 1)) * h.ChunkDelay)
}

// Redelivery is what a redelivery or recover run sends: deliveries made
// pending again, with the retry policy they are sent with.
type Redelivery struct {
	Deliveries []int64
	Retry      Retry
	HookID     int64
	RateLimit  int // the hook's, as in Hook
}
