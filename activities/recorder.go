package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/internal/metrics"
	"github.com/hookflow/hookflow/internal/plan"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/activity"
)

// Recorder ends deliveries whose retries ran out, turns their hooks off and
// admits the state-change events that tell other hooks.
type Recorder struct {
	Store   recordStore
	Now     func() time.Time
	Metrics *metrics.Metrics // nil records nothing
	// Admitted, when set, is called after a state-change event is admitted:
	// the dispatcher of this process then starts it at once, not at its next poll.
	Admitted func()
}

type recordStore interface {
	Delivery(ctx context.Context, tenant string, id int64) (*models.Delivery, error)
	Hook(ctx context.Context, tenant string, id int64) (*models.Hook, error)
	FailDelivery(ctx context.Context, id, hookID int64, reason, transition string, now time.Time) (bool, error)
	AdmitEvents(ctx context.Context, es []*models.Event) ([]bool, error)
	ReserveSlot(ctx context.Context, hookID, deliveryID int64, now time.Time, interval time.Duration) (time.Time, error)
}

// SlotInput names a delivery of a rate-limited hook about to be attempted.
type SlotInput struct {
	DeliveryID int64
	HookID     int64
}

// Slot is when the attempt may start; zero when at once (the hook has no
// rate limit any more).
type Slot struct {
	At time.Time
}

// ReserveSlot hands the delivery the next send time of its hook's rate
// limit, shared by every worker; the delivery shows as throttled until then.
// The limit is read now, so a change applies to the next attempt.
func (r *Recorder) ReserveSlot(ctx context.Context, in SlotInput) (Slot, error) {
	h, err := r.Store.Hook(ctx, "", in.HookID)
	if err != nil {
		return Slot{}, notFoundIsFinal(err)
	}
	if h.RateLimit <= 0 {
		return Slot{}, nil
	}
	at, err := r.Store.ReserveSlot(ctx, h.ID, in.DeliveryID, r.Now().UTC(), plan.Interval(h.RateLimit))
	return Slot{At: at}, err
}

// FailInput names a delivery that will not be retried again, and why.
type FailInput struct {
	DeliveryID int64
	Reason     string
}

// FailResult says whether this failure turned the hook off.
type FailResult struct {
	HookID int64
	Tenant string
	// Disabled is true for exactly one failure per Active → TooManyErrors
	// transition, and again when that failure's activity is retried.
	Disabled bool
	// Transition names the transition: the failed delivery and its
	// redelivery number. It keys the mail and the webhook.errors event.
	Transition string
}

// FailDelivery marks a delivery failed and, in the same transaction, moves
// its hook from Active to TooManyErrors. The move is a conditional update, so
// when many deliveries of one hook fail at once only one of them reports
// Disabled.
func (r *Recorder) FailDelivery(ctx context.Context, in FailInput) (FailResult, error) {
	d, err := r.Store.Delivery(ctx, "", in.DeliveryID)
	if err != nil {
		return FailResult{}, notFoundIsFinal(err)
	}
	transition := fmt.Sprintf("%d.%d", d.ID, d.Redeliveries) // a delivery fails for good once per redelivery
	disabled, err := r.Store.FailDelivery(ctx, d.ID, d.HookID, in.Reason, transition, r.Now().UTC())
	if err != nil {
		return FailResult{}, err
	}
	r.Metrics.DeliveryEnded(models.DeliveryFailed)
	if disabled {
		activity.GetLogger(ctx).Warn("hook turned TooManyErrors", "hook_id", d.HookID, "delivery_id", d.ID, "event_id", d.EventID, "err", in.Reason)
	}
	return FailResult{HookID: d.HookID, Tenant: d.Tenant, Disabled: disabled, Transition: transition}, nil
}

// StateEventInput names a hook's state change and the workflow that will
// deliver the event telling it.
type StateEventInput struct {
	HookID     int64
	To         models.HookState
	Transition string
	WorkflowID string
}

// RecordStateEvent admits the webhook.started|stopped|errors event of a
// state change, once per transition, as the API admits a trigger: stored and
// queued, so a dispatcher starts its workflow. The workflow that turned the
// hook off does not start it as a child: a child's start racing that
// workflow's own completion failed its workflow task (UnhandledCommand,
// red in the Temporal UI), and the event needs nothing of its parent.
func (r *Recorder) RecordStateEvent(ctx context.Context, in StateEventInput) error {
	h, err := r.Store.Hook(ctx, "", in.HookID)
	if err != nil {
		return notFoundIsFinal(err)
	}
	ev, err := models.NewStateEvent(h, in.To, in.Transition, r.Now().UTC())
	if err != nil {
		return err
	}
	ev.WorkflowID = in.WorkflowID
	if _, err := r.Store.AdmitEvents(ctx, []*models.Event{ev}); err != nil {
		return err
	}
	if r.Admitted != nil {
		r.Admitted()
	}
	return nil
}
