package worker

import (
	"context"
	"errors"
	"strconv"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/workflows"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// engine is the planner's hand on Temporal, through the worker's own client:
// it wakes fifo hooks' lane workflows, starting a lane that is not running
// (signal-with-start: one lane per hook, whoever wakes it), tells a waiting
// lane whether the workflow it waits for still runs, and starts the
// workflow of each hook of a large fan-out.
type engine struct {
	c         client.Client
	taskQueue string
}

// KickLane signals the hook's lane, starting it when it is not running.
func (e engine) KickLane(ctx context.Context, tenant string, hookID int64) error {
	_, err := e.c.SignalWithStartWorkflow(ctx, workflows.LaneWorkflowID(tenant, hookID), workflows.LaneSignal, nil,
		client.StartWorkflowOptions{
			TaskQueue:             e.taskQueue,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			TypedSearchAttributes: temporal.NewSearchAttributes(
				workflows.AttrTenant.ValueSet(tenant),
				workflows.AttrHookIDs.ValueSet([]string{strconv.FormatInt(hookID, 10)}),
			),
			StaticSummary: "fifo lane of hook " + strconv.FormatInt(hookID, 10),
		}, workflows.Lane, workflows.LaneInput{HookID: hookID})
	return err
}

// Running reports whether the workflow's latest run is still running; one
// Temporal no longer knows (past retention) is not.
func (e engine) Running(ctx context.Context, workflowID string) (bool, error) {
	resp, err := e.c.DescribeWorkflowExecution(ctx, workflowID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return resp.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, nil
}

// StartHookDelivery starts the workflow of one hook's deliveries of an
// event. A start already made answers WorkflowExecutionAlreadyStarted, even
// while that workflow runs, so its caller can tell it from a failure.
func (e engine) StartHookDelivery(ctx context.Context, in activities.HookDeliveryStart) error {
	hook := strconv.FormatInt(in.HookID, 10)
	attrs := []temporal.SearchAttributeUpdate{workflows.AttrTenant.ValueSet(in.Tenant), workflows.AttrHookIDs.ValueSet([]string{hook})}
	summary := "hook " + hook
	if in.EventType != "" {
		attrs = append(attrs, workflows.AttrEventType.ValueSet(in.EventType))
		summary = in.EventType + " · " + summary
	}
	_, err := e.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        workflows.HookDeliveryWorkflowID(in.Tenant, in.EventID, in.HookID),
		TaskQueue: e.taskQueue,
		// The first task runs on this worker, skipping the task queue, as
		// the dispatcher's starts do.
		EnableEagerStart:                         true,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    temporal.NewSearchAttributes(attrs...),
		StaticSummary:                            summary,
	}, workflows.HookDelivery, workflows.HookDeliveryInput{
		Tenant: in.Tenant, EventID: in.EventID, EventPK: in.EventPK, HookID: in.HookID,
	})
	return err
}
