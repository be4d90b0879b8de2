package worker

import (
	"context"
	"strconv"

	"github.com/hookflow/hookflow/workflows"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// lanes wakes fifo hooks' lane workflows for the planner, starting a lane
// that is not running (signal-with-start: one lane per hook, whoever wakes it).
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
