package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/worker"
	"github.com/hookflow/hookflow/workflows"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
)

// The retention schedule on the real embedded server: a worker start
// creates it (a second start updates it to the same thing), it is the
// schedule the Temporal UI lists, and a run it starts — a Retention
// workflow on the worker's queue — deletes an event older than
// HOOKFLOW_RETENTION and keeps a young one and an old one still queued.
func TestRetentionScheduleRunsAndDeletes(t *testing.T) {
	const retention = 30 * 24 * time.Hour
	// Nothing is dispatched: the old queued event stays queued, in flight.
	e := newEnvWith(t, storetest.SQLite(t), envOptions{holdDispatch: true,
		worker: []func(*worker.Deps){func(d *worker.Deps) { d.Retention = retention }}})
	ctx := context.Background()
	event := func(id string, age time.Duration) *models.Event {
		at := time.Now().UTC().Add(-age)
		return &models.Event{ID: id, Tenant: "default", Type: "Contact.Update", OccurredAt: at, ReceivedAt: at, Body: []byte(`{}`), WorkflowID: "w-" + id}
	}
	for _, ev := range []*models.Event{event("expired", retention+time.Hour), event("young", retention-time.Hour)} {
		if _, err := e.store.CreateEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.store.AdmitEvents(ctx, []*models.Event{event("queued-old", retention+time.Hour)}); err != nil {
		t.Fatal(err)
	}

	for range 2 { // the second start finds the schedule and updates it
		if err := worker.EnsureRetentionSchedule(ctx, e.client, e.queue); err != nil {
			t.Fatal(err)
		}
	}
	h := e.client.ScheduleClient().GetHandle(ctx, workflows.RetentionScheduleID(e.queue))
	t.Cleanup(func() { _ = h.Delete(context.Background()) })
	desc, err := h.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	if !ok || a.Workflow != "Retention" || a.TaskQueue != e.queue || len(desc.Schedule.Spec.Intervals) != 1 ||
		desc.Schedule.Spec.Intervals[0].Every != workflows.RetentionEvery {
		t.Fatalf("schedule = %+v, action %+v", desc.Schedule.Spec, desc.Schedule.Action)
	}

	// Run it now rather than within the hour.
	if err := h.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	var run client.ScheduleActionResult
	waitFor(t, 30*time.Second, "the schedule to start a run", func() bool {
		d, err := h.Describe(ctx)
		if err != nil || len(d.Info.RecentActions) == 0 {
			return false
		}
		run = d.Info.RecentActions[0]
		return true
	})
	var res activities.PruneResult
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := e.client.GetWorkflow(wctx, run.StartWorkflowResult.WorkflowID, run.StartWorkflowResult.FirstExecutionRunID).Get(wctx, &res); err != nil {
		t.Fatalf("retention run %s: %v", run.StartWorkflowResult.WorkflowID, err)
	}
	if res.Events != 1 || res.Cutoff.After(time.Now().Add(-retention)) {
		t.Errorf("the run deleted %+v, want the one expired event, before %s", res, time.Now().Add(-retention))
	}
	if _, err := e.store.Event(ctx, "default", "expired"); err == nil {
		t.Error("the expired event is still there")
	}
	for _, id := range []string{"queued-old", "young"} {
		if _, err := e.store.Event(ctx, "default", id); err != nil {
			t.Errorf("event %s was deleted: %v", id, err)
		}
	}
	if !slices.ContainsFunc(history(t, e, run.StartWorkflowResult.WorkflowID).Events, func(ev *historypb.HistoryEvent) bool {
		return ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName() == "DeleteExpired"
	}) {
		t.Error("the run's history holds no DeleteExpired activity")
	}
	recordHistory(t, e, run.StartWorkflowResult.WorkflowID, "retention_pass")
}
