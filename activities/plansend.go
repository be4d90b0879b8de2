package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hookflow/hookflow/internal/plan"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/encoding/protojson"
)

// PlanAndSendResult is an event's plan and, when the plan was one delivery
// due at once, how its first attempt went.
type PlanAndSendResult struct {
	Plan plan.Event
	// First is the attempt made inside the plan's local activity; nil when
	// none was, and the workflow sends the plan's deliveries itself.
	First *FirstAttempt `json:",omitempty"`
}

// FirstAttempt is a first attempt made with the plan. Failure is nil when it
// succeeded (or the delivery ended without a request); else it is the
// attempt's error as the Temporal failure a local activity of its own would
// have reported, in JSON (readable in the UI's event history), so the
// workflow retries or fails it exactly as it would that activity's error.
type FirstAttempt struct {
	DeliveryID int64
	Failure    json.RawMessage `json:",omitempty"`
}

// Err is the attempt's error, nil when it succeeded. Deterministic: it only
// decodes the recorded failure, so workflows may call it.
func (f *FirstAttempt) Err() error {
	if len(f.Failure) == 0 {
		return nil
	}
	var fail failurepb.Failure
	if err := protojson.Unmarshal(f.Failure, &fail); err != nil {
		return temporal.NewApplicationError("first attempt: unreadable failure: "+err.Error(), ErrTypeNetwork)
	}
	return temporal.GetDefaultFailureConverter().FailureToError(&fail)
}

// PlanAndSend plans an event (PlanEvent) and, when the plan is a single
// delivery to send now — one hook, one chunk, no rate limit, the common
// case — makes its first attempt in the same local activity. Planning and
// sending in one local activity rather than two takes a marker out of the
// event's history and a local activity's round trip out of the worker:
// about 5 % of hookflow dev's CPU per delivery (docs/benchmarks.md).
// The attempt starts from the delivery and hook rows the plan has just
// written and read (Sender.SendPlanned), not from a second read of each.
// The attempt is made as the workflow's own first attempt would be: bounded
// by the hook's attempt timeout, not retried here, at least once (a worker
// that dies during it makes Temporal run the plan, and the attempt, again).
func (p *Planner) PlanAndSend(ctx context.Context, in PlanEventInput) (PlanAndSendResult, error) {
	ep, created, err := p.planEvent(ctx, in)
	if err != nil || p.Send == nil || len(ep.Hooks) != 1 {
		return PlanAndSendResult{Plan: ep}, err
	}
	h := ep.Hooks[0]
	if !h.Planned || len(h.Deliveries) != 1 || h.RateLimit > 0 {
		return PlanAndSendResult{Plan: ep}, nil
	}
	id := h.Deliveries[0]
	actx, cancel := ctx, context.CancelFunc(func() {})
	if h.Retry.AttemptTimeout > 0 {
		actx, cancel = context.WithTimeout(ctx, h.Retry.AttemptTimeout)
	}
	defer cancel()
	var sendErr error
	if len(created) == 1 && created[0].delivery.ID == id {
		_, sendErr = p.Send.SendPlanned(actx, &created[0].delivery, created[0].hook)
	} else { // planned by an earlier try: read where that try left it
		_, sendErr = p.Send.SendWebhook(actx, SendInput{DeliveryID: id})
	}
	if errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		// What a local activity past its start-to-close timeout reports.
		sendErr = temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_START_TO_CLOSE, sendErr)
	}
	first, err := NewFirstAttempt(id, sendErr)
	return PlanAndSendResult{Plan: ep, First: first}, err
}

// NewFirstAttempt records that delivery id's first attempt ended with err
// (nil: it succeeded).
func NewFirstAttempt(id int64, err error) (*FirstAttempt, error) {
	first := &FirstAttempt{DeliveryID: id}
	if err == nil {
		return first, nil
	}
	b, jerr := protojson.Marshal(temporal.GetDefaultFailureConverter().ErrorToFailure(err))
	if jerr != nil {
		return nil, fmt.Errorf("record the first attempt's failure: %w", jerr)
	}
	first.Failure = b
	return first, nil
}
