package workflows

import (
	"time"

	"github.com/hookflow/hookflow/activities"
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
	if plan.Failed != "" {
		return planFailure(plan.Failed)
	}
	if in.FirstAt.IsZero() {
		in.FirstAt = workflow.Now(ctx)
	}
	sendPlans(ctx, []activities.HookPlan{plan}, in.Offset, in.FirstAt)
	if next := in.Offset + len(plan.Deliveries); next < plan.Total && len(plan.Deliveries) > 0 {
		in.Offset = next
		return workflow.NewContinueAsNewError(ctx, HookDelivery, in)
	}
	return nil
}
