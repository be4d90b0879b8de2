package workflows

import (
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/plan"
	"go.temporal.io/sdk/workflow"
)

// LaneWorkflowID is the workflow id of a fifo hook's lane.
func LaneWorkflowID(tenant string, hookID int64) string { return plan.LaneWorkflowID(tenant, hookID) }

// LaneSignal wakes a lane: an event's plan, a redelivery or a recovery put
// deliveries in it.
const LaneSignal = "lane"

// LaneInput names the fifo hook whose deliveries the lane sends.
type LaneInput struct {
	HookID int64
}

// How a lane waits: for an older event to be planned, or for work when idle.
// A wake-up signal cuts either short.
const (
	laneRecheck = 250 * time.Millisecond
	laneIdle    = time.Minute
)

// Lane sends a fifo hook's deliveries one at a time, in the order their
// events were accepted, each only after the one before it succeeded
// (docs/architecture.md, "Ordered hooks"). Its order is the database's:
// each step asks NextInLane for the hook's open delivery whose event came
// first, so a lane killed and restarted, or run by another worker, goes on
// where it was. A failing head holds the lane while it retries; failed for
// good it turns the hook TooManyErrors, and the lane skips what it holds and
// ends (recover reopens them and wakes it). Idle for a minute it ends, and
// the next event starts it again; every LanePage deliveries it continues
// as new, so its history stays small.
func Lane(ctx workflow.Context, in LaneInput) error {
	var p *activities.Planner
	wake := workflow.GetSignalChannel(ctx, LaneSignal)
	lctx := workflow.WithLocalActivityOptions(ctx, planOptions)
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	idle := false
	for sent := 0; sent < plan.LanePage && workflow.GetInfo(ctx).GetCurrentHistoryLength() < plan.LaneEvents; {
		drain(wake)
		var step activities.LaneStep
		if err := workflow.ExecuteLocalActivity(lctx, p.NextInLane, activities.NextInLaneInput{HookID: in.HookID, WorkflowID: id}).Get(ctx, &step); err != nil {
			return err
		}
		switch {
		case step.Done:
			return nil
		case step.DeliveryID != 0:
			idle = false
			sendBatch(ctx, []item{{deliveryID: step.DeliveryID, retry: step.Retry, hookID: in.HookID, paced: step.RateLimit > 0}})
			sent++
		case step.Wait:
			idle = false
			awaitWake(ctx, wake, laneRecheck)
		case idle:
			// Idle twice in a row, the second time after a minute's wait.
			if wake.ReceiveAsync(nil) {
				idle = false
				continue
			}
			return nil
		default:
			idle = !awaitWake(ctx, wake, laneIdle)
		}
	}
	return workflow.NewContinueAsNewError(ctx, Lane, in)
}

// awaitWake waits for a wake-up signal or d, whichever comes first, and
// reports whether a signal came.
func awaitWake(ctx workflow.Context, wake workflow.ReceiveChannel, d time.Duration) bool {
	woken := false
	tctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(wake, func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, nil)
		woken = true
	})
	sel.AddFuture(workflow.NewTimer(tctx, d), func(workflow.Future) {})
	sel.Select(ctx)
	return woken
}

// drain consumes the wake-up signals received so far: the next step reads
// the database, which covers them all.
func drain(wake workflow.ReceiveChannel) {
	for wake.ReceiveAsync(nil) {
	}
}
