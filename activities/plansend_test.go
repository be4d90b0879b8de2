package activities_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/egress"
	"github.com/hookflow/hookflow/internal/plan"
	"github.com/hookflow/hookflow/internal/receiverauth"
	"github.com/hookflow/hookflow/internal/signature"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

// readCounter is the store, counting the reads of single deliveries and hooks.
type readCounter struct {
	*store.Store
	deliveries, hooks atomic.Int32
}

func (r *readCounter) Delivery(ctx context.Context, tenant string, id int64) (*models.Delivery, error) {
	r.deliveries.Add(1)
	return r.Store.Delivery(ctx, tenant, id)
}

func (r *readCounter) Hook(ctx context.Context, tenant string, id int64) (*models.Hook, error) {
	r.hooks.Add(1)
	return r.Store.Hook(ctx, tenant, id)
}

// planAndSend runs PlanAndSend as the workflow does, as a local activity,
// with the worker's wiring: the planner's first attempts go through a real
// Sender to the receiver.
func planAndSend(t *testing.T, st *store.Store, attemptTimeout time.Duration) activities.PlanAndSendResult {
	t.Helper()
	return planAndSendCounted(t, &readCounter{Store: st}, attemptTimeout)
}

func planAndSendCounted(t *testing.T, st *readCounter, attemptTimeout time.Duration) activities.PlanAndSendResult {
	t.Helper()
	ev, err := st.Event(ctx, "t1", "e1")
	if err != nil {
		t.Fatal(err)
	}
	p := activities.NewPlanner(st, plan.Retry{InitialInterval: time.Second, Backoff: 2, MaxInterval: time.Minute, MaxAttempts: 3, AttemptTimeout: attemptTimeout})
	clients := egress.New(egress.Options{AllowPrivate: true, Timeout: 5 * time.Second, ConnectTimeout: time.Second, TLSTimeout: time.Second})
	p.Send = activities.NewSender(st, receiverauth.New(clients), time.Hour)
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(p)
	v, err := env.ExecuteLocalActivity(p.PlanAndSend, activities.PlanEventInput{EventPK: ev.PK, WorkflowID: "w"})
	if err != nil {
		t.Fatalf("PlanAndSend: %v", err)
	}
	var out activities.PlanAndSendResult
	if err := v.Get(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// An event whose plan is one delivery gets its first attempt with the plan,
// and the result says how it went in the terms the workflow retries by:
// the error's type, whether it may be retried, the receiver's Retry-After,
// or a timeout past the hook's attempt timeout. A first plan sends from the
// rows it wrote and read; a retried one, which finds its delivery stored,
// reads it back first, so an attempt an earlier try made is seen.
func TestPlanAndSendMakesTheFirstAttempt(t *testing.T) {
	for _, retried := range []bool{false, true} {
		t.Run(map[bool]string{false: "first plan", true: "retried plan"}[retried], func(t *testing.T) {
			testPlanAndSendMakesTheFirstAttempt(t, retried)
		})
	}
}

func testPlanAndSendMakesTheFirstAttempt(t *testing.T, retried bool) {
	tests := []struct {
		name      string
		answer    func(w http.ResponseWriter)
		wantType  string // "" for success
		wantFinal bool
		wantDelay time.Duration
	}{
		{"200", func(w http.ResponseWriter) {}, "", false, 0},
		{"503 with Retry-After", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusServiceUnavailable)
		}, activities.ErrTypeHTTPStatus, false, 7 * time.Second},
		{"410", func(w http.ResponseWriter) { w.WriteHeader(http.StatusGone) }, activities.ErrTypeGone, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits, signed atomic.Int32
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				// Signed with the hook's secret and carrying its headers,
				// whichever read of the hook the attempt used.
				b, _ := io.ReadAll(r.Body)
				if signature.VerifyStandard(secret, r.Header.Get("Webhook-Id"), r.Header.Get("Webhook-Timestamp"), r.Header.Get("Webhook-Signature"), b, time.Now(), 5*time.Minute) &&
					r.Header.Get("X-Tenant-Token") == "abc" {
					signed.Add(1)
				}
				tt.answer(w)
			}))
			defer rcv.Close()
			var st *store.Store
			if retried { // an earlier try planned the delivery
				st, _, _ = fixture(t, rcv.URL, nil)
			} else {
				st, _, _ = unplannedFixture(t, rcv.URL, nil)
			}
			counted := &readCounter{Store: st}
			out := planAndSendCounted(t, counted, 10*time.Second)
			ds, err := st.Deliveries(ctx, store.DeliveryQuery{Limit: 10})
			if err != nil || len(ds) != 1 {
				t.Fatalf("deliveries = %v, %v; want the event's one", ds, err)
			}
			ids := []int64{ds[0].ID}
			if out.First == nil || out.First.DeliveryID != ids[0] || len(out.Plan.Hooks) != 1 {
				t.Fatalf("PlanAndSend = %+v, want the plan of delivery %d and its first attempt", out, ids[0])
			}
			if hits.Load() != 1 || signed.Load() != 1 {
				t.Errorf("receiver got %d requests, %d signed with the hook's secret and headers; want 1 and 1", hits.Load(), signed.Load())
			}
			if reads := counted.deliveries.Load() + counted.hooks.Load(); (reads == 0) == retried {
				t.Errorf("the attempt read %d deliveries and %d hooks back; want none after a first plan, both after a retried one",
					counted.deliveries.Load(), counted.hooks.Load())
			}
			err = out.First.Err()
			if typ, final, delay := errType(err); typ != tt.wantType || final != tt.wantFinal || delay != tt.wantDelay || (tt.wantType == "") != (err == nil) {
				t.Errorf("first attempt error = %v (type %q, final %v, delay %v), want type %q, final %v, delay %v",
					err, typ, final, delay, tt.wantType, tt.wantFinal, tt.wantDelay)
			}
			d, err := st.Delivery(ctx, "", ids[0])
			if err != nil {
				t.Fatal(err)
			}
			if d.Attempts != 1 || (tt.wantType == "" && d.Status != models.DeliverySucceeded) || (tt.wantType != "" && !d.Status.Open()) {
				t.Errorf("delivery after the first attempt = %s, %d attempts; want 1 attempt, succeeded only on 200", d.Status, d.Attempts)
			}
		})
	}
}

func TestPlanAndSendTimesTheAttemptOutAsALocalActivityWould(t *testing.T) {
	release := make(chan struct{})
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer rcv.Close()
	defer close(release)
	st, _, _ := fixture(t, rcv.URL, nil)
	begun := time.Now()
	out := planAndSend(t, st, 300*time.Millisecond)
	if took := time.Since(begun); took > 3*time.Second {
		t.Errorf("PlanAndSend took %v with an attempt timeout of 300ms", took)
	}
	var timeout *temporal.TimeoutError
	if out.First == nil || !errors.As(out.First.Err(), &timeout) {
		t.Fatalf("first attempt = %+v, want a start-to-close timeout", out.First)
	}
}

// More than one delivery, or a rate-limited hook, is sent by the workflow
// as before: the plan makes no attempt.
func TestPlanAndSendLeavesLargerPlansToTheWorkflow(t *testing.T) {
	var hits atomic.Int32
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer rcv.Close()
	t.Run("two hooks", func(t *testing.T) {
		st, h, _ := fixture(t, rcv.URL, nil)
		other := *h
		other.ID = 0
		if err := st.CreateHook(ctx, &other); err != nil {
			t.Fatal(err)
		}
		if out := planAndSend(t, st, 10*time.Second); out.First != nil || len(out.Plan.Hooks) != 2 {
			t.Errorf("PlanAndSend = %+v, want the plan of both hooks alone", out)
		}
	})
	t.Run("rate-limited", func(t *testing.T) {
		st, _, _ := fixture(t, rcv.URL, func(h *models.Hook) { h.RateLimit = 5 })
		if out := planAndSend(t, st, 10*time.Second); out.First != nil || len(out.Plan.Hooks) != 1 {
			t.Errorf("PlanAndSend = %+v, want the plan alone", out)
		}
	})
	if hits.Load() != 0 {
		t.Errorf("receiver got %d requests from plans the workflow sends", hits.Load())
	}
}
