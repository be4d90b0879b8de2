package activities

import (
	"context"
	"errors"

	"go.temporal.io/api/serviceerror"
	"golang.org/x/sync/errgroup"
)

// HookDeliveryStarter starts the HookDelivery workflow of one hook's
// deliveries of an event (worker.engine, on the worker's own client).
type HookDeliveryStarter interface {
	StartHookDelivery(ctx context.Context, in HookDeliveryStart) error
}

// HookDeliveryStart names one hook of one event, and the event's type for
// what the Temporal UI shows of the hook's workflow.
type HookDeliveryStart struct {
	Tenant    string
	EventID   string
	EventType string
	EventPK   int64
	HookID    int64
}

// StartHookDeliveriesInput names an event and the hooks of a large fan-out,
// each of which gets a workflow of its own.
type StartHookDeliveriesInput struct {
	Tenant    string
	EventID   string
	EventType string
	EventPK   int64
	HookIDs   []int64
}

// hookStartsInFlight bounds the starts one fan-out has in flight at once.
const hookStartsInFlight = 8

// StartHookDeliveries starts one HookDelivery workflow per hook of a large
// fan-out, from outside the event's workflow rather than as its children:
// a child reports its completion to a parent still running, and reports
// landing while the parent completed failed its workflow task
// (UnhandledCommand, red in the Temporal UI) and ran it again, several
// times per fan-out. Started here, the hooks' workflows tell the event's
// workflow nothing; the UI finds them by id prefix and search attributes.
// A start already made (by an earlier try of this activity) counts as
// made: each hook's workflow id admits one run per event.
func (p *Planner) StartHookDeliveries(ctx context.Context, in StartHookDeliveriesInput) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(hookStartsInFlight)
	for _, id := range in.HookIDs {
		g.Go(func() error {
			err := p.Starter.StartHookDelivery(ctx, HookDeliveryStart{
				Tenant: in.Tenant, EventID: in.EventID, EventType: in.EventType, EventPK: in.EventPK, HookID: id,
			})
			var started *serviceerror.WorkflowExecutionAlreadyStarted
			if errors.As(err, &started) {
				return nil
			}
			return err
		})
	}
	return g.Wait()
}
