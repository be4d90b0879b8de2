package workflows

import (
	"errors"
	"slices"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/plan"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// sendPlans sends the deliveries of planned hooks, each no earlier than its
// chunk's due time (on durable timers), and returns when every one has ended.
// offset is the seq of the first delivery listed (a continued HookDelivery).
func sendPlans(ctx workflow.Context, plans []plan.Hook, offset int, firstAt time.Time) {
	wg := workflow.NewWaitGroup(ctx)
	for _, b := range dueBatches(plans, offset, firstAt) {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			if wait := b.due.Sub(workflow.Now(ctx)); wait > 0 {
				if err := workflow.Sleep(ctx, wait); err != nil {
					return // canceled: the workflow is ending
				}
			}
			sendBatch(ctx, b.items)
		})
	}
	wg.Wait(ctx)
}

// batch is the deliveries due at one time.
type batch struct {
	due   time.Time
	items []item
}

type item struct {
	deliveryID int64
	retry      plan.Retry
	hookID     int64
	paced      bool // the hook has a rate limit: every attempt waits for a slot
}

// dueBatches groups deliveries by due time, in the order they first appear.
func dueBatches(plans []plan.Hook, offset int, firstAt time.Time) []batch {
	var out []batch
	for _, h := range plans {
		for i, id := range h.Deliveries {
			due := h.Due(firstAt, offset+i)
			j := slices.IndexFunc(out, func(b batch) bool { return b.due.Equal(due) })
			if j < 0 {
				out = append(out, batch{due: due})
				j = len(out) - 1
			}
			out[j].items = append(out[j].items, item{deliveryID: id, retry: h.Retry, hookID: h.HookID, paced: h.RateLimit > 0})
		}
	}
	return out
}

// sendBatch makes the first attempts of a batch together, as local
// activities, then follows each one that failed on a coroutine of its own
// through its retries and, failed for good, its end. A local first attempt
// runs in the workflow task that planned it, with no task round trip, so a
// receiver that answers at once gets its request within milliseconds of the
// trigger. A worker that dies during it makes Temporal run the workflow task
// again, and the attempt with it: at least once, with the same delivery id.
// One coroutine sends the whole batch: a coroutine per delivery made every
// local activity result wake every coroutine, a cost that grew with the
// square of the fan-out.
func sendBatch(ctx workflow.Context, items []item) {
	var s *activities.Sender
	wg := workflow.NewWaitGroup(ctx)
	firsts := make([]workflow.Future, len(items))
	for i, it := range items {
		if it.paced {
			wg.Add(1)
			workflow.Go(ctx, func(ctx workflow.Context) {
				defer wg.Done()
				sendPaced(ctx, it)
			})
			continue
		}
		firsts[i] = workflow.ExecuteLocalActivity(firstAttemptContext(ctx, it.retry), s.SendWebhook, activities.SendInput{DeliveryID: it.deliveryID})
	}
	for i, it := range items {
		if it.paced {
			continue
		}
		err := firsts[i].Get(ctx, nil)
		if err == nil || temporal.IsCanceledError(err) {
			continue
		}
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			followFirst(ctx, it, err)
		})
	}
	wg.Wait(ctx)
}

// followFirst takes a delivery on from its first attempt, which ended with
// err: nothing more when it succeeded, else its retries and, failed for good,
// its end.
func followFirst(ctx workflow.Context, it item, err error) {
	if err == nil || temporal.IsCanceledError(err) {
		return
	}
	if err := retryAfterFirst(ctx, it.retry, it.deliveryID, err); err != nil && !temporal.IsCanceledError(err) {
		fail(ctx, it.deliveryID, err)
	}
}

// firstAttemptContext runs one attempt as a local activity, not retried there.
func firstAttemptContext(ctx workflow.Context, retry plan.Retry) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: retry.AttemptTimeout,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
}

// retryAfterFirst hands a delivery whose first attempt failed with err to the
// send activity, whose retry policy keeps the configured schedule: it starts
// one initial interval (or the receiver's Retry-After) later, with the
// intervals that follow. It returns the last error, nil once one succeeds.
func retryAfterFirst(ctx workflow.Context, retry plan.Retry, deliveryID int64, err error) error {
	if retry.MaxAttempts <= 1 || final(err) {
		return err
	}
	if err := workflow.Sleep(ctx, retryDelay(err, retry.InitialInterval)); err != nil {
		return err
	}
	var s *activities.Sender
	rest := retry
	rest.MaxAttempts--
	rest.InitialInterval = min(time.Duration(float64(retry.InitialInterval)*retry.Backoff), retry.MaxInterval)
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, sendOptions(rest)), s.SendWebhook,
		activities.SendInput{DeliveryID: deliveryID}).Get(ctx, nil)
}

// fail ends a delivery whose attempts gave up: marked failed, its hook turned
// off, and the one failure that turned it off tells about it.
func fail(ctx workflow.Context, deliveryID int64, err error) {
	var r *activities.Recorder
	dctx := workflow.WithActivityOptions(ctx, dbOptions)
	var failed activities.FailResult
	if err := workflow.ExecuteActivity(dctx, r.FailDelivery, activities.FailInput{DeliveryID: deliveryID, Reason: reason(err)}).Get(ctx, &failed); err != nil {
		workflow.GetLogger(ctx).Error("could not record failed delivery", "delivery_id", deliveryID, "err", err)
		return
	}
	if failed.Disabled {
		hookDisabled(ctx, deliveryID, failed)
	}
}

// dbOptions: bookkeeping in our own database, retried until it is back.
var dbOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
		NonRetryableErrorTypes: []string{activities.ErrTypeNotFound},
	},
}

// final reports whether err ends a delivery without retries: canceled, or an
// error the retry policy would not retry.
func final(err error) bool {
	if temporal.IsCanceledError(err) {
		return true
	}
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && (appErr.NonRetryable() || slices.Contains(activities.NonRetryable, appErr.Type()))
}

// retryDelay is how long to wait after a failed attempt: the delay the
// error asks for (the receiver's Retry-After, which the sender caps, or a
// shut rate-limit gate's), else d.
func retryDelay(err error, d time.Duration) time.Duration {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NextRetryDelay() > 0 {
		return appErr.NextRetryDelay()
	}
	return d
}

// sendOptions turn the configured schedule into the send activity's retry
// policy. One activity attempt is one HTTP request.
func sendOptions(r plan.Retry) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: r.AttemptTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        r.InitialInterval,
			BackoffCoefficient:     r.Backoff,
			MaximumInterval:        r.MaxInterval,
			MaximumAttempts:        int32(r.MaxAttempts),
			NonRetryableErrorTypes: activities.NonRetryable,
		},
	}
}

// reason is the last error a delivery saw, as the receiver's owner should read it.
func reason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Error()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "attempt timed out"
	}
	return err.Error()
}
