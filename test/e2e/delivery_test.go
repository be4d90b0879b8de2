package e2e

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/plan"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/workflows"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"
)

type deliveryAnswer struct {
	ID         int64  `json:"id"`
	HookID     int64  `json:"hook_id"`
	Status     string `json:"status"`
	Attempts   int    `json:"attempts"`
	LastError  string `json:"last_error"`
	WorkflowID string `json:"workflow_id"`
	AttemptLog []struct {
		Number     int    `json:"number"`
		StatusCode int    `json:"status_code"`
		Error      string `json:"error"`
	} `json:"attempt_log"`
}

type eventAnswer struct {
	ID         string           `json:"id"`
	Hooks      []int64          `json:"hooks"`
	Deliveries []deliveryAnswer `json:"deliveries"`
}

// eventDone waits until every delivery of an event has ended and returns them.
func (e *env) eventDone(id string, want int) eventAnswer {
	e.t.Helper()
	var ev eventAnswer
	waitFor(e.t, 30*time.Second, "deliveries of "+id+" to end", func() bool {
		ev = eventAnswer{}
		e.call("GET", "/v1/events/"+id, nil, &ev)
		if len(ev.Deliveries) != want {
			return false
		}
		for _, d := range ev.Deliveries {
			if d.Status == string(models.DeliveryPending) {
				return false
			}
		}
		return true
	})
	return ev
}

// A trigger reaches every matching hook of its tenant, signed per Standard
// Webhooks, and the API shows each delivery with its attempts.
func TestEventIsDeliveredSigned(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			e := newEnv(t, b)
			rcv := newReceiver(t)
			h := e.createHook(map[string]any{"name": "crm", "events": []string{"contact.*"}, "target_url": rcv.URL})
			rcv.secret.Store(h.Secret)
			other := newReceiver(t)
			e.createHook(map[string]any{"events": []string{"account.*"}, "target_url": other.URL})
			e.createHook(map[string]any{"events": []string{"*"}, "target_url": other.URL, "tenant": "someone-else"})

			// Event ids name workflows, and the Temporal server is shared by both backends.
			id := "evt-1-" + b.Name
			a := e.trigger(map[string]any{"id": id, "event": "Contact.Update",
				"records": []map[string]any{{"id": 1, "email1": "a@example.com"}, {"id": 2, "email1": "b@example.com"}}})
			ev := e.eventDone(a.EventID, 1)
			got := rcv.requests()
			if len(got) != 1 {
				t.Fatalf("receiver got %d requests, want 1", len(got))
			}
			if got[0].Err != nil {
				t.Errorf("Standard Webhooks reference library rejects the signature: %v", got[0].Err)
			}
			body := decodeStandard(t, got[0].Body)
			if body.ID != id || body.Type != "Contact.Update" || len(body.Data) != 2 || body.Chunk.Count != 1 {
				t.Errorf("body = %+v", body)
			}
			if b.Name == "sqlite" {
				recordHistory(t, e, a.WorkflowID, "fanout_inline_sends")
			}
			d := ev.Deliveries[0]
			if got[0].Header.Get("Webhook-Id") != strconv.FormatInt(d.ID, 10) || d.Status != "succeeded" || d.Attempts != 1 {
				t.Errorf("delivery = %+v, webhook-id %s", d, got[0].Header.Get("Webhook-Id"))
			}
			if other.hits.Load() != 0 {
				t.Errorf("a hook of another entity or tenant got %d requests", other.hits.Load())
			}
			var full deliveryAnswer
			e.call("GET", fmt.Sprintf("/v1/deliveries/%d", d.ID), nil, &full)
			if len(full.AttemptLog) != 1 || full.AttemptLog[0].StatusCode != 200 {
				t.Errorf("attempt log = %+v", full.AttemptLog)
			}
			var list struct{ Data []deliveryAnswer }
			e.call("GET", fmt.Sprintf("/v1/hooks/%d/deliveries?status=succeeded", h.ID), nil, &list)
			if len(list.Data) != 1 || list.Data[0].ID != d.ID {
				t.Errorf("hook deliveries = %+v", list.Data)
			}
		})
	}
}

// The same trigger id twice starts one workflow and delivers once.
func TestRepeatedTriggerDeliversOnce(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	rcv := newReceiver(t)
	e.createHook(map[string]any{"events": []string{"*"}, "target_url": rcv.URL})
	body := map[string]any{"id": "same", "event": "deal.created", "data": map[string]any{"id": 9}}
	first := e.trigger(body)
	e.eventDone(first.EventID, 1)
	second := e.trigger(body)
	if !second.Duplicate || second.WorkflowID != first.WorkflowID {
		t.Errorf("second trigger = %+v, want a duplicate of %+v", second, first)
	}
	// Temporal holds exactly one run under the id: a second start was rejected.
	runs, err := e.client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowId = '%s'", first.WorkflowID)})
	if err == nil && len(runs.Executions) > 1 {
		t.Errorf("%d runs of %s, want 1", len(runs.Executions), first.WorkflowID)
	}
	desc, err := e.client.DescribeWorkflowExecution(context.Background(), first.WorkflowID, "")
	if err != nil || desc.WorkflowExecutionInfo.Status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("describe = %v, %v", desc, err)
	}
	time.Sleep(300 * time.Millisecond) // room for a wrong second delivery to arrive
	if n := rcv.hits.Load(); n != 1 {
		t.Errorf("receiver got %d requests, want 1", n)
	}
}

// Failed attempts are retried on the configured schedule with the same
// delivery id; Retry-After sets the delay.
func TestRetriesKeepTheDeliveryID(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	rcv := newReceiver(t, 503, 500, 200)
	e.createHook(map[string]any{"events": []string{"contact.*"}, "target_url": rcv.URL})
	a := e.trigger(map[string]any{"event": "contact.created", "data": map[string]any{"id": 1}})
	ev := e.eventDone(a.EventID, 1)
	recordHistory(t, e, a.WorkflowID, "fanout_send_retries")
	got := rcv.requests()
	if len(got) != 3 || ev.Deliveries[0].Status != "succeeded" || ev.Deliveries[0].Attempts != 3 {
		t.Fatalf("got %d requests, delivery %+v; want 3 attempts then success", len(got), ev.Deliveries[0])
	}
	for _, r := range got[1:] {
		if r.Header.Get("Webhook-Id") != got[0].Header.Get("Webhook-Id") {
			t.Errorf("retry carried webhook-id %s, first %s", r.Header.Get("Webhook-Id"), got[0].Header.Get("Webhook-Id"))
		}
	}
	if gap := got[1].At.Sub(got[0].At); gap < 150*time.Millisecond {
		t.Errorf("first retry after %s, want about the 200ms initial interval", gap)
	}

	slow := newReceiver(t, 429, 200)
	slow.retryHdr = "1" // longer than the 200ms the policy would wait
	e.createHook(map[string]any{"events": []string{"slow.*"}, "target_url": slow.URL})
	a = e.trigger(map[string]any{"event": "slow.down", "data": map[string]any{"id": 1}})
	e.eventDone(a.EventID, 1)
	sg := slow.requests()
	if len(sg) != 2 || sg[1].At.Sub(sg[0].At) < 900*time.Millisecond {
		t.Errorf("after 429 Retry-After: 1 the retry came %v later, want ≥ 1s", sg[len(sg)-1].At.Sub(sg[0].At))
	}
}

// 410 Gone ends the delivery at once and turns the hook off; retries that
// run out do the same; later events skip the hook.
func TestFailingReceiverTurnsTheHookOff(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	gone := newReceiver(t, 410)
	h := e.createHook(map[string]any{"events": []string{"*"}, "target_url": gone.URL})
	a := e.trigger(map[string]any{"event": "contact.created", "data": map[string]any{"id": 1}})
	ev := e.eventDone(a.EventID, 1)
	if d := ev.Deliveries[0]; d.Status != "failed" || d.Attempts != 1 || gone.hits.Load() != 1 {
		t.Errorf("after 410: delivery %+v, %d requests", d, gone.hits.Load())
	}
	var hook hookAnswer
	e.call("GET", fmt.Sprintf("/v1/hooks/%d", h.ID), nil, &hook)
	if hook.State != "TooManyErrors" {
		t.Errorf("hook state after 410 = %s", hook.State)
	}

	down := newReceiver(t, 500, 500, 500, 500, 500)
	h2 := e.createHook(map[string]any{"events": []string{"deal.*"}, "target_url": down.URL})
	a = e.trigger(map[string]any{"event": "deal.created", "data": map[string]any{"id": 1}})
	// The first hook ("*", TooManyErrors) gets the event as a skipped
	// delivery without a request; the second tries it.
	ev = e.eventDone(a.EventID, 2)
	for _, d := range ev.Deliveries {
		switch {
		case d.HookID == h.ID && (d.Status != "skipped" || d.Attempts != 0):
			t.Errorf("the TooManyErrors hook's delivery = %+v, want skipped without a request", d)
		case d.HookID == h2.ID && (d.Status != "failed" || d.Attempts != fastRetry.MaxAttempts || int(down.hits.Load()) != fastRetry.MaxAttempts):
			t.Errorf("after retries ran out: delivery %+v, %d requests; want %d", d, down.hits.Load(), fastRetry.MaxAttempts)
		}
	}
	if gone.hits.Load() != 1 {
		t.Errorf("the TooManyErrors hook got %d requests, want its first only", gone.hits.Load())
	}
	e.call("GET", fmt.Sprintf("/v1/hooks/%d", h2.ID), nil, &hook)
	if hook.State != "TooManyErrors" {
		t.Errorf("hook state after retries ran out = %s", hook.State)
	}
	// A disabled hook gets no request.
	a = e.trigger(map[string]any{"event": "deal.created", "data": map[string]any{"id": 2}})
	waitFor(t, 10*time.Second, "event workflow to finish", func() bool {
		d, err := e.client.DescribeWorkflowExecution(context.Background(), a.WorkflowID, "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	if n := down.hits.Load(); int(n) != fastRetry.MaxAttempts {
		t.Errorf("disabled hook got another request (%d in all)", n)
	}
}

// A fan-out past the inline limit runs one workflow per hook, each with a
// small history, and the Temporal UI finds a hook's workflows by the
// HookflowHookIds search attribute. The event's workflow starts them
// through an activity, so none reports back to it: its history stays short
// whatever the hooks, and no workflow task fails (as one did each time a
// child's completion landed while its parent completed).
func TestLargeFanoutRunsAWorkflowPerHook(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	rcv := newReceiver(t)
	const hooks = plan.InlineHooks + 1
	var ids []int64
	for range hooks {
		ids = append(ids, e.createHook(map[string]any{"events": []string{"*"}, "target_url": rcv.URL, "options": map[string]any{"chunk_size": 2}}).ID)
	}
	records := make([]map[string]any, 5) // 3 chunks of 2, 2, 1 per hook
	for i := range records {
		records[i] = map[string]any{"id": i}
	}
	a := e.trigger(map[string]any{"event": "contact.created", "records": records})
	ev := e.eventDone(a.EventID, hooks*3)
	if len(ev.Hooks) != hooks || rcv.hits.Load() != hooks*3 {
		t.Fatalf("%d hooks reached, %d requests; want %d and %d", len(ev.Hooks), rcv.hits.Load(), hooks, hooks*3)
	}
	for _, d := range ev.Deliveries {
		if want := workflows.HookDeliveryWorkflowID("default", a.EventID, d.HookID); d.WorkflowID != want {
			t.Fatalf("delivery %d ran in %s, want the hook's own workflow %s", d.ID, d.WorkflowID, want)
		}
	}
	ctx := context.Background()
	first := workflows.HookDeliveryWorkflowID("default", a.EventID, ids[0])
	e.workflowDone(a.WorkflowID)
	e.workflowDone(first)
	parent, child := history(t, e, a.WorkflowID), history(t, e, first)
	recordHistory(t, e, a.WorkflowID, "fanout_hook_workflows")
	recordHistory(t, e, first, "hookdelivery_chunks")
	t.Logf("history: event workflow %d events for %d hooks; hook workflow %d events for 3 chunks", len(parent.Events), hooks, len(child.Events))
	for name, h := range map[string]*historypb.History{"event": parent, "hook": child} {
		if bad := eventsOf(h, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED, enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED); len(bad) > 0 {
			t.Errorf("the %s workflow's history holds %d failed workflow tasks or child starts, first: %v", name, len(bad), bad[0])
		}
	}
	// The event's workflow plans and starts; it holds no per-hook or
	// per-chunk events: its plan's marker and its starts' marker.
	if markers := len(eventsOf(parent, enumspb.EVENT_TYPE_MARKER_RECORDED)); len(parent.Events) > 15 || markers != 2 {
		t.Errorf("event workflow history has %d events, %d markers; want at most 15, and 2 markers (plan, starts)", len(parent.Events), markers)
	}
	if len(child.Events) > 40 {
		t.Errorf("hook workflow history of %d events for 3 chunks", len(child.Events))
	}
	// Each hook's workflow carries the tenant and event type of the event's.
	wantAttrs := describe(t, e, a.WorkflowID).GetSearchAttributes().GetIndexedFields()
	gotAttrs := describe(t, e, first).GetSearchAttributes().GetIndexedFields()
	for _, k := range []string{workflows.AttrTenant.GetName(), workflows.AttrEventType.GetName()} {
		if !proto.Equal(gotAttrs[k], wantAttrs[k]) || wantAttrs[k] == nil {
			t.Errorf("the hook workflow's %s = %v, want the event workflow's %v", k, gotAttrs[k], wantAttrs[k])
		}
	}
	waitFor(t, 15*time.Second, "visibility to index the hook's workflows", func() bool {
		res, err := e.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			// Hook ids repeat across tests (each has its own database), task queues do not.
			Query: fmt.Sprintf("HookflowHookIds = '%d' AND TaskQueue = '%s'", ids[0], e.queue)})
		if err != nil {
			t.Logf("visibility query: %v", err)
			return false
		}
		return len(res.Executions) == 1 && res.Executions[0].Execution.WorkflowId == first
	})
}

// A fan-out past a page of hooks continues as new for the next page, and
// every hook of both pages gets its workflow and its delivery, once.
func TestFanoutPastAPageContinuesAsNew(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	rcv := newReceiver(t)
	const hooks = plan.FanoutPage + 1
	for range hooks {
		e.createHook(map[string]any{"events": []string{"*"}, "target_url": rcv.URL})
	}
	a := e.trigger(map[string]any{"event": "contact.created", "data": map[string]any{"id": 1}})
	ev := e.eventDone(a.EventID, hooks)
	seen := map[int64]bool{}
	for _, d := range ev.Deliveries {
		if d.Status != "succeeded" || seen[d.HookID] || d.WorkflowID != workflows.HookDeliveryWorkflowID("default", a.EventID, d.HookID) {
			t.Fatalf("delivery %+v: want one succeeded delivery per hook, in the hook's own workflow", d)
		}
		seen[d.HookID] = true
	}
	if n := rcv.hits.Load(); n != hooks {
		t.Errorf("receiver got %d requests, want %d", n, hooks)
	}
	e.workflowDone(a.WorkflowID)
	last := history(t, e, a.WorkflowID)
	started := last.Events[0].GetWorkflowExecutionStartedEventAttributes()
	if started.GetContinuedExecutionRunId() == "" {
		t.Errorf("the event's last run did not continue an earlier one: %d hooks fit one page?", hooks)
	}
	if bad := eventsOf(last, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED); len(bad) > 0 || len(last.Events) > 15 {
		t.Errorf("the event's last run has %d events, %d failed workflow tasks; want at most 15 and none", len(last.Events), len(bad))
	}
	// A hook of the second page is found by the event's type too: the
	// search attributes went on with the event's workflow.
	var lastHook int64
	for id := range seen {
		lastHook = max(lastHook, id)
	}
	k := workflows.AttrEventType.GetName()
	want := describe(t, e, a.WorkflowID).GetSearchAttributes().GetIndexedFields()[k]
	got := describe(t, e, workflows.HookDeliveryWorkflowID("default", a.EventID, lastHook)).GetSearchAttributes().GetIndexedFields()[k]
	if want == nil || !proto.Equal(got, want) {
		t.Errorf("hook %d's workflow has %s %v, want the event's %v", lastHook, k, got, want)
	}
}

// describe reads what Temporal knows of a workflow's latest run.
func describe(t *testing.T, e *env, workflowID string) *workflowpb.WorkflowExecutionInfo {
	t.Helper()
	d, err := e.client.DescribeWorkflowExecution(context.Background(), workflowID, "")
	if err != nil {
		t.Fatalf("describe %s: %v", workflowID, err)
	}
	return d.GetWorkflowExecutionInfo()
}

// A batch of triggers starts one workflow per event and each is delivered.
func TestBatchIsDeliveredPerEvent(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
	rcv := newReceiver(t)
	e.createHook(map[string]any{"events": []string{"contact.*"}, "target_url": rcv.URL})
	events := make([]map[string]any, 50)
	for i := range events {
		events[i] = map[string]any{"id": fmt.Sprintf("batch-%d", i), "event": "Contact.Update", "data": map[string]any{"id": i}}
	}
	var ans struct {
		Data []struct {
			EventID string `json:"event_id"`
		}
	}
	if code := e.call("POST", "/v1/events/batch", map[string]any{"events": events}, &ans); code != 202 || len(ans.Data) != 50 {
		t.Fatalf("batch = %d, %d results", code, len(ans.Data))
	}
	waitFor(t, 30*time.Second, "50 deliveries", func() bool { return rcv.hits.Load() >= 50 })
	seen := map[string]bool{}
	for _, r := range rcv.requests() {
		seen[decodeStandard(t, r.Body).ID] = true
	}
	if len(seen) != 50 || rcv.hits.Load() != 50 {
		t.Errorf("%d distinct events in %d requests, want 50 and 50", len(seen), rcv.hits.Load())
	}
}
