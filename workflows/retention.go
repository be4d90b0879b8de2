package workflows

import (
	"time"

	"github.com/hookflow/hookflow/activities"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// RetentionScheduleID is the id of the Temporal Schedule that runs
// Retention for the workers of taskQueue ("hookflow-retention" for the
// default queue), and the prefix of the workflow ids it starts.
func RetentionScheduleID(taskQueue string) string { return taskQueue + "-retention" }

// RetentionEvery is how often the schedule runs a retention pass. Each pass
// deletes an hour's worth of expired rows in the steady state; a first pass
// over a database that was never pruned takes longer, and the schedule skips
// the passes that would overlap it.
const RetentionEvery = time.Hour

// pruneOptions: a pass runs as long as it has pages to delete, heartbeating
// after each; a worker that dies mid-pass is noticed within a minute and the
// pass starts again where the data stands (deletes are idempotent).
var pruneOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 6 * time.Hour,
	HeartbeatTimeout:    time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: 10 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
	},
}

// RetentionInput is the input of a retention pass; empty, so the schedule's
// recorded action never needs to change when settings do.
type RetentionInput struct{}

// Retention runs one retention pass: it deletes what is older than
// HOOKFLOW_RETENTION (activities.Pruner). The schedule RetentionScheduleID
// starts it every RetentionEvery; its result says what was deleted.
func Retention(ctx workflow.Context, _ RetentionInput) (activities.PruneResult, error) {
	var p *activities.Pruner
	var res activities.PruneResult
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, pruneOptions), p.DeleteExpired, activities.PruneInput{}).Get(ctx, &res)
	return res, err
}
