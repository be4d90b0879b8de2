package workflows

import (
	"errors"
	"strconv"
	"time"

	"github.com/hookflow/hookflow/activities"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// sendPaced sends one delivery of a rate-limited hook to its end. Each
// attempt first reserves the hook's next slot (shared by every worker) and
// waits for it on a durable timer, the delivery showing as throttled; a
// wait is not an attempt and never counts toward TooManyErrors. The workflow
// owns the retry schedule here, not the send activity's retry policy, since
// every retry needs a slot of its own too.
func sendPaced(ctx workflow.Context, it item) {
	var s *activities.Sender
	var r *activities.Recorder
	lctx := workflow.WithLocalActivityOptions(ctx, planOptions)
	delay := it.retry.InitialInterval
	var err error
	for n := 1; n <= max(it.retry.MaxAttempts, 1); {
		var slot activities.Slot
		// An error is a hook or delivery that is gone: the attempt then
		// skips or ends the delivery without a request.
		_ = workflow.ExecuteLocalActivity(lctx, r.ReserveSlot, activities.SlotInput{DeliveryID: it.deliveryID, HookID: it.hookID}).Get(ctx, &slot)
		if wait := slot.At.Sub(workflow.Now(ctx)); wait > 0 {
			summary := "rate_limit of hook " + strconv.FormatInt(it.hookID, 10) + ": delivery " + strconv.FormatInt(it.deliveryID, 10) + " throttled"
			if err = workflow.NewTimerWithOptions(ctx, wait, workflow.TimerOptions{Summary: summary}).Get(ctx, nil); err != nil {
				return // canceled: the workflow is ending
			}
		}
		err = workflow.ExecuteLocalActivity(firstAttemptContext(ctx, it.retry), s.SendWebhook, activities.SendInput{DeliveryID: it.deliveryID}).Get(ctx, nil)
		if err == nil || temporal.IsCanceledError(err) {
			return
		}
		if throttled(err) {
			// The gate was shut (a Retry-After, a lagging gate): no request
			// was made. Wait as the sender says, then reserve again.
			if err := workflow.Sleep(ctx, retryDelay(err, 0)); err != nil {
				return
			}
			continue
		}
		if final(err) || n == it.retry.MaxAttempts {
			break
		}
		if err := workflow.Sleep(ctx, retryDelay(err, delay)); err != nil {
			return
		}
		delay = min(time.Duration(float64(delay)*it.retry.Backoff), it.retry.MaxInterval)
		n++
	}
	fail(ctx, it.deliveryID, err)
}

// throttled reports whether an attempt made no request because its hook's
// rate-limit gate stayed shut.
func throttled(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeThrottled
}
