package store_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
)

// Many failures of one hook at once disable it exactly once; the winning
// transition asking again (a retried activity) still hears true.
func TestFailDeliveryDisablesTheHookOncePerTransition(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := hook("t1", "*")
		if err := st.CreateHook(ctx, h); err != nil {
			t.Fatal(err)
		}
		ds := plan(t, st, h, "e1", time.Now().UTC(), 22) // 20 at once, then "other" and "later"
		disable := func(i int, transition string) (bool, error) {
			return st.FailDelivery(ctx, ds[i].ID, h.ID, "target answered 500", transition, time.Now())
		}
		transition := func(i int) string { return string(rune('a' + i)) }
		var wg sync.WaitGroup
		var winners, winner atomic.Int32
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := disable(i, transition(i))
				if err != nil {
					t.Error(err)
				}
				if ok {
					winners.Add(1)
					winner.Store(int32(i))
				}
			}()
		}
		wg.Wait()
		if winners.Load() != 1 {
			t.Fatalf("%d transitions won, want exactly 1", winners.Load())
		}
		w := int(winner.Load())
		if ok, _ := disable(w, transition(w)); !ok {
			t.Error("the winning transition asking again was told no")
		}
		if ok, _ := disable(20, "other"); ok {
			t.Error("another transition disabled a disabled hook")
		}
		if ok, _ := st.SetHookState(ctx, h.ID, "", models.StateActive, time.Now()); !ok {
			t.Fatal("activate did not change the hook")
		}
		if ok, _ := disable(21, "later"); !ok {
			t.Error("a re-activated hook could not be disabled again")
		}
	})
}

// A delivery that fails for good and the hook it turns off are one
// write: whoever reads the failed delivery reads the hook TooManyErrors.
// A later failure of the off hook reports no transition of its own.
func TestFailDeliveryTurnsTheHookOffWithIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := hook("t1", "*")
		if err := st.CreateHook(ctx, h); err != nil {
			t.Fatal(err)
		}
		ds := plan(t, st, h, "e1", time.Now().UTC(), 2)
		for i, want := range []bool{true, true, false} { // the first twice: a retried activity
			d := ds[i/2]
			transition := fmt.Sprint(d.ID, ".0")
			disabled, err := st.FailDelivery(ctx, d.ID, h.ID, "target answered 410", transition, time.Now().UTC())
			if err != nil || disabled != want {
				t.Fatalf("failure %d: FailDelivery = %v, %v; want %v", i, disabled, err, want)
			}
			got, err := st.Delivery(ctx, "t1", d.ID)
			if err != nil || got.Status != models.DeliveryFailed || got.LastError != "target answered 410" {
				t.Fatalf("failure %d: delivery = %+v, %v; want failed", i, got, err)
			}
		}
		if got, _ := st.Hook(ctx, "t1", h.ID); got.State != models.StateTooManyErrors || got.DisabledBy != fmt.Sprint(ds[0].ID, ".0") {
			t.Errorf("hook state %s, disabled by %q; want TooManyErrors by the first failure", got.State, got.DisabledBy)
		}
	})
}

// A user's edit that started before a failure turned the hook off leaves
// it off, with its failure record; an edit that sets the state wins.
func TestEditRacingADisableLeavesTheHookOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := hook("t1", "*")
		if err := st.CreateHook(ctx, h); err != nil {
			t.Fatal(err)
		}
		edit, err := st.Hook(ctx, "t1", h.ID) // the API reads the hook...
		if err != nil {
			t.Fatal(err)
		}
		d := plan(t, st, h, "e1", time.Now().UTC(), 1)[0]
		failed := store.AttemptOutcome{Attempt: models.Attempt{StartedAt: time.Now(), StatusCode: 503, Error: "503"}, Status: models.DeliveryFailed}
		if _, err := st.RecordAttempt(ctx, d.ID, failed); err != nil {
			t.Fatal(err)
		}
		if ok, err := st.FailDelivery(ctx, d.ID, h.ID, "503", "d1", time.Now()); !ok || err != nil { // ...a delivery fails...
			t.Fatalf("FailDelivery = %v, %v", ok, err)
		}
		edit.Name = "renamed" // ...and the user's PATCH of the name lands.
		if err := st.UpdateHook(ctx, edit, models.StateActive); err != nil {
			t.Fatal(err)
		}
		got, _ := st.Hook(ctx, "t1", h.ID)
		if got.Name != "renamed" || got.State != models.StateTooManyErrors || got.ErrorCount != 1 || got.LastError != "503" || got.DisabledBy != "d1" {
			t.Errorf("after the edit: name %q, state %s, errors %d, last error %q, disabled by %q; want renamed, TooManyErrors, 1, 503, d1",
				got.Name, got.State, got.ErrorCount, got.LastError, got.DisabledBy)
		}
		if edit.State != models.StateTooManyErrors {
			t.Errorf("the saved hook reads state %s, want the row's TooManyErrors", edit.State)
		}
		edit.State = models.StateActive // a user who sets Active means it
		if err := st.UpdateHook(ctx, edit, models.StateTooManyErrors); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.Hook(ctx, "t1", h.ID); got.State != models.StateActive || got.ErrorCount != 0 || got.FailingSince != nil {
			t.Errorf("set Active: state %s, errors %d, failing since %v; want Active, 0, nil", got.State, got.ErrorCount, got.FailingSince)
		}
	})
}

// A user's edit writes the hook's spec, its credentials and the edit's
// stamp, and nothing else: an edit carrying stale or made-up values of what
// the server owns (registration, failure record) changes none of them.
func TestEditWritesTheSpecNotWhatTheServerOwns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := hook("t1", "*")
		if err := st.CreateHook(ctx, h); err != nil {
			t.Fatal(err)
		}
		stored, _ := st.Hook(ctx, "t1", h.ID)
		edit := *stored
		edit.HookSpec = models.HookSpec{Name: "renamed", Events: models.JSON[[]string]{V: []string{"deal.*"}}, TargetURL: "https://other.example/",
			Type: models.HookTypeWebhook, Format: "standard", Headers: models.JSON[map[string]string]{V: map[string]string{"X-A": "1"}},
			Properties: models.JSON[map[string]any]{V: map[string]any{}}, ErrorsEmail: "ops@example.com", InsecureSSL: true}
		edit.Secret = "whsec_bmV3c2VjcmV0bmV3c2VjcmV0"
		edit.Updated, edit.UpdatedBy = stored.Updated.Add(time.Hour), "key:edit"
		later := stored.Registered.Add(time.Hour)
		edit.Registered, edit.RegisteredBy = later, "key:forged"
		edit.ErrorCount, edit.FailingSince, edit.LastError, edit.DisabledBy = 9, &later, "made up", "x.0"
		if err := st.UpdateHook(ctx, &edit, edit.State); err != nil {
			t.Fatal(err)
		}
		got, _ := st.Hook(ctx, "t1", h.ID)
		if got.Name != "renamed" || got.Events.V[0] != "deal.*" || got.TargetURL != "https://other.example/" || got.Headers.V["X-A"] != "1" ||
			got.ErrorsEmail != "ops@example.com" || !got.InsecureSSL || got.Secret != edit.Secret || got.UpdatedBy != "key:edit" {
			t.Errorf("the edit's spec, secret or stamp was not written: %+v", got)
		}
		if !got.Registered.Equal(stored.Registered) || got.RegisteredBy != stored.RegisteredBy || got.ErrorCount != 0 ||
			got.FailingSince != nil || got.LastError != "" || got.DisabledBy != "" {
			t.Errorf("the edit wrote what the server owns: registered %v by %q, errors %d since %v, last %q, disabled by %q",
				got.Registered, got.RegisteredBy, got.ErrorCount, got.FailingSince, got.LastError, got.DisabledBy)
		}
	})
}

// plan stores an event and n deliveries of h for it, created at created.
func plan(t *testing.T, st *store.Store, h *models.Hook, id string, created time.Time, n int) []models.Delivery {
	t.Helper()
	e := &models.Event{ID: id, Tenant: h.Tenant, Type: "Contact.Update", OccurredAt: created, ReceivedAt: created, Body: []byte(`{}`), WorkflowID: "w"}
	if _, err := st.CreateEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	ds := make([]models.Delivery, n)
	for i := range ds {
		ds[i] = models.Delivery{Tenant: h.Tenant, EventPK: e.PK, EventID: e.ID, HookID: h.ID, Seq: i, Count: n,
			Status: models.DeliveryPending, WorkflowID: "w", CreatedAt: created, UpdatedAt: created}
	}
	if err := st.PlanDeliveries(ctx, ds); err != nil {
		t.Fatal(err)
	}
	ds, err := st.HookDeliveries(ctx, e.PK, h.ID, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestReopenDeliveryOncePerGeneration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := hook("t1", "*")
		if err := st.CreateHook(ctx, h); err != nil {
			t.Fatal(err)
		}
		d := plan(t, st, h, "e1", time.Now().UTC(), 1)[0]
		if ok, _ := st.ReopenDelivery(ctx, d.ID, 1, "redeliver-1", time.Now()); ok {
			t.Fatal("a pending delivery was reopened")
		}
		failed := store.AttemptOutcome{Attempt: models.Attempt{StartedAt: time.Now(), StatusCode: 500, Error: "500"}, Status: models.DeliveryFailed}
		if _, err := st.RecordAttempt(ctx, d.ID, failed); err != nil {
			t.Fatal(err)
		}
		for i, try := range []struct {
			gen  int
			wf   string
			want bool
		}{{1, "redeliver-1", true}, {1, "redeliver-1", true}, {1, "someone-else", false}, {2, "redeliver-2", false}} {
			if ok, err := st.ReopenDelivery(ctx, d.ID, try.gen, try.wf, time.Now()); ok != try.want || err != nil {
				t.Errorf("try %d: ReopenDelivery(gen %d, %s) = %v, %v; want %v", i, try.gen, try.wf, ok, err, try.want)
			}
		}
		got, _ := st.Delivery(ctx, "", d.ID)
		if got.Status != models.DeliveryPending || got.Redeliveries != 1 || got.WorkflowID != "redeliver-1" || got.CompletedAt != nil {
			t.Errorf("reopened delivery = %+v", got)
		}
		// Attempt numbers go on after a redelivery.
		ok := store.AttemptOutcome{Attempt: models.Attempt{StartedAt: time.Now(), StatusCode: 200}, Status: models.DeliverySucceeded}
		if got, err := st.RecordAttempt(ctx, d.ID, ok); err != nil || got.Attempts != 2 {
			t.Errorf("attempt after reopen = %+v, %v; want number 2", got, err)
		}
	})
}

func TestReopenFailedPagesThroughAHooksFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h, other := hook("t1", "*"), hook("t1", "*")
		for _, x := range []*models.Hook{h, other} {
			if err := st.CreateHook(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		since := time.Now().UTC().Add(-time.Hour)
		old := plan(t, st, h, "old", since.Add(-time.Minute), 1)
		ds := plan(t, st, h, "new", since.Add(time.Minute), 5)
		others := plan(t, st, other, "other", since.Add(time.Minute), 1)
		end := map[int64]models.DeliveryStatus{old[0].ID: models.DeliveryFailed, ds[0].ID: models.DeliveryFailed, ds[1].ID: models.DeliverySucceeded,
			ds[2].ID: models.DeliverySkipped, ds[4].ID: models.DeliveryFailed, others[0].ID: models.DeliveryFailed} // ds[3] stays pending
		for id, status := range end {
			ended := time.Now()
			if id == old[0].ID {
				ended = since.Add(-30 * time.Second) // created and ended before since
			}
			if err := st.FinishDelivery(ctx, id, status, "x", ended); err != nil {
				t.Fatal(err)
			}
		}
		q := store.RecoverQuery{HookID: h.ID, Since: since, Limit: 2, WorkflowID: "recover"}
		first, err := st.ReopenFailed(ctx, q, time.Now())
		if err != nil || !equal(first, []int64{ds[0].ID, ds[2].ID}) {
			t.Fatalf("first page = %v, %v; want %v", first, err, []int64{ds[0].ID, ds[2].ID})
		}
		if again, _ := st.ReopenFailed(ctx, q, time.Now()); !equal(again, first) {
			t.Errorf("retried page = %v, want %v again", again, first)
		}
		q.AfterID = first[len(first)-1]
		if next, _ := st.ReopenFailed(ctx, q, time.Now()); !equal(next, []int64{ds[4].ID}) {
			t.Errorf("second page = %v, want %v", next, []int64{ds[4].ID})
		}
		for _, id := range []int64{ds[0].ID, ds[2].ID, ds[4].ID} {
			if d, _ := st.Delivery(ctx, "", id); d.Status != models.DeliveryPending || d.Redeliveries != 1 || d.WorkflowID != "recover" {
				t.Errorf("delivery %d after recover = %s, redeliveries %d, workflow %s", id, d.Status, d.Redeliveries, d.WorkflowID)
			}
		}
		if d, _ := st.Delivery(ctx, "", old[0].ID); d.Status != models.DeliveryFailed {
			t.Errorf("a delivery from before since was reopened")
		}
	})
}

// Recover hands out a hook's deliveries in the order their events were
// accepted (received time, then pk), chunks in seq order, whatever order
// they were planned in, and pages on in that order.
func TestReopenFailedFollowsTheEventsOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := hook("t1", "*")
		if err := st.CreateHook(ctx, h); err != nil {
			t.Fatal(err)
		}
		at := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
		// Accepted second but planned (and numbered) first, as concurrent
		// workflows may do; then the first event, with two chunks.
		second := plan(t, st, h, "second", at.Add(time.Second), 1)
		first := plan(t, st, h, "first", at, 2)
		third := plan(t, st, h, "third", at.Add(time.Second), 1) // same time as second: pk decides
		for _, d := range [][]models.Delivery{first, second, third} {
			for _, x := range d {
				if err := st.FinishDelivery(ctx, x.ID, models.DeliverySkipped, "x", time.Now()); err != nil {
					t.Fatal(err)
				}
			}
		}
		want := []int64{first[0].ID, first[1].ID, second[0].ID, third[0].ID}
		q := store.RecoverQuery{HookID: h.ID, Since: at.Add(-time.Minute), Limit: 3, WorkflowID: "recover"}
		page1, err := st.ReopenFailed(ctx, q, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		q.AfterID = page1[len(page1)-1]
		page2, err := st.ReopenFailed(ctx, q, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if got := append(page1, page2...); !equal(got, want) {
			t.Errorf("recover order = %v, want %v (accepted order)", got, want)
		}
	})
}

// Recover from the hook's failing_since (what the mail offers) takes the
// delivery that started failing then, although it was created before; a
// delivery that had already ended by then stays as it is.
func TestReopenFailedTakesWhatEndedSince(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := hook("t1", "*")
		if err := st.CreateHook(ctx, h); err != nil {
			t.Fatal(err)
		}
		created := time.Now().UTC()
		endedBefore := plan(t, st, h, "ended-before", created, 1)
		startedFailing := plan(t, st, h, "started-failing", created, 1)
		since := created.Add(time.Minute) // after both were created
		if err := st.FinishDelivery(ctx, endedBefore[0].ID, models.DeliveryFailed, "x", since.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := st.FinishDelivery(ctx, startedFailing[0].ID, models.DeliveryFailed, "x", since.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		got, err := st.ReopenFailed(ctx, store.RecoverQuery{HookID: h.ID, Since: since, Limit: 10, WorkflowID: "recover"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{startedFailing[0].ID}; !equal(got, want) {
			t.Errorf("reopened %v, want %v (the delivery that ended failed since)", got, want)
		}
	})
}

// The planner's match takes TooManyErrors hooks too (their events become
// skipped deliveries), never Stopped ones; the dispatcher's takes Active only.
func TestMatchHooksToPlanTakesTooManyErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		byState := map[models.HookState]int64{}
		for _, s := range []models.HookState{models.StateActive, models.StateTooManyErrors, models.StateStopped} {
			h := hook("t1", "contact.*")
			if err := st.CreateHook(ctx, h); err != nil {
				t.Fatal(err)
			}
			if _, err := st.SetHookState(ctx, h.ID, "", s, time.Now()); err != nil {
				t.Fatal(err)
			}
			byState[s] = h.ID
		}
		ev := models.Pattern{Entity: "contact", Action: "update"}
		matched := func(hs []models.Hook, err error) []int64 {
			if err != nil {
				t.Fatal(err)
			}
			return ids(hs)
		}
		if got, want := matched(st.MatchHooksToPlan(ctx, "t1", ev, nil, time.Now(), 0, 10)), []int64{byState[models.StateActive], byState[models.StateTooManyErrors]}; !equal(got, want) {
			t.Errorf("MatchHooksToPlan = %v, want %v (Active and TooManyErrors)", got, want)
		}
		if got, want := matched(st.MatchHooks(ctx, "t1", ev, nil, time.Now(), 0, 10)), []int64{byState[models.StateActive]}; !equal(got, want) {
			t.Errorf("MatchHooks = %v, want %v (Active only)", got, want)
		}
	})
}

func TestNotificationsAreStoredOncePerKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		n := func(tenant, key string) *models.Notification {
			return &models.Notification{Tenant: tenant, HookID: 1, Kind: models.KindHookDisabled, Key: key, Recipient: "ops@example.com",
				Subject: "s", Body: "b", CreatedAt: time.Now().UTC()}
		}
		first, err := st.CreateNotification(ctx, n("t1", "k1"))
		if err != nil {
			t.Fatal(err)
		}
		sent := time.Now().UTC()
		if err := st.MarkNotification(ctx, first.ID, &sent, ""); err != nil {
			t.Fatal(err)
		}
		again, err := st.CreateNotification(ctx, n("t1", "k1"))
		if err != nil || again.ID != first.ID || again.SentAt == nil {
			t.Fatalf("second CreateNotification = %+v, %v; want the first, sent", again, err)
		}
		if _, err := st.CreateNotification(ctx, n("t2", "k2")); err != nil {
			t.Fatal(err)
		}
		list, _ := st.Notifications(ctx, store.NotificationQuery{Tenant: "t1", Limit: 10})
		if len(list) != 1 || list[0].ID != first.ID {
			t.Errorf("t1's notifications = %+v", list)
		}
		all, _ := st.Notifications(ctx, store.NotificationQuery{Limit: 10})
		if len(all) != 2 || all[0].ID < all[1].ID {
			t.Errorf("all notifications = %+v, want 2 newest first", all)
		}
	})
}

// A state-change event about hook 42 reaches hooks subscribed to
// webhook.errors, webhook42.errors and webhook{42}.errors, not webhook7.errors.
func TestStateEventAliasesMatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var want []int64
		for _, p := range []string{"webhook.errors", "webhook42.errors", "webhook{42}.errors", "webhook7.errors", "webhook.started"} {
			h := hook("t1", p)
			if err := st.CreateHook(ctx, h); err != nil {
				t.Fatal(err)
			}
			if len(want) < 3 {
				want = append(want, h.ID)
			}
		}
		et, _ := models.ParseEventType(models.EventHookErrors)
		got, err := st.MatchHooks(ctx, "t1", et, models.StateEventEntities(42), time.Now(), 0, 10)
		if err != nil || !equal(ids(got), want) {
			t.Errorf("MatchHooks = %v, %v; want %v", ids(got), err, want)
		}
	})
}
