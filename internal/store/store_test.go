package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
)

var ctx = context.Background()

func hook(tenant string, events ...string) *models.Hook {
	now := time.Now().UTC().Add(-time.Minute)
	return &models.Hook{
		Tenant: tenant, HookSpec: models.HookSpec{Name: "h", Events: models.JSON[[]string]{V: events}, TargetURL: "http://127.0.0.1:1/",
			Type: models.HookTypeWebhook, Format: "standard"},
		Secret: "whsec_c2VjcmV0c2VjcmV0", State: models.StateActive, Registered: now, Updated: now,
	}
}

func ids(hs []models.Hook) []int64 {
	out := []int64{}
	for _, h := range hs {
		out = append(out, h.ID)
	}
	return out
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHookRoundTripAndMatching(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		exact := hook("t1", "Contact.Created")
		entity := hook("t1", "contact.*")
		all := hook("t1", "*")
		other := hook("t1", "Account.Update")
		otherTenant := hook("t2", "*")
		stopped := hook("t1", "*")
		stopped.State = models.StateStopped
		for _, h := range []*models.Hook{exact, entity, all, other, otherTenant, stopped} {
			if err := st.CreateHook(ctx, h); err != nil {
				t.Fatalf("CreateHook: %v", err)
			}
		}
		got, err := st.Hook(ctx, "t1", exact.ID)
		if err != nil || got.Events.V[0] != "Contact.Created" || got.Secret != exact.Secret {
			t.Fatalf("Hook() = %+v, %v", got, err)
		}
		if _, err := st.Hook(ctx, "t2", exact.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Hook(other tenant) err = %v, want ErrNotFound", err)
		}
		ev, _ := models.ParseEventType("CONTACT.created")
		m, err := st.MatchHooks(ctx, "t1", ev, nil, time.Now(), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{exact.ID, entity.ID, all.ID}; !equal(ids(m), want) {
			t.Errorf("MatchHooks = %v, want %v", ids(m), want)
		}
		// Pages resume after a hook id.
		m, _ = st.MatchHooks(ctx, "t1", ev, nil, time.Now(), entity.ID, 100)
		if want := []int64{all.ID}; !equal(ids(m), want) {
			t.Errorf("MatchHooks(after) = %v, want %v", ids(m), want)
		}
		// Hooks registered after the event was received do not match it.
		m, _ = st.MatchHooks(ctx, "t1", ev, nil, time.Now().Add(-time.Hour), 0, 100)
		if len(m) != 0 {
			t.Errorf("MatchHooks(before registration) = %v, want none", ids(m))
		}
		// Updating patterns re-indexes them.
		exact.Events.V = []string{"Account.*"}
		if err := st.UpdateHook(ctx, exact, exact.State); err != nil {
			t.Fatal(err)
		}
		m, _ = st.MatchHooks(ctx, "t1", ev, nil, time.Now(), 0, 100)
		if want := []int64{entity.ID, all.ID}; !equal(ids(m), want) {
			t.Errorf("MatchHooks after update = %v, want %v", ids(m), want)
		}
		if err := st.DeleteHook(ctx, "t1", all.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteHook(ctx, "t1", all.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second DeleteHook err = %v, want ErrNotFound", err)
		}
		m, _ = st.MatchHooks(ctx, "t1", ev, nil, time.Now(), 0, 100)
		if want := []int64{entity.ID}; !equal(ids(m), want) {
			t.Errorf("MatchHooks after delete = %v, want %v", ids(m), want)
		}
		page, _ := st.Hooks(ctx, store.HookQuery{Tenant: "t1", Limit: 2})
		if len(page) != 2 || page[0].ID != exact.ID {
			t.Errorf("Hooks page = %v", ids(page))
		}
	})
}

func TestEventIsStoredOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Now().UTC()
		e := &models.Event{ID: "e1", Tenant: "t1", Type: "Contact.Update", OccurredAt: now, ReceivedAt: now,
			RecordCount: 1, Body: []byte(`{"records":[{"id":1}]}`), WorkflowID: "event/t1/e1"}
		created, err := st.CreateEvent(ctx, e)
		if err != nil || !created || e.PK == 0 {
			t.Fatalf("CreateEvent = %v, %v (pk %d)", created, err, e.PK)
		}
		again := &models.Event{ID: "e1", Tenant: "t1", Type: "Other.Thing", OccurredAt: now, ReceivedAt: now,
			Body: []byte(`{"records":[]}`), WorkflowID: "x"}
		created, err = st.CreateEvent(ctx, again)
		if err != nil || created {
			t.Fatalf("second CreateEvent = %v, %v; want not created", created, err)
		}
		if again.PK != e.PK || again.Type != "Contact.Update" {
			t.Errorf("second CreateEvent returned %+v, want the first event", again)
		}
		// The same id in another tenant is another event.
		e2 := &models.Event{ID: "e1", Tenant: "t2", Type: "Contact.Update", OccurredAt: now, ReceivedAt: now,
			Body: []byte(`{}`), WorkflowID: "event/t2/e1"}
		if created, err := st.CreateEvent(ctx, e2); err != nil || !created {
			t.Fatalf("CreateEvent other tenant = %v, %v", created, err)
		}
		body, err := e.DecodeBody()
		if err != nil || len(body.Records) != 1 || body.Records[0]["id"].(interface{ String() string }).String() != "1" {
			t.Errorf("DecodeBody = %+v, %v", body, err)
		}
	})
}

func TestDeliveriesAttemptsAndHookState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := hook("t1", "*")
		if err := st.CreateHook(ctx, h); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		e := &models.Event{ID: "e1", Tenant: "t1", Type: "Contact.Update", OccurredAt: now, ReceivedAt: now, Body: []byte(`{}`), WorkflowID: "w"}
		if _, err := st.CreateEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		plan := func() []models.Delivery {
			ds := make([]models.Delivery, 3)
			for i := range ds {
				ds[i] = models.Delivery{Tenant: "t1", EventPK: e.PK, EventID: e.ID, HookID: h.ID, Seq: i, Count: 3,
					Records: models.JSON[[]int]{V: []int{i}}, Status: models.DeliveryPending, CreatedAt: now, UpdatedAt: now}
			}
			return ds
		}
		if err := st.PlanDeliveries(ctx, plan()); err != nil {
			t.Fatal(err)
		}
		if err := st.PlanDeliveries(ctx, plan()); err != nil { // idempotent
			t.Fatal(err)
		}
		ds, err := st.HookDeliveries(ctx, e.PK, h.ID, 0, 10)
		if err != nil || len(ds) != 3 {
			t.Fatalf("HookDeliveries = %d, %v; want 3", len(ds), err)
		}
		page, _ := st.HookDeliveries(ctx, e.PK, h.ID, 2, 10)
		if len(page) != 1 || page[0].Seq != 2 {
			t.Fatalf("HookDeliveries(offset 2) = %+v", page)
		}
		d := ds[0]
		fail := store.AttemptOutcome{Attempt: models.Attempt{StartedAt: now, StatusCode: 503, Error: "target answered 503"}, Status: models.DeliveryPending}
		if _, err := st.RecordAttempt(ctx, d.ID, fail); err != nil {
			t.Fatal(err)
		}
		ok := store.AttemptOutcome{Attempt: models.Attempt{StartedAt: now.Add(time.Second), StatusCode: 200, LatencyMS: 12}, Status: models.DeliverySucceeded}
		got, err := st.RecordAttempt(ctx, d.ID, ok)
		if err != nil || got.Attempts != 2 || got.Status != models.DeliverySucceeded || got.CompletedAt == nil {
			t.Fatalf("RecordAttempt = %+v, %v", got, err)
		}
		as, _ := st.Attempts(ctx, d.ID)
		if len(as) != 2 || as[0].Number != 1 || as[0].StatusCode != 503 || as[1].Number != 2 {
			t.Errorf("Attempts = %+v", as)
		}
		// A failure raises the hook's error count; a success resets it.
		if _, err := st.RecordAttempt(ctx, ds[1].ID, fail); err != nil {
			t.Fatal(err)
		}
		hh, _ := st.Hook(ctx, "", h.ID)
		if hh.ErrorCount != 1 || hh.FailingSince == nil || hh.LastError != "target answered 503" {
			t.Errorf("hook after failure = count %d, since %v, err %q", hh.ErrorCount, hh.FailingSince, hh.LastError)
		}
		// Finishing ends only pending deliveries.
		if err := st.FinishDelivery(ctx, d.ID, models.DeliveryFailed, "x", now); err != nil {
			t.Fatal(err)
		}
		if dd, _ := st.Delivery(ctx, "t1", d.ID); dd.Status != models.DeliverySucceeded {
			t.Errorf("FinishDelivery changed a succeeded delivery to %s", dd.Status)
		}
		list, _ := st.Deliveries(ctx, store.DeliveryQuery{Tenant: "t1", HookID: h.ID, Status: models.DeliveryPending, Limit: 10})
		if len(list) != 2 || list[0].ID < list[1].ID {
			t.Errorf("Deliveries(pending) = %+v, want 2 newest first", list)
		}
		if _, err := st.Delivery(ctx, "t2", d.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Delivery(other tenant) err = %v", err)
		}
		if _, err := st.RecordAttempt(ctx, d.ID+1000, ok); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RecordAttempt(no such delivery) err = %v, want ErrNotFound", err)
		}
		if as, _ := st.Attempts(ctx, d.ID+1000); len(as) != 0 {
			t.Errorf("RecordAttempt(no such delivery) stored %d attempts", len(as))
		}
	})
}

// Many deliveries of one hook failing at once turn it off exactly once.
func TestHookStateTransitionHappensOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := hook("t1", "*")
		if err := st.CreateHook(ctx, h); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		transitions := 0
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				changed, err := st.SetHookState(ctx, h.ID, models.StateActive, models.StateTooManyErrors, time.Now())
				if err != nil {
					t.Error(err)
				}
				if changed {
					mu.Lock()
					transitions++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if transitions != 1 {
			t.Fatalf("%d goroutines saw the transition, want exactly 1", transitions)
		}
		changed, err := st.SetHookState(ctx, h.ID, "", models.StateActive, time.Now())
		hh, _ := st.Hook(ctx, "", h.ID)
		if err != nil || !changed || hh.State != models.StateActive || hh.ErrorCount != 0 {
			t.Errorf("reactivate = %v, %v, state %s", changed, err, hh.State)
		}
	})
}

func TestSchemaCheck(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			st, err := store.Open(ctx, b.URL, storetest.Keys)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if err := st.CheckSchema(ctx); !errors.Is(err, store.ErrSchemaBehind) {
				t.Fatalf("CheckSchema on empty database = %v, want ErrSchemaBehind", err)
			}
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if err := st.Migrate(ctx); err != nil { // again: nothing to do
				t.Fatal(err)
			}
			if err := st.CheckSchema(ctx); err != nil {
				t.Fatalf("CheckSchema after Migrate = %v", err)
			}
		})
	}
}

// The same statement written in and out of transactions at once must not
// stall the writer: with GORM's statement cache on a one-connection writer
// (before stmtcache), a caller outside a transaction preparing a statement
// waited for the only connection while the transaction holding it waited
// for that statement — seen in CI as `hookflow dev` accepting nothing for
// two minutes.
func TestWritesInAndOutOfTransactionsDoNotDeadlock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		errs := make(chan error, 400)
		for i := range 400 {
			sql := fmt.Sprintf("UPDATE hooks SET name = name WHERE id = %d", -1-i/2) // each in a pair: one in a transaction, one not
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i%2 == 0 {
					errs <- st.WriteInTx(ctx, sql)
				} else {
					errs <- st.Write(ctx, sql)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("a write failed (a stall ends at the 30 s deadline): %v", err)
			}
		}
	})
}
