package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hookflow/hookflow/internal/golden"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
)

// recordHistory saves a workflow's history as workflows/testdata/<name>.json
// when HOOKFLOW_UPDATE=1 (internal/golden), for the replay test. name says which path
// of the workflow code the history covers (fanout_inline_sends,
// fanout_hook_children…), so a reader knows what a failing replay broke.
//
// To change a workflow's shape: before a release, change it and record every
// history again (HOOKFLOW_UPDATE=1 go test ./test/e2e). Once a
// release runs workflows, branch with workflow.GetVersion instead, keep the
// old recording under a name saying which code it replays (e.g.
// fanout_inline_sends_before_<change>.json), then record again: the replay
// test then covers both paths.
func recordHistory(t *testing.T, e *env, workflowID, name string) {
	if !golden.Update() {
		return
	}
	it := e.client.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		h.Events = append(h.Events, ev)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "workflows", "testdata", name+".json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d events of %s in %s", len(h.Events), workflowID, path)
}
