// Package workflows orchestrates deliveries on Temporal. Fanout runs once per
// event; HookDelivery once per (event, hook) when a fan-out is too large for
// one history. Both are deterministic: every side effect is an activity.
package workflows

import (
	"slices"
	"strconv"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/plan"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Search attributes registered on the namespace, so the Temporal UI can find
// every workflow of a tenant, an event type or a hook.
var (
	AttrTenant    = temporal.NewSearchAttributeKeyKeyword("HookflowTenant")
	AttrEventType = temporal.NewSearchAttributeKeyKeyword("HookflowEventType")
	AttrHookIDs   = temporal.NewSearchAttributeKeyKeywordList("HookflowHookIds")
)

// SearchAttributes lists the custom search attributes and their types, for
// registration at start.
var SearchAttributes = map[string]enumspb.IndexedValueType{
	AttrTenant.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrEventType.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrHookIDs.GetName():   enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}

// FanoutWorkflowID is the workflow id of an event: the same trigger twice
// maps to the same workflow, so Temporal starts it only once. Tenants and
// event ids hold no "/" (the API refuses them), so an event's id has exactly
// two and never equals a HookDeliveryWorkflowID, which has four.
func FanoutWorkflowID(tenant, eventID string) string {
	return "event/" + tenant + "/" + eventID
}

// HookDeliveryWorkflowID is the workflow id of one hook's deliveries of an event.
func HookDeliveryWorkflowID(tenant, eventID string, hookID int64) string {
	return FanoutWorkflowID(tenant, eventID) + "/hook/" + strconv.FormatInt(hookID, 10)
}

// FanoutInput names an event; AfterHookID is where a continued run resumes,
// and Failed carries the first hook whose plan failed in an earlier run.
type FanoutInput struct {
	Tenant      string
	EventID     string
	EventPK     int64
	AfterHookID int64
	Failed      string
}

// planOptions: planning reads and writes our own database, so it runs as a
// local activity (no task round trip) and retries until the database is back.
var planOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout: 2 * time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
		NonRetryableErrorTypes: []string{activities.ErrTypeNotFound, activities.ErrTypeBadPayload},
	},
}

// Fanout delivers one event to every hook it matches. Small fan-outs are
// sent from this workflow; larger ones start one HookDelivery workflow per
// hook (through an activity, so they report nothing back to this run) and
// continue as new every page of hooks, so no history grows with the number
// of hooks or chunks.
func Fanout(ctx workflow.Context, in FanoutInput) error {
	var p *activities.Planner
	var ps activities.PlanAndSendResult
	lctx := workflow.WithLocalActivityOptions(ctx, planOptions)
	err := workflow.ExecuteLocalActivity(lctx, p.PlanAndSend, activities.PlanEventInput{
		EventPK: in.EventPK, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, AfterHookID: in.AfterHookID,
	}).Get(ctx, &ps)
	if err != nil {
		return err
	}
	ep := ps.Plan
	var inline []string
	for _, h := range ep.Hooks {
		if h.Planned {
			inline = append(inline, strconv.FormatInt(h.HookID, 10))
		}
	}
	// The API names the hooks it expects at start; an update (one more
	// visibility write) is needed only when the plan differs.
	named, _ := workflow.GetTypedSearchAttributes(ctx).GetKeywordList(AttrHookIDs)
	if len(inline) > 0 && !slices.Equal(named, inline) {
		if err := workflow.UpsertTypedSearchAttributes(ctx, AttrHookIDs.ValueSet(inline)); err != nil {
			return err
		}
	}
	firstAt := workflow.Now(ctx)
	var planned []plan.Hook
	var own []int64 // hooks whose deliveries run in a workflow of their own
	for _, h := range ep.Hooks {
		if h.Planned {
			planned = append(planned, h)
		} else {
			own = append(own, h.HookID)
		}
	}
	wg := workflow.NewWaitGroup(ctx)
	wg.Add(1)
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer wg.Done()
		if first := ps.First; first != nil { // the plan's one delivery, attempted with it
			followFirst(ctx, item{deliveryID: first.DeliveryID, retry: planned[0].Retry, hookID: planned[0].HookID}, first.Err())
			return
		}
		sendPlans(ctx, planned, 0, firstAt)
	})
	if len(own) > 0 {
		eventType, _ := workflow.GetTypedSearchAttributes(ctx).GetKeyword(AttrEventType)
		err := workflow.ExecuteLocalActivity(lctx, p.StartHookDeliveries, activities.StartHookDeliveriesInput{
			Tenant: in.Tenant, EventID: in.EventID, EventType: eventType, EventPK: in.EventPK, HookIDs: own,
		}).Get(ctx, nil)
		if err != nil {
			return err
		}
	}
	wg.Wait(ctx)
	for _, h := range ep.Hooks {
		if h.Failed != "" && in.Failed == "" {
			in.Failed = h.Failed
		}
	}
	if ep.NextAfterHookID != 0 {
		in.AfterHookID = ep.NextAfterHookID
		return workflow.NewContinueAsNewError(ctx, Fanout, in)
	}
	return planFailure(in.Failed)
}

// planFailure fails an event's workflow, once every other delivery ended,
// when a hook's deliveries could not be planned: the failure then shows in
// the Temporal UI, and no retry is made, since none would help.
func planFailure(reason string) error {
	if reason == "" {
		return nil
	}
	return temporal.NewNonRetryableApplicationError(reason, activities.ErrTypePlanFailed, nil)
}
