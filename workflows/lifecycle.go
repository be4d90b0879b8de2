package workflows

import (
	"errors"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// notifyOptions: the mail server may be away for a while; the mail keeps
// trying for a day, unless the server refuses it for good.
var notifyOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    time.Minute,
	ScheduleToCloseTimeout: 24 * time.Hour,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: 10 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute,
		NonRetryableErrorTypes: []string{activities.ErrTypeNotFound, activities.ErrTypeBadPayload, activities.ErrTypeMailRejected},
	},
}

// hookDisabled tells about a TooManyErrors transition: other hooks get the
// webhook.errors event, the owner the errors_email mail. Neither failing
// fails the delivery's workflow; both are logged.
func hookDisabled(ctx workflow.Context, deliveryID int64, f activities.FailResult) {
	log := workflow.GetLogger(ctx)
	if err := emitStateEvent(ctx, f.Tenant, f.HookID, models.StateTooManyErrors, f.Transition); err != nil {
		log.Error("could not emit the state-change event", "hook_id", f.HookID, "err", err)
	}
	var n *activities.Notifier
	nctx := workflow.WithActivityOptions(ctx, notifyOptions)
	in := activities.NotifyInput{HookID: f.HookID, DeliveryID: deliveryID, Transition: f.Transition}
	if err := workflow.ExecuteActivity(nctx, n.NotifyDisabled, in).Get(ctx, nil); err != nil {
		log.Error("could not send the errors_email mail", "hook_id", f.HookID, "err", err)
	}
}

// emitStateEvent stores the event of a hook's state change and starts its
// Fanout as a child that outlives this workflow. The event's id, and so the
// child's, derives from the transition: telling it twice delivers it once.
func emitStateEvent(ctx workflow.Context, tenant string, hookID int64, to models.HookState, transition string) error {
	var r *activities.Recorder
	eventID := models.StateEventID(hookID, to, transition)
	id := FanoutWorkflowID(tenant, eventID)
	var pk int64
	in := activities.StateEventInput{HookID: hookID, To: to, Transition: transition, WorkflowID: id}
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, dbOptions), r.RecordStateEvent, in).Get(ctx, &pk); err != nil {
		return err
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            id,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(AttrTenant.ValueSet(tenant), AttrEventType.ValueSet(models.StateEventType(to))),
	})
	err := workflow.ExecuteChildWorkflow(cctx, Fanout, FanoutInput{Tenant: tenant, EventID: eventID, EventPK: pk}).
		GetChildWorkflowExecution().Get(ctx, nil)
	var started *temporal.ChildWorkflowExecutionAlreadyStartedError
	if errors.As(err, &started) {
		return nil
	}
	return err
}
