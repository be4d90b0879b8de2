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
// when HOOKFLOW_UPDATE=1 (internal/golden), for the replay test. When a workflow changes
// shape on purpose (with workflow.GetVersion for running ones), first keep the
// old recordings under a versioned name (<name>_v0.json), then record again:
// the replay test then covers both paths.
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
