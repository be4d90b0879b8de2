package store_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	for _, backend := range storetest.Backends(b) {
		for _, total := range []int{10, 10000} {
			b.Run(fmt.Sprintf("%s/hooks=%d", backend.Name, total), func(b *testing.B) {
				st := storetest.Open(b, backend.Fresh(b)) // a fresh database each
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

// BenchmarkAdmitEvents is the trigger's whole path in the database: an
// event and its queue row, committed. "single" admits one event per call
// from 32 concurrent callers, as POST /v1/events does under load; "batch"
// admits 100 events per call, as /v1/events/batch does. Each runs on an
// empty queue and behind a backlog of 10,000 events of the same tenants
// (a bulk import not yet dispatched): admission must not slow down as the
// backlog grows. It reports events per second and, for single, the latency
// of one call (p50, p99).
func BenchmarkAdmitEvents(b *testing.B) {
	for _, backend := range storetest.Backends(b) {
		for _, backlog := range []int{0, 10000} {
			benchmarkAdmitEvents(b, backend, backlog)
		}
	}
}

func benchmarkAdmitEvents(b *testing.B, backend storetest.Backend, backlog int) {
	open := func(b *testing.B, tenants ...string) *store.Store {
		st := storetest.Open(b, backend.Fresh(b))
		now := time.Now()
		for k := 0; k < backlog; k += 500 {
			es := make([]*models.Event, 500)
			for j := range es {
				es[j] = event(tenants[j%len(tenants)], fmt.Sprint("queued", k+j), now)
			}
			if _, err := st.AdmitEvents(ctx, es); err != nil {
				b.Fatal(err)
			}
		}
		return st
	}
	suffix := fmt.Sprintf("/backlog=%d", backlog)
	b.Run(backend.Name+"/single"+suffix, func(b *testing.B) {
		st := open(b, "t0", "t1", "t2", "t3")
		var n atomic.Int64
		var mu sync.Mutex
		var took []time.Duration
		b.SetParallelism(16) // × GOMAXPROCS callers
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var mine []time.Duration
			for pb.Next() {
				k := n.Add(1)
				begun := time.Now()
				tenant := fmt.Sprint("t", k%4)
				if _, err := st.AdmitEvents(ctx, []*models.Event{event(tenant, fmt.Sprint("e", k), begun)}); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(begun))
			}
			mu.Lock()
			took = append(took, mine...)
			mu.Unlock()
		})
		b.StopTimer()
		b.ReportMetric(float64(n.Load())/b.Elapsed().Seconds(), "events/s")
		slices.Sort(took)
		if len(took) > 0 {
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
		}
	})
	b.Run(backend.Name+"/batch-100"+suffix, func(b *testing.B) {
		st := open(b, "bulk")
		k := 0
		now := time.Now()
		for b.Loop() {
			es := make([]*models.Event, 100)
			for j := range es {
				k++
				es[j] = event("bulk", fmt.Sprint("e", k), now)
			}
			if _, err := st.AdmitEvents(ctx, es); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(k)/b.Elapsed().Seconds(), "events/s")
	})
}

// BenchmarkDeleteExpiredPage measures a retention pass over 2,000 expired
// events of 2 KiB, each with 2 deliveries of 3 attempts: the time of one
// page of 500 rows (how long a delivery writing meanwhile may wait) and of
// the whole pass (docs/operations.md#retention).
func BenchmarkDeleteExpiredPage(b *testing.B) {
	const events, page = 2000, 500
	for _, backend := range storetest.Backends(b) {
		b.Run(backend.Name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				st := storetest.Open(b, backend.Fresh(b))
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

// BenchmarkClaimEvents is a dispatcher's claim of 8 queued events out of a
// backlog of 2,000, the size of claim it makes behind a backlog.
func BenchmarkClaimEvents(b *testing.B) {
	for _, backend := range storetest.Backends(b) {
		b.Run(backend.Name, func(b *testing.B) {
			st := storetest.Open(b, backend.Fresh(b))
			now := time.Now().UTC()
			for k := 0; k < 2000; k += 500 {
				es := make([]*models.Event, 500)
				for j := range es {
					es[j] = event("t", fmt.Sprint("queued", k+j), now)
				}
				if _, err := st.AdmitEvents(ctx, es); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				// Each claim's leases have run out by the next: the same
				// head of the queue is claimed again.
				now = now.Add(time.Hour)
				evs, err := st.ClaimEvents(ctx, 8, now, now.Add(time.Minute))
				if err != nil || len(evs) != 8 {
					b.Fatalf("ClaimEvents = %d events, %v", len(evs), err)
				}
			}
		})
	}
}
