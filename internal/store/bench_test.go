package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
)

// BenchmarkMatchHooks finds the 5 hooks an event reaches among 10 and among
// 10,000 hooks of other event types: through the pattern index, the cost
// stays the same whatever the number of hooks.
func BenchmarkMatchHooks(b *testing.B) {
	for i, backend := range storetest.Backends(b) {
		for _, total := range []int{10, 10000} {
			b.Run(fmt.Sprintf("%s/hooks=%d", backend.Name, total), func(b *testing.B) {
				st := storetest.Open(b, storetest.Backends(b)[i]) // a fresh database each
				for i := 0; i < total; i++ {
					event := fmt.Sprintf("Other%d.Event", i)
					if i < 5 {
						event = "Contact.Update"
					}
					if err := st.CreateHook(ctx, hook("t1", event)); err != nil {
						b.Fatal(err)
					}
				}
				ev, _ := models.ParseEventType("Contact.Update")
				b.ResetTimer()
				for b.Loop() {
					hs, err := st.MatchHooks(ctx, "t1", ev, nil, time.Now(), 0, 100)
					if err != nil || len(hs) != 5 {
						b.Fatalf("MatchHooks = %d hooks, %v", len(hs), err)
					}
				}
			})
		}
	}
}

// BenchmarkDeleteExpiredPage measures a retention pass over 2,000 expired
// events of 2 KiB, each with 2 deliveries of 3 attempts: the time of one
// page of 500 rows (how long a delivery writing meanwhile may wait) and of
// the whole pass (docs/operations.md#retention).
func BenchmarkDeleteExpiredPage(b *testing.B) {
	const events, page = 2000, 500
	for i, backend := range storetest.Backends(b) {
		b.Run(backend.Name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				st := storetest.Open(b, storetest.Backends(b)[i])
				old := time.Now().UTC().Add(-60 * 24 * time.Hour)
				body := []byte(`{"records":[{"x":"` + strings.Repeat("x", 2048) + `"}]}`)
				for n := 0; n < events; n++ {
					e := &models.Event{ID: fmt.Sprint(n), Tenant: "t1", Type: "Contact.Update", OccurredAt: old, ReceivedAt: old, Body: body, WorkflowID: "w"}
					if _, err := st.CreateEvent(ctx, e); err != nil {
						b.Fatal(err)
					}
					ds := []models.Delivery{{Tenant: "t1", EventPK: e.PK, EventID: e.ID, HookID: 1, Seq: 0, Count: 2, Status: models.DeliverySucceeded, CreatedAt: old, UpdatedAt: old},
						{Tenant: "t1", EventPK: e.PK, EventID: e.ID, HookID: 2, Seq: 0, Count: 2, Status: models.DeliverySucceeded, CreatedAt: old, UpdatedAt: old}}
					if err := st.PlanDeliveries(ctx, ds); err != nil {
						b.Fatal(err)
					}
					got, _ := st.HookDeliveries(ctx, e.PK, 1, 0, 1)
					more, _ := st.HookDeliveries(ctx, e.PK, 2, 0, 1)
					for _, d := range append(got, more...) {
						for range 3 {
							o := store.AttemptOutcome{Attempt: models.Attempt{StartedAt: old, StatusCode: 200, ResponseExcerpt: strings.Repeat("r", 1024)}, Status: models.DeliverySucceeded}
							if _, err := st.RecordAttempt(ctx, d.ID, o); err != nil {
								b.Fatal(err)
							}
						}
					}
				}
				b.StartTimer()
				start, slowest, pages := time.Now(), time.Duration(0), 0
				var total store.Pruned
				for _, kind := range store.ExpiredKinds {
					for {
						t0 := time.Now()
						p, err := st.DeleteExpiredPage(ctx, kind, time.Now().Add(-30*24*time.Hour), page)
						if err != nil {
							b.Fatal(err)
						}
						slowest = max(slowest, time.Since(t0))
						pages++
						if p.Total() == 0 {
							break
						}
						total.Add(p)
					}
				}
				if total.Events != events || total.Deliveries != 2*events {
					b.Fatalf("deleted %+v", total)
				}
				b.ReportMetric(float64(slowest.Microseconds())/1000, "ms/slowest-page")
				b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/pass")
				b.ReportMetric(float64(pages), "pages")
			}
		})
	}
}
