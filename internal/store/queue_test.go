package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
)

func event(tenant, id string, at time.Time) *models.Event {
	return &models.Event{ID: id, Tenant: tenant, Type: "Contact.Update", OccurredAt: at, ReceivedAt: at,
		RecordCount: 1, Body: []byte(`{"records":[{"id":1}]}`), WorkflowID: "event/" + tenant + "/" + id}
}

func admit(t *testing.T, st *store.Store, es ...*models.Event) []bool {
	t.Helper()
	created, err := st.AdmitEvents(ctx, es)
	if err != nil {
		t.Fatalf("AdmitEvents: %v", err)
	}
	return created
}

func claimIDs(t *testing.T, st *store.Store, limit int, now time.Time) []string {
	t.Helper()
	evs, err := st.ClaimEvents(ctx, limit, now, now.Add(time.Minute))
	if err != nil {
		t.Fatalf("ClaimEvents: %v", err)
	}
	out := []string{}
	for _, e := range evs {
		if e.Body != nil {
			t.Errorf("claimed event %s carries its body", e.ID)
		}
		out = append(out, e.Tenant+"/"+e.ID)
	}
	return out
}

// An admitted event waits in the queue until a dispatcher claims it and
// dequeues it; the same id admitted again is neither stored nor queued twice.
func TestAdmittedEventsAreQueuedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Now().UTC()
		e := event("t1", "e1", now)
		if c := admit(t, st, e); !c[0] || e.PK == 0 {
			t.Fatalf("first admission created %v, pk %d", c, e.PK)
		}
		again := event("t1", "e1", now)
		again.Type = "Other.Thing"
		if c := admit(t, st, again, event("t1", "e2", now)); c[0] || !c[1] || again.PK != e.PK || again.Type != "Contact.Update" {
			t.Fatalf("repeated admission = %v, %+v; want the stored event, not created", c, again)
		}
		if queued, _ := st.EventQueued(ctx, e.PK); !queued {
			t.Error("an admitted event is not queued")
		}
		n, oldest, err := st.QueueStats(ctx)
		if err != nil || n != 2 || oldest.Sub(now).Abs() > time.Millisecond {
			t.Errorf("QueueStats = %d, %v, %v; want 2 queued since %v", n, oldest, err, now)
		}
		if got := claimIDs(t, st, 10, now); fmt.Sprint(got) != "[t1/e1 t1/e2]" {
			t.Fatalf("claimed %v", got)
		}
		if got := claimIDs(t, st, 10, now); len(got) != 0 {
			t.Errorf("claimed events were claimed again while leased: %v", got)
		}
		if err := st.DequeueEvents(ctx, []int64{e.PK}); err != nil {
			t.Fatal(err)
		}
		if queued, _ := st.EventQueued(ctx, e.PK); queued {
			t.Error("a dequeued event is still queued")
		}
		// A lease that ran out (a dispatcher died) makes the event claimable again.
		if got := claimIDs(t, st, 10, now.Add(2*time.Minute)); fmt.Sprint(got) != "[t1/e2]" {
			t.Errorf("after the lease ran out claimed %v, want t1/e2", got)
		}
		if err := st.ReleaseEvents(ctx, []int64{again.PK + 1}, now); err != nil {
			t.Fatal(err)
		}
	})
}

// A tenant's backlog does not hold back another tenant's event: the newcomer
// takes the turn at the head of the queue.
func TestQueueIsFairAcrossTenants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Now().UTC()
		var bulk []*models.Event
		for i := range 50 {
			bulk = append(bulk, event("bulk", fmt.Sprintf("b%02d", i), now))
		}
		admit(t, st, bulk...)
		if got := claimIDs(t, st, 3, now); fmt.Sprint(got) != "[bulk/b00 bulk/b01 bulk/b02]" {
			t.Fatalf("claimed %v", got)
		}
		admit(t, st, event("small", "s1", now), event("small", "s2", now))
		admit(t, st, event("bulk", "b50", now))
		got := claimIDs(t, st, 5, now)
		if fmt.Sprint(got) != "[bulk/b03 small/s1 bulk/b04 small/s2 bulk/b05]" {
			t.Errorf("claimed %v; want the small tenant's events interleaved at the head", got)
		}
	})
}

// Dispatchers claiming at once never get the same event.
func TestConcurrentClaimsDoNotOverlap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Now().UTC()
		var es []*models.Event
		for i := range 200 {
			es = append(es, event(fmt.Sprintf("t%d", i%3), fmt.Sprintf("e%03d", i), now))
		}
		admit(t, st, es...)
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					evs, err := st.ClaimEvents(ctx, 7, now, now.Add(time.Minute))
					if err != nil {
						t.Error(err)
						return
					}
					if len(evs) == 0 {
						return
					}
					mu.Lock()
					for _, e := range evs {
						seen[e.PK]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != len(es) {
			t.Errorf("claimed %d distinct events of %d", len(seen), len(es))
		}
		for pk, n := range seen {
			if n > 1 {
				t.Errorf("event %d claimed %d times", pk, n)
			}
		}
	})
}

// An admission after the store closed is refused as unavailable (a 503),
// never left waiting in the committer's queue.
func TestAdmitAfterCloseIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		admit(t, st, event("t1", "before", time.Now()))
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		for i := range 50 { // the refusal must not depend on a select's choice
			done := make(chan error, 1)
			go func() {
				_, err := st.AdmitEvents(ctx, []*models.Event{event("t1", fmt.Sprint("after-", i), time.Now())})
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, store.ErrUnavailable) {
					t.Fatalf("admit %d after close = %v, want ErrUnavailable", i, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("admit %d after close still waits after 10 s", i)
			}
		}
	})
}
