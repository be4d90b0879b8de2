package activities

import (
	"context"
	"time"

	"github.com/hookflow/hookflow/internal/metrics"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/activity"
)

// Recorder ends deliveries whose retries ran out and turns their hooks off.
type Recorder struct {
	Store   recordStore
	Now     func() time.Time
	Metrics *metrics.Metrics // nil records nothing
}

type recordStore interface {
	Delivery(ctx context.Context, tenant string, id int64) (*models.Delivery, error)
	FinishDelivery(ctx context.Context, id int64, status models.DeliveryStatus, reason string, now time.Time) error
	SetHookState(ctx context.Context, id int64, from, to models.HookState, now time.Time) (bool, error)
}

// FailInput names a delivery that will not be retried again, and why.
type FailInput struct {
	DeliveryID int64
	Reason     string
}

// FailResult says whether this failure turned the hook off.
type FailResult struct {
	HookID   int64
	Disabled bool // true for exactly one failure per Active → TooManyErrors transition
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
	disabled, err := r.Store.SetHookState(ctx, d.HookID, models.StateActive, models.StateTooManyErrors, now)
	if err != nil {
		return FailResult{}, err
	}
	if disabled {
		activity.GetLogger(ctx).Warn("hook turned TooManyErrors", "hook_id", d.HookID, "delivery_id", d.ID, "event_id", d.EventID, "err", in.Reason)
	}
	return FailResult{HookID: d.HookID, Disabled: disabled}, nil
}
