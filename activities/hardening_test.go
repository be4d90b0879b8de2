package activities_test

import (
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/metrics"
	"github.com/hookflow/hookflow/internal/payload"
	"github.com/hookflow/hookflow/internal/plan"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
)

// A target URL's path and query can be a credential (a Slack webhook's
// token): the attempt, the error that reaches the Temporal history and the
// logs carry a description, never the URL nor the resolved address.
func TestSendErrorsDoNotCarryTheURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens: the connection is refused
	for _, tt := range []struct {
		name, target string
		allowPrivate bool
	}{
		{"refused connection", "http://" + closed + "/services/T000/B000/TOKEN?token=capability", true},
		{"private address", "http://" + closed + "/services/T000/B000/TOKEN?token=capability", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, _, ids := fixture(t, tt.target, nil)
			_, err := send(t, st, tt.allowPrivate, ids[0])
			if err == nil {
				t.Fatal("SendWebhook succeeded; want an error")
			}
			d, derr := st.Delivery(ctx, "", ids[0])
			if derr != nil {
				t.Fatal(derr)
			}
			for _, text := range []string{err.Error(), d.LastError} {
				if strings.Contains(text, "TOKEN") || strings.Contains(text, "capability") || strings.Contains(text, "127.0.0.1") {
					t.Errorf("error %q shows the URL or the address", text)
				}
			}
		})
	}
}

// The event cache holds decoded events by their size in memory, not by
// their count (issue 14: 40 events of 1 MiB cached by count took the heap
// from 39 MB to 2 GB), and its estimate is not far below what they cost.
func TestEventCacheIsBoundedInBytes(t *testing.T) {
	st := storetest.Open(t, storetest.SQLite(t))
	const max = 8 << 20
	p := activities.NewPlanner(st, plan.Retry{MaxAttempts: 1})
	p.Events = activities.NewEventCache(max)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 40 {
		pk := storeEvent(t, st, i)
		if _, err := p.PlanEvent(ctx, activities.PlanEventInput{EventPK: pk, WorkflowID: "w"}); err != nil {
			t.Fatal(err)
		}
		if held := p.Events.Bytes(); held > max {
			t.Fatalf("after %d events of 1 MiB the cache holds %d bytes; want at most %d", i+1, held, max)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 2*max {
		t.Errorf("the heap grew by %d bytes with a cache of %d; the cache's estimate is too low", grown, max)
	}
}

// storeEvent stores a Contact.Update of one record of 1 MiB: half a long
// note, half 2,000 small fields (decoded maps cost several times their JSON).
func storeEvent(t *testing.T, st *store.Store, i int) int64 {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"records":[{"id":1,"note":"` + strings.Repeat("n", 512<<10) + `"`)
	for f := 0; b.Len() < 1<<20; f++ {
		b.WriteString(`,"field_` + strings.Repeat("x", 200) + string(rune('a'+f%26)) + strconv.Itoa(f) + `":"v"`)
	}
	b.WriteString(`}]}`)
	now := time.Now().UTC()
	e := &models.Event{ID: "big-" + strconv.Itoa(i), Tenant: "t1", Type: "Contact.Update", OccurredAt: now, ReceivedAt: now,
		RecordCount: 1, Body: []byte(b.String()), WorkflowID: "event/t1/big-" + strconv.Itoa(i)}
	if _, err := st.CreateEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	return e.PK
}

// A hook whose like filter needs more than its budget on an event does not
// hold the plan (issue 14: it retried forever): the plan says so, the event
// shows one failed delivery of the hook with the reason, the other hooks
// are planned as usual, and planning again changes nothing.
func TestPlanFailsVisiblyPastTheFilterBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Now().UTC().Add(-time.Minute)
		var patterns []any
		for i := range 40 {
			patterns = append(patterns, "%"+strings.Repeat("a", 250)+string(rune('b'+i%20))+"%")
		}
		hostile := newHook(now, models.Options{Entity: map[string]models.EntityOptions{"Contact": {
			Filter: map[string]any{"name": patterns}, FilterOp: map[string]models.FilterOp{"name": models.OpLike}}}})
		plain := newHook(now, models.Options{})
		for _, h := range []*models.Hook{hostile, plain} {
			if err := h.Validate(payload.Formats); err != nil {
				t.Fatal(err)
			}
			if err := st.CreateHook(ctx, h); err != nil {
				t.Fatal(err)
			}
		}
		var b strings.Builder
		b.WriteString(`{"records":[`)
		for i := range 100 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"id":` + strconv.Itoa(i) + `,"name":"` + strings.Repeat("a", 30000) + `"}`)
		}
		b.WriteString(`]}`)
		e := &models.Event{ID: "e1", Tenant: "t1", Type: "Contact.Update", OccurredAt: now, ReceivedAt: now.Add(time.Second),
			RecordCount: 100, Body: []byte(b.String()), WorkflowID: "event/t1/e1"}
		if _, err := st.CreateEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		p := activities.NewPlanner(st, plan.Retry{MaxAttempts: 1})
		p.Metrics = metrics.New()
		for range 2 { // a retried plan finds what the first one stored
			plan, err := p.PlanEvent(ctx, activities.PlanEventInput{EventPK: e.PK, WorkflowID: "event/t1/e1"})
			if err != nil {
				t.Fatal(err)
			}
			if len(plan.Hooks) != 2 || plan.Hooks[0].Failed == "" || !plan.Hooks[0].Planned || plan.Hooks[1].Failed != "" || len(plan.Hooks[1].Deliveries) != 1 {
				t.Fatalf("plan = %+v; want hook %d failed and hook %d planned", plan, hostile.ID, plain.ID)
			}
		}
		ds, err := st.Deliveries(ctx, store.DeliveryQuery{EventPK: e.PK, HookID: hostile.ID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 || ds[0].Status != models.DeliveryFailed || ds[0].Count != 0 || !strings.Contains(ds[0].LastError, "filter") {
			t.Fatalf("deliveries of the hostile hook = %+v; want one failed, with the reason", ds)
		}
		if got := scrape(p.Metrics); !strings.Contains(got, `hookflow_deliveries_total{outcome="failed"} 1`) {
			t.Errorf("metrics lack the one failed delivery:\n%s", grepLines(got, "hookflow_deliveries_total"))
		}
		// It is never sent, nor recovered: there is no request.
		ids, err := st.ReopenFailed(ctx, store.RecoverQuery{HookID: hostile.ID, Limit: 10, WorkflowID: "r"}, time.Now())
		if err != nil || len(ids) != 0 {
			t.Errorf("ReopenFailed = %v, %v; want nothing", ids, err)
		}
		if res, err := send(t, st, true, ds[0].ID); err != nil || res.Status != models.DeliveryFailed {
			t.Errorf("SendWebhook(failed plan) = %+v, %v; want it left failed", res, err)
		}
	})
}

func newHook(now time.Time, o models.Options) *models.Hook {
	return &models.Hook{Tenant: "t1", HookSpec: models.HookSpec{Name: "crm", Events: models.JSON[[]string]{V: []string{"contact.*"}},
		TargetURL: "http://127.0.0.1:9/hooks", Type: models.HookTypeWebhook, Format: payload.Standard, Options: models.JSON[models.Options]{V: o},
		Headers: models.JSON[map[string]string]{V: map[string]string{}}, Properties: models.JSON[map[string]any]{V: map[string]any{}}},
		Secret: secret, State: models.StateActive, Registered: now, Updated: now}
}
