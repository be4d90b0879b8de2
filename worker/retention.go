package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/workflows"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// EnsureRetentionSchedule creates the Temporal Schedule that runs a
// retention pass (workflows.Retention) every workflows.RetentionEvery on
// taskQueue, or brings an existing one to this binary's definition. Every
// worker calls it at start; workers starting together agree, as the second
// create finds the schedule and updates it to the same thing. The schedule
// is in the Temporal UI under Schedules, where it can be paused or triggered.
func EnsureRetentionSchedule(ctx context.Context, c client.Client, taskQueue string) error {
	id := workflows.RetentionScheduleID(taskQueue)
	spec := client.ScheduleSpec{
		Intervals: []client.ScheduleIntervalSpec{{Every: workflows.RetentionEvery}},
		// Workers of many deployments on one Temporal need not all prune at :00.
		Jitter: 5 * time.Minute,
	}
	action := &client.ScheduleWorkflowAction{
		ID: id, Workflow: workflows.Retention, Args: []any{workflows.RetentionInput{}}, TaskQueue: taskQueue,
	}
	// A pass still running when the next is due goes on; the next is skipped.
	const overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{ID: id, Spec: spec, Action: action, Overlap: overlap})
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create schedule %s: %w", id, err)
	}
	err = c.ScheduleClient().GetHandle(ctx, id).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule // keeps its state: a schedule paused in the UI stays paused
			s.Spec, s.Action = &spec, action
			if s.Policy == nil {
				s.Policy = &client.SchedulePolicies{}
			}
			s.Policy.Overlap = overlap
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update schedule %s: %w", id, err)
	}
	return nil
}
