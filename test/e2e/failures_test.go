package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/email"
	"github.com/hookflow/hookflow/internal/email/smtptest"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/worker"
	enumspb "go.temporal.io/api/enums/v1"
)

// downBody is what flaky answers while down: longer than the 1 KiB an
// attempt keeps.
var downBody = "down for maintenance " + strings.Repeat("x", 2000)

// flaky is a receiver that answers 500 with a body while down and 200 once
// up, and records the webhook-id of every request. While down it takes slow
// to answer; with lockstep set, the n-th attempt of a delivery also waits
// (up to lockstepWait) until lockstep deliveries made their n-th attempt,
// so their retries stay in step however far apart a loaded machine runs
// their workflows.
type flaky struct {
	*httptest.Server
	up       atomic.Bool
	slow     time.Duration
	lockstep int
	mu       sync.Mutex
	ids      []string
	tries    map[string]int // webhook-id → attempts seen
	reached  map[int]int    // attempt number → deliveries that made it
	step     *sync.Cond
}

// lockstepWait bounds how long an attempt waits for the others: well below
// the 5 s request timeout of the test harness's sender.
const lockstepWait = 3 * time.Second

func newFlaky(t *testing.T, slow time.Duration) *flaky {
	f := &flaky{slow: slow, tries: map[string]int{}, reached: map[int]int{}}
	f.step = sync.NewCond(&f.mu)
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		id := r.Header.Get("Webhook-Id")
		if !f.up.Load() {
			f.waitForStep(id)
		}
		f.mu.Lock()
		f.ids = append(f.ids, id)
		f.mu.Unlock()
		if !f.up.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, downBody)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

// waitForStep holds a request slow, and with lockstep until as many
// deliveries made this attempt (or lockstepWait passed).
func (f *flaky) waitForStep(id string) {
	begun := time.Now()
	f.mu.Lock()
	f.tries[id]++
	n := f.tries[id]
	f.reached[n]++
	f.step.Broadcast()
	if f.lockstep > 0 {
		wake := time.AfterFunc(lockstepWait, func() { f.mu.Lock(); f.step.Broadcast(); f.mu.Unlock() })
		for f.reached[n] < f.lockstep && time.Since(begun) < lockstepWait {
			f.step.Wait()
		}
		wake.Stop()
	}
	f.mu.Unlock()
	time.Sleep(f.slow - time.Since(begun))
}

func (f *flaky) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ids)
}

type deliveryRow struct {
	ID           int64  `json:"id"`
	EventID      string `json:"event_id"`
	Status       string `json:"status"`
	Attempts     int    `json:"attempts"`
	Redeliveries int    `json:"redeliveries"`
}

type hookDeliveries struct {
	Data []deliveryRow `json:"data"`
}

// deliveriesOf lists a hook's deliveries, oldest first.
func (e *env) deliveriesOf(hookID int64) hookDeliveries {
	e.t.Helper()
	var l hookDeliveries
	e.call("GET", fmt.Sprintf("/v1/deliveries?hook_id=%d&limit=500", hookID), nil, &l)
	slices.Reverse(l.Data)
	return l
}

// settled waits until none of a hook's deliveries is pending, and returns them.
func (e *env) settled(hookID int64, want int) hookDeliveries {
	e.t.Helper()
	var l hookDeliveries
	waitFor(e.t, 30*time.Second, fmt.Sprintf("%d deliveries of hook %d to end", want, hookID), func() bool {
		l = e.deliveriesOf(hookID)
		return len(l.Data) == want && !slices.ContainsFunc(l.Data, func(d deliveryRow) bool { return d.Status == "pending" })
	})
	return l
}

// workflowDone waits for a workflow (the last run of its id) to complete.
func (e *env) workflowDone(id string) {
	e.t.Helper()
	waitFor(e.t, 30*time.Second, "workflow "+id+" to complete", func() bool {
		d, err := e.client.DescribeWorkflowExecution(context.Background(), id, "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
}

// stateEvents returns the types of the state-change events a monitor got.
func stateEvents(t *testing.T, r *receiver) []string {
	var types []string
	for _, got := range r.requests() {
		types = append(types, decodeStandard(t, got.Body).Type)
	}
	return types
}

// The whole story of issue 4: a receiver goes down; every delivery is tried
// exactly per policy; the hook turns TooManyErrors once though four
// deliveries (of four events) fail at the same moment; its owner gets
// exactly one mail over SMTP (STARTTLS, auth) that says what happened and
// how to re-activate; a monitoring hook gets webhook.errors; a chunk still
// waiting ends skipped without a request and a new event does not reach the
// hook. Once the receiver is back, activate + recover send every missed
// delivery exactly once with its original webhook-id, and a redelivery
// sends one again.
func TestFailingReceiverIsMailedAndRecovered(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			start := time.Now()
			smtp := smtptest.Start(t, smtptest.Options{TLS: true, User: "hookflow", Password: "s3cret"})
			mail, err := email.New(email.Options{URL: smtp.URL, From: "hookflow@example.com", Timeout: 5 * time.Second, TLS: smtp.ClientTLS})
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t, b, func(d *worker.Deps) { d.Mail = mail })
			e.tenant = "failures-" + b.Name
			// Answers take 1s while down, and each attempt waits for the
			// other three deliveries' same attempt, so their last attempts
			// are in flight together and their failures race, even when a
			// loaded machine runs the four workflows apart. Four attempts
			// then end about 5.4s in: the late chunk is due at 15s.
			rcv := newFlaky(t, time.Second)
			rcv.lockstep = 4
			h := e.createHook(map[string]any{"name": "CRM sync", "events": []string{"contact.*"}, "target_url": rcv.URL,
				"errors_email": "ops@example.com", "options": map[string]any{"chunk_size": 1, "chunk_delay": 15}})
			monitor := newReceiver(t)
			e.createHook(map[string]any{"name": "monitor", "target_url": monitor.URL,
				"events": []string{fmt.Sprintf("webhook{%d}.errors", h.ID), fmt.Sprintf("webhook%d.started", h.ID), "webhook999.errors"}})

			// Four events at once: three of one record, one of two records,
			// whose second chunk is due 15s later, after the hook is off.
			var wg sync.WaitGroup
			for i, records := range []int{1, 1, 1, 2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rs := make([]map[string]any, records)
					for j := range rs {
						rs[j] = map[string]any{"id": j}
					}
					e.trigger(map[string]any{"id": fmt.Sprintf("down-%s-%d", b.Name, i), "event": "contact.updated", "records": rs})
				}()
			}
			wg.Wait()
			ds := e.settled(h.ID, 5)
			// Each delivery failed after exactly the policy's attempts, or,
			// still retrying when the hook turned off, ended skipped at its
			// next attempt without a request; the late chunk never went out.
			var failed, skipped []string
			attempts := 0
			for _, d := range ds.Data {
				attempts += d.Attempts
				switch {
				case d.Status == "failed" && d.Attempts == fastRetry.MaxAttempts:
					failed = append(failed, fmt.Sprint(d.ID))
				case d.Status == "skipped" && d.Attempts < fastRetry.MaxAttempts:
					skipped = append(skipped, fmt.Sprint(d.ID))
				default:
					t.Errorf("delivery %d ended %s after %d attempts", d.ID, d.Status, d.Attempts)
				}
			}
			late := ds.Data[0]
			for _, d := range ds.Data {
				if d.EventID == fmt.Sprintf("down-%s-3", b.Name) {
					late = d // the two-record event's second chunk: the higher id
				}
			}
			if late.Status != "skipped" || late.Attempts != 0 {
				t.Errorf("the chunk due after the hook turned off = %+v, want skipped without a request", late)
			}
			if len(failed) < 2 {
				t.Errorf("%d deliveries failed for good, want several at once (the race): %+v", len(failed), ds.Data)
			}
			if got := rcv.requests(); len(got) != attempts {
				t.Errorf("receiver got %d requests, the log holds %d attempts", len(got), attempts)
			}
			t.Logf("%d deliveries failed together, %d skipped; %d requests", len(failed), len(skipped), attempts)
			// Every attempt keeps its status, latency, error and 1 KiB of the answer.
			var full struct {
				AttemptLog []struct {
					Number     int    `json:"number"`
					StatusCode int    `json:"status_code"`
					LatencyMS  int64  `json:"latency_ms"`
					Error      string `json:"error"`
					Response   string `json:"response"`
				} `json:"attempt_log"`
			}
			e.call("GET", "/v1/deliveries/"+failed[0], nil, &full)
			if len(full.AttemptLog) != fastRetry.MaxAttempts {
				t.Fatalf("attempt log = %+v", full.AttemptLog)
			}
			for _, a := range full.AttemptLog {
				if a.StatusCode != 500 || a.LatencyMS < 500 || a.Error != "target answered 500 Internal Server Error" || a.Response != downBody[:1024] {
					t.Errorf("attempt %d: status %d, %dms, error %q, response of %d bytes", a.Number, a.StatusCode, a.LatencyMS, a.Error, len(a.Response))
				}
			}
			var hook struct {
				State        string `json:"state"`
				FailingSince string `json:"failing_since"`
			}
			e.call("GET", fmt.Sprintf("/v1/hooks/%d", h.ID), nil, &hook)
			if hook.State != "TooManyErrors" {
				t.Fatalf("hook state = %s, want TooManyErrors", hook.State)
			}

			// Exactly one mail, over TLS, saying what the owner needs.
			waitFor(t, 10*time.Second, "the errors_email mail", func() bool { return len(smtp.Mails()) > 0 })
			waitFor(t, 10*time.Second, "webhook.errors to reach the monitor", func() bool { return monitor.hits.Load() > 0 })
			time.Sleep(500 * time.Millisecond) // room for a wrong second mail or event
			mails := smtp.Mails()
			if len(mails) != 1 {
				t.Fatalf("%d mails, want exactly 1", len(mails))
			}
			m := mails[0]
			if !m.TLS || m.User != "hookflow" || m.To[0] != "ops@example.com" {
				t.Errorf("mail went to %v, TLS %v, user %q", m.To, m.TLS, m.User)
			}
			for _, want := range []string{fmt.Sprintf(`hook "CRM sync" (#%d)`, h.ID), rcv.URL, "target answered 500 Internal Server Error",
				"Last status:     500", "Failing since:   " + hook.FailingSince[:19], fmt.Sprintf("POST /v1/hooks/%d/activate", h.ID)} {
				if !strings.Contains(m.Data, want) {
					t.Errorf("mail lacks %q:\n%s", want, m.Data)
				}
			}
			var notes struct {
				Data []struct {
					SentAt *time.Time `json:"sent_at"`
					HookID int64      `json:"hook_id"`
				} `json:"data"`
			}
			e.call("GET", "/v1/notifications", nil, &notes)
			if len(notes.Data) != 1 || notes.Data[0].SentAt == nil || notes.Data[0].HookID != h.ID {
				t.Errorf("notifications = %+v, want one, sent", notes.Data)
			}
			if got := stateEvents(t, monitor); !slices.Equal(got, []string{"webhook.errors"}) {
				t.Errorf("monitor got %v, want one webhook.errors", got)
			}
			// The workflow of the event whose failure turned the hook off
			// ends clean in the Temporal UI: webhook.errors is admitted for a
			// dispatcher to start, not a child whose start raced this
			// workflow's completion (a failed workflow task, UnhandledCommand).
			stored, _ := e.store.Hook(context.Background(), "", h.ID)
			var winner int64
			if _, err := fmt.Sscanf(stored.DisabledBy, "%d.", &winner); err != nil {
				t.Fatalf("disabled_by %q: %v", stored.DisabledBy, err)
			}
			d, _ := e.store.Delivery(context.Background(), "", winner)
			e.workflowDone(d.WorkflowID)
			hist := history(t, e, d.WorkflowID)
			if bad := eventsOf(hist, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED, enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED); len(bad) > 0 {
				t.Errorf("the history of %s holds %d failed workflow tasks or child starts, first: %v", d.WorkflowID, len(bad), bad[0])
			}
			if b.Name == "sqlite" {
				recordHistory(t, e, d.WorkflowID, "fanout_failure_disables_hook")
			}

			// While off, a new event makes no request to the hook: it is
			// recorded as a skipped delivery, which recover sends.
			quiet := e.trigger(map[string]any{"id": "while-off-" + b.Name, "event": "contact.updated", "data": map[string]any{"id": 9}})
			e.workflowDone(quiet.WorkflowID)
			if n := len(rcv.requests()); n != attempts {
				t.Errorf("the disabled hook got %d requests in all, want no more than the %d before", n, attempts)
			}
			missed := e.settled(h.ID, 6).Data[5]
			if missed.EventID != "while-off-"+b.Name || missed.Status != "skipped" || missed.Attempts != 0 {
				t.Errorf("the event that came while off = %+v, want a skipped delivery without a request", missed)
			}
			skipped = append(skipped, fmt.Sprint(missed.ID))

			// Back up: activate, then recover everything since the outage.
			rcv.up.Store(true)
			before := len(rcv.requests())
			if code := e.call("POST", fmt.Sprintf("/v1/hooks/%d/activate", h.ID), nil, &hook); code != 200 || hook.State != "Active" {
				t.Fatalf("activate = %d, state %s", code, hook.State)
			}
			since := map[string]any{"since": start.UTC().Format(time.RFC3339)}
			var rec struct {
				WorkflowID string `json:"workflow_id"`
			}
			if code := e.call("POST", fmt.Sprintf("/v1/hooks/%d/recover", h.ID), since, &rec); code != 202 {
				t.Fatalf("recover = %d", code)
			}
			e.workflowDone(rec.WorkflowID)
			if b.Name == "sqlite" {
				recordHistory(t, e, rec.WorkflowID, "recover_since_outage")
			}
			recovered := rcv.requests()[before:]
			slices.Sort(recovered)
			want := slices.Sorted(slices.Values(append(failed, skipped...)))
			if !slices.Equal(recovered, want) {
				t.Errorf("recovery sent webhook-ids %v, want each missed delivery once: %v", recovered, want)
			}
			for _, d := range e.settled(h.ID, 6).Data {
				if d.Status != "succeeded" || d.Redeliveries != 1 {
					t.Errorf("delivery %d after recovery: %s, %d redeliveries", d.ID, d.Status, d.Redeliveries)
				}
			}
			waitFor(t, 10*time.Second, "webhook.started to reach the monitor", func() bool { return monitor.hits.Load() == 2 })
			if got := stateEvents(t, monitor); !slices.Equal(got, []string{"webhook.errors", "webhook.started"}) {
				t.Errorf("monitor got %v", got)
			}

			// The same recover again finds nothing left to send.
			if code := e.call("POST", fmt.Sprintf("/v1/hooks/%d/recover", h.ID), since, &rec); code != 202 {
				t.Fatalf("second recover = %d", code)
			}
			e.workflowDone(rec.WorkflowID)
			if n := len(rcv.requests()) - before; n != len(want) {
				t.Errorf("a second recover sent %d more requests", n-len(want))
			}

			// A redelivery sends one again, same id, attempts numbered on.
			var redo struct {
				WorkflowID string `json:"workflow_id"`
			}
			if code := e.call("POST", "/v1/deliveries/"+failed[0]+"/redeliver", nil, &redo); code != 202 {
				t.Fatalf("redeliver = %d", code)
			}
			e.workflowDone(redo.WorkflowID)
			if got := rcv.requests(); got[len(got)-1] != failed[0] {
				t.Errorf("redelivery carried webhook-id %s, want %s", got[len(got)-1], failed[0])
			}
			e.call("GET", "/v1/deliveries/"+failed[0], nil, &full)
			if n := len(full.AttemptLog); n != fastRetry.MaxAttempts+2 || full.AttemptLog[n-1].Number != n || full.AttemptLog[n-1].StatusCode != 200 {
				t.Errorf("attempt log after recover and redeliver = %+v", full.AttemptLog)
			}
			t.Logf("outage, mail, recovery and redelivery took %s", time.Since(start).Round(time.Millisecond))
		})
	}
}

// The Proof of issue 18's "nothing missed while off": a dead receiver turns
// its hook TooManyErrors; 50 more events arrive while it is off and make no
// request, each recorded as a skipped delivery; the receiver comes back, and
// activate + recover send all 50 and the failed one, each exactly once.
func TestNothingIsMissedWhileTooManyErrors(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			start := time.Now()
			smtp := smtptest.Start(t, smtptest.Options{})
			mail, err := email.New(email.Options{URL: smtp.URL, From: "hookflow@example.com", Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t, b, func(d *worker.Deps) { d.Mail = mail })
			e.tenant = "missed-" + b.Name
			rcv := newFlaky(t, 0) // down: answers 500 at once
			h := e.createHook(map[string]any{"name": "mirror", "events": []string{"contact.*"}, "target_url": rcv.URL,
				"errors_email": "ops@example.com"})
			e.trigger(map[string]any{"id": "dead-" + b.Name, "event": "contact.updated", "data": map[string]any{"id": 0}})
			failed := e.settled(h.ID, 1).Data[0]
			if failed.Status != "failed" {
				t.Fatalf("the first delivery = %+v, want failed", failed)
			}
			waitFor(t, 10*time.Second, "the errors_email mail", func() bool { return len(smtp.Mails()) > 0 })
			if m := smtp.Mails()[0].Data; !strings.Contains(m, "recorded for it as a skipped delivery") {
				t.Errorf("the mail does not say what the hook keeps while off:\n%s", m)
			}
			var hook struct {
				State string `json:"state"`
			}
			e.call("GET", fmt.Sprintf("/v1/hooks/%d", h.ID), nil, &hook)
			if hook.State != "TooManyErrors" {
				t.Fatalf("hook state = %s, want TooManyErrors", hook.State)
			}
			sent := len(rcv.requests())

			const n = 50
			for i := range n {
				e.trigger(map[string]any{"id": fmt.Sprintf("off-%s-%02d", b.Name, i), "event": "contact.updated", "data": map[string]any{"id": i + 1}})
			}
			ds := e.settled(h.ID, n+1)
			want := []string{fmt.Sprint(failed.ID)}
			for _, d := range ds.Data[1:] {
				if d.Status != "skipped" || d.Attempts != 0 {
					t.Errorf("delivery %d of event %s while off = %s after %d attempts, want skipped without a request", d.ID, d.EventID, d.Status, d.Attempts)
				}
				want = append(want, fmt.Sprint(d.ID))
			}
			if got := len(rcv.requests()); got != sent {
				t.Errorf("the hook got %d requests while off", got-sent)
			}

			rcv.up.Store(true)
			if code := e.call("POST", fmt.Sprintf("/v1/hooks/%d/activate", h.ID), nil, &hook); code != 200 || hook.State != "Active" {
				t.Fatalf("activate = %d, state %s", code, hook.State)
			}
			var rec struct {
				WorkflowID string `json:"workflow_id"`
			}
			since := map[string]any{"since": start.UTC().Format(time.RFC3339)}
			if code := e.call("POST", fmt.Sprintf("/v1/hooks/%d/recover", h.ID), since, &rec); code != 202 {
				t.Fatalf("recover = %d", code)
			}
			e.workflowDone(rec.WorkflowID)
			for _, d := range e.settled(h.ID, n+1).Data {
				if d.Status != "succeeded" {
					t.Errorf("delivery %d after recover: %s", d.ID, d.Status)
				}
			}
			got := slices.Sorted(slices.Values(rcv.requests()[sent:]))
			if slices.Sort(want); !slices.Equal(got, want) {
				t.Errorf("recover sent %d requests %v, want each of the %d missed deliveries once: %v", len(got), got, len(want), want)
			}
		})
	}
}

// A user stopping a hook does what failures do, without a mail: the chunk
// still waiting ends skipped without a request, new events do not match, a
// monitor hears webhook.stopped; started again, recover sends the chunk.
func TestStoppedHookSkipsAndRecovers(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	rcv := newFlaky(t, 0)
	rcv.up.Store(true)
	h := e.createHook(map[string]any{"events": []string{"deal.*"}, "target_url": rcv.URL, "options": map[string]any{"chunk_size": 1, "chunk_delay": 2}})
	monitor := newReceiver(t)
	e.createHook(map[string]any{"target_url": monitor.URL, "events": []string{"webhook.stopped", "webhook.started"}})
	start := time.Now()
	e.trigger(map[string]any{"event": "deal.created", "records": []map[string]any{{"id": 1}, {"id": 2}}})
	waitFor(t, 10*time.Second, "the first chunk", func() bool { return len(rcv.requests()) == 1 })
	if code := e.call("PATCH", fmt.Sprintf("/v1/hooks/%d", h.ID), map[string]any{"state": "Stopped"}, nil); code != 200 {
		t.Fatalf("stop = %d", code)
	}
	ds := e.settled(h.ID, 2)
	if ds.Data[0].Status != "succeeded" || ds.Data[1].Status != "skipped" || len(rcv.requests()) != 1 {
		t.Fatalf("deliveries = %+v, %d requests; want the second chunk skipped without a request", ds.Data, len(rcv.requests()))
	}
	quiet := e.trigger(map[string]any{"event": "deal.created", "data": map[string]any{"id": 3}})
	e.workflowDone(quiet.WorkflowID)
	if n := len(e.deliveriesOf(h.ID).Data); n != 2 || len(rcv.requests()) != 1 {
		t.Errorf("a stopped hook got a new delivery: %d deliveries, %d requests", n, len(rcv.requests()))
	}
	if code := e.call("PATCH", fmt.Sprintf("/v1/hooks/%d", h.ID), map[string]any{"state": "Active"}, nil); code != 200 {
		t.Fatalf("start = %d", code)
	}
	if code := e.call("POST", fmt.Sprintf("/v1/hooks/%d/recover", h.ID), map[string]any{"since": start.Add(-time.Second).UTC().Format(time.RFC3339)}, nil); code != 202 {
		t.Fatalf("recover = %d", code)
	}
	waitFor(t, 10*time.Second, "the skipped chunk to be recovered", func() bool { return len(rcv.requests()) == 2 })
	if got := rcv.requests()[1]; got != fmt.Sprint(ds.Data[1].ID) {
		t.Errorf("recovered webhook-id %s, want %d", got, ds.Data[1].ID)
	}
	waitFor(t, 10*time.Second, "webhook.stopped and webhook.started", func() bool { return monitor.hits.Load() == 2 })
	if got := stateEvents(t, monitor); !slices.Equal(got, []string{"webhook.stopped", "webhook.started"}) {
		t.Errorf("monitor got %v", got)
	}
	time.Sleep(300 * time.Millisecond) // room for a wrong extra request
	if n := len(rcv.requests()); n != 2 {
		t.Errorf("receiver got %d requests, want 2", n)
	}
}
