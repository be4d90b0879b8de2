package store_test

import (
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
)

// A retention pass at a fixed clock deletes exactly what is older than the
// cutoff — events with their deliveries and attempts, notifications, bins
// with their requests — and keeps what is younger, what is exactly at the
// cutoff, and old events still in flight (queued, or a delivery pending).
// Pages of one row make it page through every kind.
func TestDeleteExpiredDeletesExactlyWhatIsOlder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) // the injected clock
		cutoff := now.Add(-30 * 24 * time.Hour)
		h := hook("t1", "*")
		if err := st.CreateHook(ctx, h); err != nil {
			t.Fatal(err)
		}
		event := func(id string, at time.Time, status ...models.DeliveryStatus) []models.Delivery {
			ds := plan(t, st, h, id, at, len(status))
			for i, d := range ds {
				o := store.AttemptOutcome{Attempt: models.Attempt{StartedAt: at, StatusCode: 500}, Status: status[i]}
				if status[i] == models.DeliverySkipped {
					if err := st.FinishDelivery(ctx, d.ID, status[i], "off", at); err != nil {
						t.Fatal(err)
					}
					continue
				}
				for range 2 { // two attempts each: attempts go with their delivery
					if _, err := st.RecordAttempt(ctx, d.ID, o); err != nil {
						t.Fatal(err)
					}
				}
			}
			return ds
		}
		ended := []models.DeliveryStatus{models.DeliverySucceeded, models.DeliveryFailed, models.DeliverySkipped}
		old := event("old", cutoff.Add(-time.Second), ended...)
		older := event("older", cutoff.Add(-90*24*time.Hour), models.DeliverySucceeded)
		event("bare", cutoff.Add(-time.Hour)) // matched no hook: no deliveries
		pending := event("pending", cutoff.Add(-time.Hour), models.DeliverySucceeded, models.DeliveryPending)
		atCutoff := event("at-cutoff", cutoff, models.DeliveryFailed)
		young := event("young", cutoff.Add(time.Second), models.DeliveryFailed)
		queued := &models.Event{ID: "queued", Tenant: "t1", Type: "Contact.Update", OccurredAt: cutoff.Add(-time.Hour),
			ReceivedAt: cutoff.Add(-time.Hour), Body: []byte(`{}`), WorkflowID: "w"}
		if _, err := st.AdmitEvents(ctx, []*models.Event{queued}); err != nil {
			t.Fatal(err)
		}

		notify := func(key string, at time.Time) {
			_, err := st.CreateNotification(ctx, &models.Notification{Tenant: "t1", HookID: h.ID, Kind: models.KindHookDisabled,
				Key: key, Subject: "s", Body: "b", CreatedAt: at})
			if err != nil {
				t.Fatal(err)
			}
		}
		notify("old", cutoff.Add(-time.Second))
		notify("at-cutoff", cutoff)
		notify("young", cutoff.Add(time.Hour))

		bin := func(at time.Time, requests int) *models.Bin {
			b := &models.Bin{Tenant: "t1", CreatedAt: at, ExpiresAt: at.Add(models.BinTTL)}
			if err := st.CreateBin(ctx, b); err != nil {
				t.Fatal(err)
			}
			for range requests {
				r := &models.BinRequest{BinID: b.ID, ReceivedAt: at, Method: "POST", Path: "/bins/" + b.ID, Body: []byte("x")}
				if err := st.CaptureRequest(ctx, r, 1000); err != nil {
					t.Fatal(err)
				}
			}
			return b
		}
		oldBin, youngBin := bin(cutoff.Add(-time.Second), 3), bin(cutoff.Add(time.Second), 2)

		var total store.Pruned
		pages := 0
		for _, kind := range store.ExpiredKinds {
			for {
				p, err := st.DeleteExpiredPage(ctx, kind, cutoff, 1)
				if err != nil {
					t.Fatal(err)
				}
				if p.Total() > 1 {
					t.Fatalf("a page of 1 deleted %+v", p)
				}
				if p.Total() == 0 {
					break
				}
				total.Add(p)
				pages++
			}
		}
		want := store.Pruned{Events: 3, Deliveries: 4, Notifications: 1, Bins: 1, BinRequests: 3}
		if total != want {
			t.Errorf("deleted %+v, want %+v", total, want)
		}

		for _, e := range []struct {
			id   string
			keep bool
		}{{"old", false}, {"older", false}, {"bare", false}, {"pending", true}, {"at-cutoff", true}, {"young", true}, {"queued", true}} {
			_, err := st.Event(ctx, "t1", e.id)
			if gone := err != nil; gone == e.keep {
				t.Errorf("event %s: kept %v, want %v (%v)", e.id, !gone, e.keep, err)
			}
		}
		for _, d := range append(append([]models.Delivery{}, old...), older...) {
			if _, err := st.Delivery(ctx, "", d.ID); err == nil {
				t.Errorf("delivery %d of an expired event was kept", d.ID)
			}
			if as, _ := st.Attempts(ctx, d.ID); len(as) != 0 {
				t.Errorf("delivery %d's %d attempts were kept", d.ID, len(as))
			}
		}
		for _, d := range append(append(append([]models.Delivery{}, pending...), atCutoff...), young...) {
			if _, err := st.Delivery(ctx, "", d.ID); err != nil {
				t.Errorf("delivery %d was deleted: %v", d.ID, err)
			}
		}
		if as, _ := st.Attempts(ctx, young[0].ID); len(as) != 2 {
			t.Errorf("a kept delivery has %d attempts, want 2", len(as))
		}
		if queued, _ := st.EventQueued(ctx, queued.PK); !queued {
			t.Error("the queued event left the queue")
		}

		ns, err := st.Notifications(ctx, store.NotificationQuery{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, n := range ns {
			keys = append(keys, n.Key)
		}
		if len(keys) != 2 || keys[0] != "young" || keys[1] != "at-cutoff" {
			t.Errorf("notifications kept = %v, want [young at-cutoff]", keys)
		}

		if n, _ := st.CountBinRequests(ctx, oldBin.ID); n != 0 {
			t.Errorf("the old bin kept %d requests", n)
		}
		if n, _ := st.CountBinRequests(ctx, youngBin.ID); n != 2 {
			t.Errorf("the young bin has %d requests, want 2", n)
		}
		if _, err := st.Bin(ctx, "", youngBin.ID, youngBin.CreatedAt); err != nil {
			t.Errorf("the young bin was deleted: %v", err)
		}
		if _, err := st.Bin(ctx, "", oldBin.ID, oldBin.CreatedAt); err == nil {
			t.Error("the old bin was kept")
		}
		t.Logf("%d pages of 1 row", pages)
	})
}
