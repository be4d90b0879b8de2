package workflows_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hookflow/hookflow/workflows"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Every history recorded from a real run (testdata/*.json, written by the
// end-to-end tests with HOOKFLOW_UPDATE=1) must replay against the
// current workflow code: a change that would break running workflows fails here.
func TestReplayRecordedHistories(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json")
	if len(files) == 0 {
		t.Fatal("no recorded histories in workflows/testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.Fanout)
			r.RegisterWorkflow(workflows.HookDelivery)
			r.RegisterWorkflow(workflows.Redeliver)
			r.RegisterWorkflow(workflows.Recover)
			r.RegisterWorkflow(workflows.Lane)
			r.RegisterWorkflow(workflows.Retention)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}

// brokenFanout schedules no local activity where Fanout does: replaying a
// real history against it must fail, proving the replay test can.
func brokenFanout(ctx workflow.Context, in workflows.FanoutInput) error {
	return workflow.Sleep(ctx, 0)
}

func TestReplayCatchesNonDeterminism(t *testing.T) {
	f := "testdata/fanout_inline_sends.json"
	if _, err := os.Stat(f); err != nil {
		t.Fatalf("missing %s: %v", f, err)
	}
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(brokenFanout, workflow.RegisterOptions{Name: "Fanout"})
	if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err == nil {
		t.Fatal("a workflow that does something else replayed a Fanout history without error")
	}
}
