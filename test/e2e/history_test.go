package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hookflow/hookflow/internal/golden"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
)

// recordHistory saves a workflow's history as workflows/testdata/<name>.json
// when HOOKFLOW_UPDATE=1 (internal/golden), for the replay test. name says which path
// of the workflow code the history covers (fanout_inline_sends,
// fanout_hook_workflows…), so a reader knows what a failing replay broke.
// docs/architecture.md ("Changing a workflow") says when to record again
// and when to version instead.
func recordHistory(t *testing.T, e *env, workflowID, name string) {
	if !golden.Update() {
		return
	}
	h := history(t, e, workflowID)
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

// history reads a workflow's whole history from the server.
func history(t *testing.T, e *env, workflowID string) *historypb.History {
	t.Helper()
	it := e.client.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		h.Events = append(h.Events, ev)
	}
	return h
}

// eventsOf lists the events of the given types in a history.
func eventsOf(h *historypb.History, types ...enumspb.EventType) []*historypb.HistoryEvent {
	var out []*historypb.HistoryEvent
	for _, ev := range h.Events {
		if slices.Contains(types, ev.GetEventType()) {
			out = append(out, ev)
		}
	}
	return out
}
