package workflows

import (
	"errors"
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

// send runs one delivery to its end: the send activity retries on the
// configured schedule; when it gives up, the delivery is marked failed and
// its hook turned off, and the one failure that turned it off tells about it.
func send(ctx workflow.Context, retry activities.RetryPolicy, deliveryID int64) {
	var s *activities.Sender
	var r *activities.Recorder
	sctx := workflow.WithActivityOptions(ctx, sendOptions(retry))
	err := workflow.ExecuteActivity(sctx, s.SendWebhook, activities.SendInput{DeliveryID: deliveryID}).Get(ctx, nil)
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
