package workflows

import (
	"errors"
	"slices"
	"time"

	"github.com/hookflow/hookflow/activities"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// HookDeliveryInput names one hook of one event. Offset and FirstAt carry a
// long run of deliveries across continue-as-new.
type HookDeliveryInput struct {
	Tenant  string
	EventID string
	EventPK int64
	HookID  int64
	Offset  int
	FirstAt time.Time
}

// HookDelivery plans and sends one hook's deliveries of an event, a page at
// a time, continuing as new between pages.
func HookDelivery(ctx workflow.Context, in HookDeliveryInput) error {
	var p *activities.Planner
	var plan activities.HookPlan
	lctx := workflow.WithLocalActivityOptions(ctx, planOptions)
	err := workflow.ExecuteLocalActivity(lctx, p.PlanHook, activities.PlanHookInput{
		EventPK: in.EventPK, HookID: in.HookID, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, Offset: in.Offset,
	}).Get(ctx, &plan)
	if err != nil {
		return err
	}
	if in.FirstAt.IsZero() {
		in.FirstAt = workflow.Now(ctx)
	}
	sendAll(ctx, plan, in.Offset, in.FirstAt)
	if next := in.Offset + len(plan.Deliveries); next < plan.Total && len(plan.Deliveries) > 0 {
		in.Offset = next
		return workflow.NewContinueAsNewError(ctx, HookDelivery, in)
	}
	return nil
}

// sendAll sends a hook's deliveries concurrently, each no earlier than its
// chunk's due time, on durable timers.
func sendAll(ctx workflow.Context, h activities.HookPlan, offset int, firstAt time.Time) {
	wg := workflow.NewWaitGroup(ctx)
	for i, id := range h.Deliveries {
		due := h.Due(firstAt, offset+i)
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			if wait := due.Sub(workflow.Now(ctx)); wait > 0 {
				if err := workflow.Sleep(ctx, wait); err != nil {
					return // canceled: the workflow is ending
				}
			}
			send(ctx, h.Retry, id)
		})
	}
	wg.Wait(ctx)
}

// dbOptions: bookkeeping in our own database, retried until it is back.
var dbOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
		NonRetryableErrorTypes: []string{activities.ErrTypeNotFound},
	},
}

// send runs one delivery to its end: attempts on the configured schedule;
// when they give up, the delivery is marked failed and its hook turned off,
// and the one failure that turned it off tells about it.
func send(ctx workflow.Context, retry activities.RetryPolicy, deliveryID int64) {
	var r *activities.Recorder
	err := attempt(ctx, retry, deliveryID)
	if err == nil || temporal.IsCanceledError(err) {
		return
	}
	dctx := workflow.WithActivityOptions(ctx, dbOptions)
	var failed activities.FailResult
	if err := workflow.ExecuteActivity(dctx, r.FailDelivery, activities.FailInput{DeliveryID: deliveryID, Reason: reason(err)}).Get(ctx, &failed); err != nil {
		workflow.GetLogger(ctx).Error("could not record failed delivery", "delivery_id", deliveryID, "err", err)
		return
	}
	// Runs recorded before the mail existed did nothing here; the version
	// marker keeps them replaying.
	if failed.Disabled && workflow.GetVersion(ctx, hookDisabledChange, workflow.DefaultVersion, 1) == 1 {
		hookDisabled(ctx, deliveryID, failed)
	}
}

// localFirstAttempt versions the move of a delivery's first attempt into a
// local activity; histories recorded before it replay the old path.
const localFirstAttempt = "local-first-attempt"

// attempt makes a delivery's attempts and returns the last error, nil once
// one succeeds. The first attempt is a local activity: it runs in the
// workflow task that planned it, with no task round trip, so a receiver that
// answers at once gets its request within milliseconds of the trigger. A
// failed first attempt hands over to the send activity and its retry policy,
// which keeps the configured schedule: it starts one initial interval (or the
// receiver's Retry-After) later, with the intervals that follow. A worker
// that dies during the local attempt makes Temporal run the workflow task
// again, and the attempt with it: at least once, with the same delivery id.
func attempt(ctx workflow.Context, retry activities.RetryPolicy, deliveryID int64) error {
	var s *activities.Sender
	in := activities.SendInput{DeliveryID: deliveryID}
	if workflow.GetVersion(ctx, localFirstAttempt, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, sendOptions(retry)), s.SendWebhook, in).Get(ctx, nil)
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: retry.AttemptTimeout,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	err := workflow.ExecuteLocalActivity(lctx, s.SendWebhook, in).Get(ctx, nil)
	if err == nil || retry.MaxAttempts <= 1 || final(err) {
		return err
	}
	if err := workflow.Sleep(ctx, firstRetryDelay(err, retry)); err != nil {
		return err
	}
	rest := retry
	rest.MaxAttempts--
	rest.InitialInterval = min(time.Duration(float64(retry.InitialInterval)*retry.Backoff), retry.MaxInterval)
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, sendOptions(rest)), s.SendWebhook, in).Get(ctx, nil)
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

// firstRetryDelay is how long to wait after a failed first attempt: the
// receiver's Retry-After when it gave one (the sender caps it), else the
// policy's initial interval.
func firstRetryDelay(err error, retry activities.RetryPolicy) time.Duration {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NextRetryDelay() > 0 {
		return appErr.NextRetryDelay()
	}
	return retry.InitialInterval
}

// sendOptions turn the configured schedule into the send activity's retry
// policy. One activity attempt is one HTTP request.
func sendOptions(r activities.RetryPolicy) workflow.ActivityOptions {
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
