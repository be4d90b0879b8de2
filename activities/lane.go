package activities

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hookflow/hookflow/internal/plan"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/activity"
)

// NextInLaneInput names a fifo hook's lane.
type NextInLaneInput struct {
	HookID     int64
	WorkflowID string
}

// LaneStep is what a lane does next: send DeliveryID (at RateLimit, on
// Retry), Wait (an older event is not planned yet, or another workflow is
// still sending the head), stop when Done (the hook is off or deleted: the
// lane's deliveries were skipped), or, with none of these, idle.
type LaneStep struct {
	DeliveryID int64
	RateLimit  int
	Retry      plan.Retry
	Wait       bool
	Done       bool
}

// NextInLane finds the delivery a fifo hook's lane sends next: the hook's
// open delivery whose event was accepted first. The database is the lane,
// so a lane that was killed, or restarted on another worker, goes on where
// it was.
func (p *Planner) NextInLane(ctx context.Context, in NextInLaneInput) (LaneStep, error) {
	h, err := p.Store.Hook(ctx, "", in.HookID)
	reason := ""
	switch {
	case errors.Is(err, store.ErrNotFound):
		reason = "hook was deleted"
	case err != nil:
		return LaneStep{}, err
	case h.State != models.StateActive:
		reason = "hook is " + string(h.State)
	}
	if reason != "" {
		// Recover (or a redelivery) reopens them, and wakes the lane.
		_, err := p.Store.SkipLane(ctx, in.HookID, in.WorkflowID, reason, p.Now().UTC())
		return LaneStep{Done: true}, err
	}
	// A hook no longer fifo: the lane sends what it still holds, in order,
	// and ends; the hook's other deliveries go out in parallel meanwhile.
	mine := ""
	if !h.FIFO() {
		mine = in.WorkflowID
	}
	head, err := p.Store.LaneHead(ctx, in.HookID, mine)
	switch {
	case err != nil:
		return LaneStep{}, err
	case head == nil && mine != "":
		return LaneStep{Done: true}, nil
	case head == nil:
		return LaneStep{}, nil
	case head.Behind != nil:
		return LaneStep{Wait: true}, p.giveUpOnPlan(ctx, head.Behind)
	case head.WorkflowID != in.WorkflowID:
		adopted, err := p.adoptOrphan(ctx, head, in.WorkflowID)
		if err != nil || !adopted {
			return LaneStep{Wait: true}, err
		}
	}
	return LaneStep{DeliveryID: head.DeliveryID, RateLimit: h.RateLimit, Retry: p.Retry}, nil
}

// A lane waits for other workflows: an older event's, which has not
// planned it yet, and one that holds the lane's head (planned before the
// hook was fifo, or a redelivery). Either may have ended without doing it
// — terminated in the Temporal UI, say — and would then hold the lane for
// good. So a lane that waits asks Temporal, at most every ownerCheckEvery
// for each workflow, whether the one it waits for still runs; when it
// does not, the lane stops waiting for the event, or takes the delivery
// over and sends it.

// WorkflowChecker reports whether the workflow with this id (its latest
// run) is still running; a workflow Temporal no longer knows is not.
type WorkflowChecker interface {
	Running(ctx context.Context, workflowID string) (bool, error)
}

// ownerCheckEvery spaces the questions a waiting lane asks about one
// workflow: a lane rechecks its head four times a second, and a workflow
// that holds it may rightly take hours (a receiver down, a long retry).
const ownerCheckEvery = 10 * time.Second

// maxOwnerChecks bounds the workflows whose last check is remembered.
const maxOwnerChecks = 4096

// ownerChecks remembers, for each workflow a lane waits for, when Temporal
// was last asked about it and whether it had ended. Lanes of several hooks
// may wait for the same workflow: the first to learn that it ended tells
// the others, which then need not wait for their own next check.
type ownerChecks struct {
	mu   sync.Mutex
	last map[string]ownerCheck
}

type ownerCheck struct {
	at    time.Time
	ended bool
}

// recall returns what is known of workflowID at now: ask when a question is
// due (then noted as asked, so concurrent lanes do not ask too), otherwise
// the last answer.
func (c *ownerChecks) recall(workflowID string, now time.Time) (ended, ask bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if last, ok := c.last[workflowID]; ok && now.Sub(last.at) < ownerCheckEvery {
		return last.ended, false
	}
	if c.last == nil || len(c.last) >= maxOwnerChecks {
		c.last = map[string]ownerCheck{}
	}
	c.last[workflowID] = ownerCheck{at: now}
	return false, true
}

// learn notes Temporal's answer about workflowID, asked at at.
func (c *ownerChecks) learn(workflowID string, at time.Time, ended bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last != nil {
		c.last[workflowID] = ownerCheck{at: at, ended: ended}
	}
}

// ended reports whether workflowID has ended, asking Temporal only when a
// check is due; until then the last answer stands (running, at first).
func (p *Planner) ended(ctx context.Context, workflowID string) (bool, error) {
	if p.Workflows == nil {
		return false, nil
	}
	now := p.Now()
	if ended, ask := p.owners.recall(workflowID, now); !ask {
		return ended, nil
	}
	running, err := p.Workflows.Running(ctx, workflowID)
	if err != nil {
		return false, err
	}
	p.owners.learn(workflowID, now, !running)
	return !running, nil
}

// giveUpOnPlan stops lanes waiting for an older event whose workflow ended
// without planning it: no longer queued, its workflow not running. The
// event then reaches no hook.
func (p *Planner) giveUpOnPlan(ctx context.Context, ev *store.UnplannedEvent) error {
	queued, err := p.Store.EventQueued(ctx, ev.PK)
	if err != nil || queued { // its workflow has not started yet
		return err
	}
	gone, err := p.ended(ctx, ev.WorkflowID)
	if err != nil || !gone {
		return err
	}
	activity.GetLogger(ctx).Warn("an event's workflow ended before planning it: fifo lanes no longer wait for it, and it reaches no hook",
		"workflow_id", ev.WorkflowID)
	return p.Store.MarkPlanned(ctx, ev.PK, p.Now().UTC())
}

// adoptOrphan takes the lane's head over from the workflow that holds it,
// when that workflow ended without finishing it. It reports whether the
// lane holds the head now.
func (p *Planner) adoptOrphan(ctx context.Context, head *store.LaneHead, lane string) (bool, error) {
	gone, err := p.ended(ctx, head.WorkflowID)
	if err != nil || !gone {
		return false, err
	}
	adopted, err := p.Store.AdoptDelivery(ctx, head.DeliveryID, head.WorkflowID, lane, p.Now().UTC())
	if adopted {
		activity.GetLogger(ctx).Warn("a fifo lane took over a delivery whose workflow ended without finishing it",
			"delivery_id", head.DeliveryID, "workflow_id", head.WorkflowID)
	}
	return adopted, err
}
