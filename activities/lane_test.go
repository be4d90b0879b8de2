package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/plan"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/testsuite"
)

// workflows answers Running from a set of running workflow ids, counting
// the questions.
type workflows struct {
	running map[string]bool
	asked   map[string]int
}

func (w *workflows) Running(_ context.Context, id string) (bool, error) {
	w.asked[id]++
	return w.running[id], nil
}

// laneFixture is a fifo hook and a planner whose clock the test moves.
type laneFixture struct {
	st   *store.Store
	hook *models.Hook
	lane string
	p    *activities.Planner
	wfs  *workflows
	now  time.Time
}

func newLaneFixture(t *testing.T) *laneFixture {
	t.Helper()
	f := &laneFixture{st: storetest.Open(t, storetest.SQLite(t)), now: time.Now().UTC().Truncate(time.Millisecond),
		wfs: &workflows{running: map[string]bool{}, asked: map[string]int{}}}
	f.hook = f.fifoHook(t, "ordered")
	f.lane = plan.LaneWorkflowID("t1", f.hook.ID)
	f.p = activities.NewPlanner(f.st, plan.Retry{MaxAttempts: 1})
	f.p.Workflows = f.wfs
	f.p.Now = func() time.Time { return f.now }
	return f
}

// fifoHook stores an active fifo hook of tenant t1 to every event.
func (f *laneFixture) fifoHook(t *testing.T, name string) *models.Hook {
	t.Helper()
	h := &models.Hook{Tenant: "t1", HookSpec: models.HookSpec{Name: name, Events: models.JSON[[]string]{V: []string{"*"}},
		TargetURL: "https://example.com/hook", Type: models.HookTypeWebhook, Ordering: models.OrderingFIFO},
		Secret: secret, State: models.StateActive, Registered: f.now, Updated: f.now}
	if err := f.st.CreateHook(ctx, h); err != nil {
		t.Fatal(err)
	}
	return h
}

// plannedEvent stores a planned event accepted at, with an open delivery to
// the hook held by workflow holder, and returns the delivery's id.
func (f *laneFixture) plannedEvent(t *testing.T, id string, at time.Time, holder string) int64 {
	t.Helper()
	return f.openDelivery(t, f.event(t, id, at), f.hook, holder)
}

// event stores a planned event accepted at.
func (f *laneFixture) event(t *testing.T, id string, at time.Time) *models.Event {
	t.Helper()
	e := &models.Event{ID: id, Tenant: "t1", Type: "Contact.Update", OccurredAt: at, ReceivedAt: at, Body: []byte(`{"id":1}`), RecordCount: 1,
		WorkflowID: "event/t1/" + id}
	if _, err := f.st.CreateEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := f.st.MarkPlanned(ctx, e.PK, at); err != nil {
		t.Fatal(err)
	}
	return e
}

// openDelivery stores e's pending delivery to h, held by workflow holder,
// and returns its id.
func (f *laneFixture) openDelivery(t *testing.T, e *models.Event, h *models.Hook, holder string) int64 {
	t.Helper()
	d := models.Delivery{Tenant: "t1", EventPK: e.PK, EventID: e.ID, HookID: h.ID, Count: 1, Records: models.JSON[[]int]{V: []int{0}},
		Status: models.DeliveryPending, WorkflowID: holder, CreatedAt: e.ReceivedAt, UpdatedAt: e.ReceivedAt}
	if err := f.st.PlanDeliveries(ctx, []models.Delivery{d}); err != nil {
		t.Fatal(err)
	}
	ds, err := f.st.HookDeliveries(ctx, e.PK, h.ID, 0, 1)
	if err != nil || len(ds) != 1 {
		t.Fatalf("HookDeliveries = %v, %v", ds, err)
	}
	return ds[0].ID
}

func (f *laneFixture) next(t *testing.T) activities.LaneStep {
	t.Helper()
	return f.nextIn(t, f.hook)
}

// nextIn runs NextInLane for h's lane.
func (f *laneFixture) nextIn(t *testing.T, h *models.Hook) activities.LaneStep {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(f.p)
	v, err := env.ExecuteActivity(f.p.NextInLane, activities.NextInLaneInput{HookID: h.ID, WorkflowID: plan.LaneWorkflowID("t1", h.ID)})
	if err != nil {
		t.Fatalf("NextInLane: %v", err)
	}
	var step activities.LaneStep
	if err := v.Get(&step); err != nil {
		t.Fatal(err)
	}
	return step
}

// The head of a lane held by another workflow (planned before the hook was
// fifo) waits while that workflow runs, asking Temporal at most every ten
// seconds; once it ended without finishing the delivery — terminated in the
// UI, say — the lane takes the delivery over and sends it.
func TestLaneTakesOverTheHeadOfAnEndedWorkflow(t *testing.T) {
	f := newLaneFixture(t)
	older := "event/t1/a"
	head := f.plannedEvent(t, "a", f.now.Add(-time.Minute), older)
	f.plannedEvent(t, "b", f.now, f.lane)
	f.wfs.running[older] = true

	if step := f.next(t); !step.Wait {
		t.Fatalf("step = %+v while the holder runs; want Wait", step)
	}
	f.now = f.now.Add(time.Second)
	if step := f.next(t); !step.Wait || f.wfs.asked[older] != 1 {
		t.Fatalf("step = %+v, Temporal asked %d times within ten seconds; want Wait, once", step, f.wfs.asked[older])
	}

	f.wfs.running[older] = false // terminated
	f.now = f.now.Add(time.Second)
	if step := f.next(t); !step.Wait {
		t.Fatalf("step = %+v before the next check is due; want Wait", step)
	}
	f.now = f.now.Add(ownerCheckEvery)
	step := f.next(t)
	if step.DeliveryID != head || step.Wait {
		t.Fatalf("step = %+v after the holder ended; want delivery %d", step, head)
	}
	if d, err := f.st.Delivery(ctx, "t1", head); err != nil || d.WorkflowID != f.lane || d.Status != models.DeliveryPending {
		t.Fatalf("delivery = %+v, %v; want it pending in the lane %s", d, err, f.lane)
	}
}

// A lane waits for an older event that is not planned yet: while it is
// queued without asking Temporal, then while its workflow runs. A workflow
// that ended without planning it no longer holds the lane.
func TestLaneStopsWaitingForAnEventWhoseWorkflowEnded(t *testing.T) {
	f := newLaneFixture(t)
	queued := &models.Event{ID: "q", Tenant: "t1", Type: "Contact.Update", OccurredAt: f.now.Add(-2 * time.Minute),
		ReceivedAt: f.now.Add(-2 * time.Minute), Body: []byte(`{"id":1}`), RecordCount: 1, WorkflowID: "event/t1/q"}
	if _, err := f.st.AdmitEvents(ctx, []*models.Event{queued}); err != nil {
		t.Fatal(err)
	}
	head := f.plannedEvent(t, "b", f.now, f.lane)
	if step := f.next(t); !step.Wait || len(f.wfs.asked) != 0 {
		t.Fatalf("step = %+v, asked %v behind a queued event; want Wait, no question", step, f.wfs.asked)
	}
	if err := f.st.DequeueEvents(ctx, []int64{queued.PK}); err != nil { // its workflow started
		t.Fatal(err)
	}
	f.wfs.running[queued.WorkflowID] = true
	if step := f.next(t); !step.Wait || f.wfs.asked[queued.WorkflowID] != 1 {
		t.Fatalf("step = %+v, asked %v while its workflow runs; want Wait, asked once", step, f.wfs.asked)
	}

	f.wfs.running[queued.WorkflowID] = false
	f.now = f.now.Add(ownerCheckEvery)
	if step := f.next(t); !step.Wait {
		t.Fatalf("step = %+v; want Wait for this turn", step)
	}
	if step := f.next(t); step.DeliveryID != head {
		t.Fatalf("step = %+v after the event's workflow ended; want delivery %d", step, head)
	}
}

// Two fifo hooks' lanes wait for the same ended workflow, which holds the
// head of each. Once one lane has learned that it ended, the other takes
// its head over at once, without asking Temporal again or waiting for its
// own next check.
func TestLanesWaitingForTheSameWorkflowShareItsEnd(t *testing.T) {
	f := newLaneFixture(t)
	other := f.fifoHook(t, "ordered too")
	older := "event/t1/a"
	a := f.event(t, "a", f.now.Add(-time.Minute))
	heads := map[*models.Hook]int64{f.hook: f.openDelivery(t, a, f.hook, older), other: f.openDelivery(t, a, other, older)}
	f.wfs.running[older] = true
	for _, h := range []*models.Hook{f.hook, other} {
		if step := f.nextIn(t, h); !step.Wait {
			t.Fatalf("hook %s: step = %+v while the holder runs; want Wait", h.Name, step)
		}
	}

	f.wfs.running[older] = false // terminated
	f.now = f.now.Add(ownerCheckEvery)
	for _, h := range []*models.Hook{f.hook, other} {
		if step := f.nextIn(t, h); step.DeliveryID != heads[h] || step.Wait {
			t.Fatalf("hook %s: step = %+v after the holder ended; want delivery %d", h.Name, step, heads[h])
		}
	}
	if f.wfs.asked[older] != 2 {
		t.Fatalf("Temporal asked %d times about %s; want twice: once while it ran, once when it had ended", f.wfs.asked[older], older)
	}
}

// ownerCheckEvery is activities' spacing of questions about one workflow.
const ownerCheckEvery = 10 * time.Second
