// Package workflows orchestrates deliveries on Temporal. Fanout runs once per
// event; HookDelivery once per (event, hook) when a fan-out is too large for
// one history. Both are deterministic: every side effect is an activity.
package workflows

import (
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/hookflow/hookflow/activities"
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
// sent from this workflow; larger ones start one HookDelivery child per hook
// (abandoned: they outlive this run) and continue as new every page of hooks,
// so no history grows with the number of hooks or chunks.
func Fanout(ctx workflow.Context, in FanoutInput) error {
	var p *activities.Planner
	var plan activities.EventPlan
	lctx := workflow.WithLocalActivityOptions(ctx, planOptions)
	err := workflow.ExecuteLocalActivity(lctx, p.PlanEvent, activities.PlanEventInput{
		EventPK: in.EventPK, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, AfterHookID: in.AfterHookID,
	}).Get(ctx, &plan)
	if err != nil {
		return err
	}
	var inline []string
	for _, h := range plan.Hooks {
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
	var planned []activities.HookPlan
	var children []workflow.ChildWorkflowFuture
	for _, h := range plan.Hooks {
		if h.Planned {
			planned = append(planned, h)
		} else {
			children = append(children, startHookDelivery(ctx, in, h.HookID))
		}
	}
	// All children are requested in one workflow task, before any delivery
	// runs; waiting for each start afterwards makes the starts durable
	// before this run completes.
	wg := workflow.NewWaitGroup(ctx)
	wg.Add(1)
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer wg.Done()
		sendPlans(ctx, planned, 0, firstAt)
	})
	for _, child := range children {
		err := child.GetChildWorkflowExecution().Get(ctx, nil)
		var started *temporal.ChildWorkflowExecutionAlreadyStartedError
		if err != nil && !errors.As(err, &started) { // already started: by an earlier run of this fan-out
			return err
		}
	}
	wg.Wait(ctx)
	for _, h := range plan.Hooks {
		if h.Failed != "" && in.Failed == "" {
			in.Failed = h.Failed
		}
	}
	if plan.NextAfterHookID != 0 {
		in.AfterHookID = plan.NextAfterHookID
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

// startHookDelivery requests a child workflow for one hook; it outlives this run.
func startHookDelivery(ctx workflow.Context, in FanoutInput, hookID int64) workflow.ChildWorkflowFuture {
	id := HookDeliveryWorkflowID(in.Tenant, in.EventID, hookID)
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            id,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			AttrHookIDs.ValueSet([]string{strconv.FormatInt(hookID, 10)}),
		),
	})
	return workflow.ExecuteChildWorkflow(cctx, HookDelivery, HookDeliveryInput{
		Tenant: in.Tenant, EventID: in.EventID, EventPK: in.EventPK, HookID: hookID,
	})
}
