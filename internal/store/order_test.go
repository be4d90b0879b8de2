package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
)

// Workers reserving a rate-limited hook's slots at once get distinct slots,
// one interval apart, from now on; a Retry-After hold pushes the next slot
// and shuts the gate; the gate lets one request start per interval.
func TestPaceSlotsAndGate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := hook("t1", "*")
		if err := st.CreateHook(ctx, h); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Millisecond)
		const iv = 200 * time.Millisecond
		var mu sync.Mutex
		got := map[time.Time]bool{}
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				at, err := st.ReserveSlot(ctx, h.ID, 0, now, iv)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got[at] = true
				mu.Unlock()
			})
		}
		wg.Wait()
		for i := range 10 {
			if at := now.Add(time.Duration(i) * iv); !got[at] {
				t.Errorf("no slot at +%s; slots: %v", time.Duration(i)*iv, got)
			}
		}
		// A hook idle for long starts again at now, not at its old slots.
		later := now.Add(time.Hour)
		if at, _ := st.ReserveSlot(ctx, h.ID, 0, later, iv); !at.Equal(later) {
			t.Errorf("slot after an idle hour = %s, want now (%s)", at, later)
		}
		if err := st.HoldPace(ctx, h.ID, later.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if at, _ := st.ReserveSlot(ctx, h.ID, 0, later, iv); !at.Equal(later.Add(time.Minute)) {
			t.Errorf("slot after a hold = %s, want the hold's end", at)
		}
		if ok, gate, err := st.ClaimSend(ctx, h.ID, later, iv); err != nil || ok || !gate.Equal(later.Add(time.Minute)) {
			t.Errorf("ClaimSend during the hold = %v, %s, %v; want shut until the hold's end", ok, gate, err)
		}
		t0 := later.Add(time.Minute)
		if ok, _, _ := st.ClaimSend(ctx, h.ID, t0, iv); !ok {
			t.Error("the gate stayed shut after the hold")
		}
		if ok, gate, _ := st.ClaimSend(ctx, h.ID, t0.Add(iv/2), iv); ok || !gate.Equal(t0.Add(iv)) {
			t.Errorf("a second request half an interval later passed (gate %s)", gate)
		}
		if ok, _, _ := st.ClaimSend(ctx, h.ID, t0.Add(iv), iv); !ok {
			t.Error("the gate stayed shut one interval later")
		}
	})
}

// laneEvent stores tenant t1's event id, accepted at, with its workflow id.
func laneEvent(t *testing.T, st *store.Store, id string, at time.Time) *models.Event {
	t.Helper()
	e := &models.Event{ID: id, Tenant: "t1", Type: "Contact.Update", OccurredAt: at, ReceivedAt: at, Body: []byte(`{}`), WorkflowID: "event/t1/" + id}
	if _, err := st.CreateEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	return e
}

// openDelivery plans one pending delivery of e to h, held by workflow wf,
// and returns its id.
func openDelivery(t *testing.T, st *store.Store, h *models.Hook, e *models.Event, wf string, at time.Time) int64 {
	t.Helper()
	d := models.Delivery{Tenant: e.Tenant, EventPK: e.PK, EventID: e.ID, HookID: h.ID, Count: 1,
		Records: models.JSON[[]int]{V: []int{0}}, Status: models.DeliveryPending, WorkflowID: wf, CreatedAt: at, UpdatedAt: at}
	if err := st.PlanDeliveries(ctx, []models.Delivery{d}); err != nil {
		t.Fatal(err)
	}
	ds, _ := st.HookDeliveries(ctx, e.PK, h.ID, 0, 1)
	return ds[0].ID
}

// A lane's head is the open delivery whose event was accepted first
// (received time, then id), whatever the delivery ids; it is Behind while an
// older event of the tenant is not planned; SkipLane ends the lane's own.
func TestLaneHeadFollowsTheEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := hook("t1", "*")
		if err := st.CreateHook(ctx, h); err != nil {
			t.Fatal(err)
		}
		base := time.Now().UTC().Truncate(time.Millisecond)
		event := func(id string, at time.Time) *models.Event { return laneEvent(t, st, id, at) }
		// Accepted in this order: z (which reaches another hook, or none), b,
		// then a and c at the same time.
		ez, eb, ea, ec := event("z", base.Add(-time.Second)), event("b", base), event("c", base.Add(time.Second)), event("a", base.Add(time.Second))
		deliver := func(e *models.Event, wf string) int64 { return openDelivery(t, st, h, e, wf, base) }
		lane := "lane/t1/1"
		deliver(ea, lane) // event "c"
		da, db := deliver(ec, lane), deliver(eb, lane)
		head, err := st.LaneHead(ctx, h.ID, "")
		if err != nil || head == nil || head.DeliveryID != db || head.Behind == nil || *head.Behind != (store.UnplannedEvent{PK: ez.PK, WorkflowID: ez.WorkflowID}) {
			t.Fatalf("LaneHead = %+v, %v; want delivery %d (event b), behind z (not planned)", head, err, db)
		}
		for _, e := range []*models.Event{ez, ea, ec} { // b itself need not be: only older events hold it
			if err := st.MarkPlanned(ctx, e.PK, base); err != nil {
				t.Fatal(err)
			}
		}
		if head, _ = st.LaneHead(ctx, h.ID, ""); head.DeliveryID != db || head.Behind != nil {
			t.Fatalf("LaneHead = %+v; want delivery %d, not behind", head, db)
		}
		if _, err := st.RecordAttempt(ctx, db, store.AttemptOutcome{Attempt: models.Attempt{StartedAt: base, StatusCode: 200}, Status: models.DeliverySucceeded}); err != nil {
			t.Fatal(err)
		}
		if head, _ = st.LaneHead(ctx, h.ID, ""); head.DeliveryID != da {
			t.Fatalf("LaneHead = %+v; want delivery %d (event a: same time as c, smaller id)", head, da)
		}
		if n, err := st.SkipLane(ctx, h.ID, lane, "hook is TooManyErrors", base); err != nil || n != 2 {
			t.Fatalf("SkipLane = %d, %v; want 2", n, err)
		}
		if head, _ = st.LaneHead(ctx, h.ID, ""); head != nil {
			t.Fatalf("LaneHead after SkipLane = %+v, want none", head)
		}
		if n, err := st.ReopenLane(ctx, store.RecoverQuery{HookID: h.ID, Since: base.Add(-time.Minute), WorkflowID: lane}, base); err != nil || n != 2 {
			t.Fatalf("ReopenLane = %d, %v; want 2", n, err)
		}
		if head, _ = st.LaneHead(ctx, h.ID, ""); head == nil || head.DeliveryID != da {
			t.Fatalf("LaneHead after ReopenLane = %+v; want delivery %d", head, da)
		}
	})
}

// A delivery left open by a workflow that ended is adopted by the lane
// once: only while it is open and still that workflow's.
func TestAdoptDeliveryTakesOnlyAnOrphan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := hook("t1", "*")
		if err := st.CreateHook(ctx, h); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Millisecond)
		e := laneEvent(t, st, "e", now)
		id, lane := openDelivery(t, st, h, e, e.WorkflowID, now), "lane/t1/1"
		if ok, err := st.AdoptDelivery(ctx, id, "someone/else", lane, now); err != nil || ok {
			t.Fatalf("AdoptDelivery from a workflow that does not hold it = %v, %v; want false", ok, err)
		}
		if ok, err := st.AdoptDelivery(ctx, id, e.WorkflowID, lane, now); err != nil || !ok {
			t.Fatalf("AdoptDelivery = %v, %v; want true", ok, err)
		}
		if head, _ := st.LaneHead(ctx, h.ID, lane); head == nil || head.DeliveryID != id || head.WorkflowID != lane {
			t.Fatalf("LaneHead of the lane = %+v; want delivery %d, now the lane's", head, id)
		}
		if ok, _ := st.AdoptDelivery(ctx, id, e.WorkflowID, lane, now); ok {
			t.Fatal("AdoptDelivery adopted the delivery twice")
		}
		if _, err := st.RecordAttempt(ctx, id, store.AttemptOutcome{Attempt: models.Attempt{StartedAt: now, StatusCode: 200}, Status: models.DeliverySucceeded}); err != nil {
			t.Fatal(err)
		}
		if ok, _ := st.AdoptDelivery(ctx, id, lane, "other/lane", now); ok {
			t.Fatal("AdoptDelivery took a delivery that had ended")
		}
	})
}
