package workflows

import (
	"strconv"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/plan"
	"go.temporal.io/sdk/workflow"
)

// RedeliverWorkflowID is the workflow id of a delivery's redelivery number
// generation: requests made before it starts (a double click) share one
// workflow, and each later redelivery gets its own.
func RedeliverWorkflowID(tenant string, deliveryID int64, generation int) string {
	return "redeliver/" + tenant + "/" + strconv.FormatInt(deliveryID, 10) + "/" + strconv.Itoa(generation)
}

// RedeliverInput names one ended delivery to send again as its redelivery
// number Generation (one more than its Redeliveries).
type RedeliverInput struct {
	Tenant     string
	DeliveryID int64
	Generation int
}

// Redeliver sends one ended delivery again, with the same id, through the
// same path as the first time: retried on the configured policy and, failed
// for good, turning its hook off again. Attempt numbers go on.
func Redeliver(ctx workflow.Context, in RedeliverInput) error {
	var p *activities.Planner
	var rp plan.Redelivery
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, planOptions), p.PlanRedelivery, activities.PlanRedeliveryInput{
		DeliveryID: in.DeliveryID, Generation: in.Generation, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
	}).Get(ctx, &rp)
	if err != nil {
		return err
	}
	sendPlans(ctx, []plan.Hook{{HookID: rp.HookID, Deliveries: rp.Deliveries, Retry: rp.Retry, RateLimit: rp.RateLimit}}, 0, workflow.Now(ctx))
	return nil
}

// RecoverWorkflowID is the workflow id of recovering a hook since a time:
// the same request twice while it runs starts it once.
func RecoverWorkflowID(tenant string, hookID int64, since time.Time) string {
	return "recover/" + tenant + "/" + strconv.FormatInt(hookID, 10) + "/" + since.UTC().Format(time.RFC3339Nano)
}

// RecoverInput names a hook and the time from which its failed and skipped
// deliveries are sent again; AfterID is where a continued run resumes.
type RecoverInput struct {
	Tenant  string
	HookID  int64
	Since   time.Time
	AfterID int64
}

// Recover sends every failed or skipped delivery of a hook created since
// in.Since again, once each, with the same ids, a page at a time, continuing
// as new between pages so its history stays small however long the outage.
func Recover(ctx workflow.Context, in RecoverInput) error {
	var p *activities.Planner
	var rp plan.Redelivery
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, planOptions), p.PlanRecovery, activities.PlanRecoveryInput{
		HookID: in.HookID, Since: in.Since, AfterID: in.AfterID, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
	}).Get(ctx, &rp)
	if err != nil {
		return err
	}
	sendPlans(ctx, []plan.Hook{{HookID: rp.HookID, Deliveries: rp.Deliveries, Retry: rp.Retry, RateLimit: rp.RateLimit}}, 0, workflow.Now(ctx))
	if len(rp.Deliveries) == plan.RecoverPage {
		in.AfterID = rp.Deliveries[len(rp.Deliveries)-1]
		return workflow.NewContinueAsNewError(ctx, Recover, in)
	}
	return nil
}
