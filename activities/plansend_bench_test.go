package activities_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/egress"
	"github.com/hookflow/hookflow/internal/payload"
	"github.com/hookflow/hookflow/internal/plan"
	"github.com/hookflow/hookflow/internal/receiverauth"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
)

// BenchmarkPlanAndSend is hookflow's work for the common event — one hook,
// one record, answered 200 — as the worker does it in the event's local
// activity: load the event, match its hook, plan its delivery, send it to a
// real receiver, record the attempt (SQLite on disk). BenchmarkBareSend is
// what the bare engine's workflow does there (hookbench's ceiling): the
// difference is what hookflow's worker costs per event beyond it
// (docs/benchmarks.md).
func BenchmarkPlanAndSend(b *testing.B) {
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer rcv.Close()
	st := storetest.Open(b, storetest.SQLite(b))
	now := time.Now().UTC().Add(-time.Second)
	h := &models.Hook{Tenant: "t1", HookSpec: models.HookSpec{Name: "crm", Events: models.JSON[[]string]{V: []string{"Contact.*"}}, TargetURL: rcv.URL,
		Type: models.HookTypeWebhook, Format: payload.Standard}, Secret: secret, State: models.StateActive, Registered: now, Updated: now}
	if err := st.CreateHook(ctx, h); err != nil {
		b.Fatal(err)
	}
	evs := make([]*models.Event, b.N)
	for i := range evs {
		id := fmt.Sprintf("e%d", i)
		evs[i] = &models.Event{ID: id, Tenant: "t1", Type: "Contact.Update", OccurredAt: now, ReceivedAt: now, RecordCount: 1,
			Body: []byte(`{"records":[{"id":1,"email1":"a@example.com"}]}`), WorkflowID: "event/t1/" + id}
	}
	for i := 0; i < len(evs); i += 500 {
		if _, err := st.AdmitEvents(ctx, evs[i:min(i+500, len(evs))]); err != nil {
			b.Fatal(err)
		}
	}
	p := activities.NewPlanner(st, plan.Retry{InitialInterval: time.Second, Backoff: 2, MaxInterval: time.Minute, MaxAttempts: 3})
	clients := egress.New(egress.Options{AllowPrivate: true, Timeout: 5 * time.Second, ConnectTimeout: time.Second, TLSTimeout: time.Second})
	p.Send = activities.NewSender(st, receiverauth.New(clients), time.Hour)
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(p)
	measureCPU(b, func(i int) {
		v, err := env.ExecuteLocalActivity(p.PlanAndSend, activities.PlanEventInput{EventPK: evs[i].PK, WorkflowID: evs[i].WorkflowID})
		if err != nil {
			b.Fatal(err)
		}
		var out activities.PlanAndSendResult
		if err := v.Get(&out); err != nil || out.First == nil || out.First.Err() != nil {
			b.Fatalf("PlanAndSend = %+v, %v: want one delivery sent at once", out, err)
		}
	})
}

func BenchmarkBareSend(b *testing.B) {
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer rcv.Close()
	client := &http.Client{}
	send := func(ctx context.Context, eventID string) error {
		body, _ := json.Marshal(map[string]string{"id": eventID})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, rcv.URL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Webhook-Id", eventID)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(send)
	measureCPU(b, func(i int) {
		if _, err := env.ExecuteLocalActivity(send, fmt.Sprintf("e%d", i)); err != nil {
			b.Fatal(err)
		}
	})
}

// measureCPU runs op b.N times and reports the CPU each took, not the
// time: one event at a time waits on the receiver, where the engine runs
// many at once. The receiver's CPU counts, as the bare engine's does.
func measureCPU(b *testing.B, op func(i int)) {
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for i := range b.N {
		op(i)
	}
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
}

// processCPU is the CPU this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
