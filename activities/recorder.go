package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/internal/metrics"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/activity"
)

// Recorder ends deliveries whose retries ran out, turns their hooks off and
// stores the state-change events that tell other hooks.
type Recorder struct {
	Store   recordStore
	Now     func() time.Time
	Metrics *metrics.Metrics // nil records nothing
}

type recordStore interface {
	Delivery(ctx context.Context, tenant string, id int64) (*models.Delivery, error)
	Hook(ctx context.Context, tenant string, id int64) (*models.Hook, error)
	FinishDelivery(ctx context.Context, id int64, status models.DeliveryStatus, reason string, now time.Time) error
	DisableHook(ctx context.Context, id int64, transition string, now time.Time) (bool, error)
	CreateEvent(ctx context.Context, e *models.Event) (bool, error)
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

// FailDelivery marks a delivery failed and moves its hook from Active to
// TooManyErrors. The move is a conditional update, so when many deliveries of
// one hook fail at once only one of them reports Disabled.
func (r *Recorder) FailDelivery(ctx context.Context, in FailInput) (FailResult, error) {
	d, err := r.Store.Delivery(ctx, "", in.DeliveryID)
	if err != nil {
		return FailResult{}, notFoundIsFinal(err)
	}
	now := r.Now().UTC()
	if err := r.Store.FinishDelivery(ctx, d.ID, models.DeliveryFailed, in.Reason, now); err != nil {
		return FailResult{}, err
	}
	r.Metrics.DeliveryEnded(models.DeliveryFailed)
	transition := fmt.Sprintf("%d.%d", d.ID, d.Redeliveries) // a delivery fails for good once per redelivery
	disabled, err := r.Store.DisableHook(ctx, d.HookID, transition, now)
	if err != nil {
		return FailResult{}, err
	}
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

// RecordStateEvent stores the webhook.started|stopped|errors event of a
// state change, once per transition, and returns its key for the event's
// workflow.
func (r *Recorder) RecordStateEvent(ctx context.Context, in StateEventInput) (int64, error) {
	h, err := r.Store.Hook(ctx, "", in.HookID)
	if err != nil {
		return 0, notFoundIsFinal(err)
	}
	ev, err := models.NewStateEvent(h, in.To, in.Transition, r.Now().UTC())
	if err != nil {
		return 0, err
	}
	ev.WorkflowID = in.WorkflowID
	if _, err := r.Store.CreateEvent(ctx, ev); err != nil {
		return 0, err
	}
	return ev.PK, nil
}
