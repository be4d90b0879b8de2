package worker

import (
	"context"
	"errors"
	"strconv"

	"github.com/hookflow/hookflow/workflows"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// lanes wakes fifo hooks' lane workflows for the planner, starting a lane
// that is not running (signal-with-start: one lane per hook, whoever wakes
// it), and tells a waiting lane whether the workflow it waits for still runs.
type lanes struct {
	c         client.Client
	taskQueue string
}

// KickLane signals the hook's lane, starting it when it is not running.
func (l lanes) KickLane(ctx context.Context, tenant string, hookID int64) error {
	_, err := l.c.SignalWithStartWorkflow(ctx, workflows.LaneWorkflowID(tenant, hookID), workflows.LaneSignal, nil,
		client.StartWorkflowOptions{
			TaskQueue:             l.taskQueue,
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
func (l lanes) Running(ctx context.Context, workflowID string) (bool, error) {
	resp, err := l.c.DescribeWorkflowExecution(ctx, workflowID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return resp.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, nil
}
