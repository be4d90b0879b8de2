package workflows_test

import (
	"os"
	"testing"

	"github.com/hookflow/hookflow/internal/actions"
	"go.temporal.io/sdk/client"
)

// recorded counts the Temporal Cloud Actions of a recorded history.
func recorded(t *testing.T, name string) actions.Count {
	t.Helper()
	f, err := os.Open("testdata/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return actions.History(h.GetEvents())
}

// What each kind of event costs in Temporal Cloud Actions, counted from
// histories recorded on a real server (docs/operations.md lists them):
// the common case — every delivery accepted at its first attempt — is a
// start and one batch of local activities, whatever the number of hooks
// up to 100; each hook of a larger fan-out adds a workflow of its own.
func TestActionsPerEvent(t *testing.T) {
	inline := recorded(t, "fanout_inline_sends")
	if inline.Total() != 2 || inline[actions.Start] != 1 || inline[actions.LocalBatch] != 1 {
		t.Errorf("an event delivered at once costs %s, want 2: its start and one batch of local activities", inline)
	}
	// The first attempt failed; one timer, then the send activity's two attempts.
	retry := recorded(t, "fanout_send_retries")
	if want := inline.Total() + 1 + 2; retry.Total() != want || retry[actions.Timer] != 1 || retry[actions.Activity] != 2 {
		t.Errorf("an event delivered at its third attempt costs %s, want %d", retry, want)
	}
	// A large fan-out: the event's workflow plans and starts a workflow per
	// hook in one batch of local activities; each hook's is a start and a batch.
	parent, child := recorded(t, "fanout_hook_workflows"), recorded(t, "hookdelivery_chunks")
	if parent.Total() != 2 || child.Total() != 2 || child[actions.Start] != 1 {
		t.Errorf("a large fan-out costs %s plus %s per hook, want 2 plus 2 per hook", parent, child)
	}
	disabled := recorded(t, "fanout_failure_disables_hook")
	t.Logf("delivered at once: %s", inline)
	t.Logf("delivered at the 3rd attempt: %s", retry)
	t.Logf("large fan-out: %s + per hook %s", parent, child)
	t.Logf("failed for good, hook turned off (mail, webhook.errors event; a second chunk 9 s later): %s", disabled)
	t.Logf("recover: %s", recorded(t, "recover_since_outage"))
	// A rate-limited hook: the slot's local activity, its timer, the attempt's.
	paced := recorded(t, "fanout_rate_limited")
	if paced[actions.Timer] != 1 || paced[actions.Start] != 1 {
		t.Errorf("a throttled delivery costs %s, want a start and one timer besides local activities", paced)
	}
	t.Logf("rate-limited, waited for its slot: %s", paced)
	// A fifo lane: per delivery a wake-up signal and the batch of local
	// activities that finds and sends it.
	lane := recorded(t, "lane_recovered")
	t.Logf("fifo lane, recovered deliveries: %s", lane)
	t.Logf("fifo lane, head failed for good: %s", recorded(t, "lane_stops_when_hook_off"))
}

// A retention pass started by its schedule is a workflow start and one
// activity (the schedule's own action is billed by Temporal Cloud on top:
// docs/operations.md); heartbeats of a long pass add more.
func TestActionsPerRetentionPass(t *testing.T) {
	pass := recorded(t, "retention_pass")
	if pass.Total() != 2 || pass[actions.Start] != 1 || pass[actions.Activity] != 1 {
		t.Errorf("a retention pass costs %s, want 2: its start and its activity", pass)
	}
}
