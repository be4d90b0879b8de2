package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/workflows"
	enumspb "go.temporal.io/api/enums/v1"
)

var bg = context.Background()

// createHook creates a hook of the default tenant and returns its id.
func (h *harness) createHook(body string) int64 {
	h.T.Helper()
	a := h.Do("POST", "/v1/hooks", body)
	if a.Code != 201 {
		h.T.Fatalf("create hook = %d %s", a.Code, a.Raw)
	}
	return int64(a.Body["id"].(float64))
}

// delivery stores an event and one delivery of hook for it, ended as status.
func (h *harness) delivery(hook int64, status models.DeliveryStatus) *models.Delivery {
	h.T.Helper()
	now := time.Now().UTC()
	e := &models.Event{ID: fmt.Sprint("e", now.UnixNano()), Tenant: "default", Type: "Contact.Update", OccurredAt: now, ReceivedAt: now, Body: []byte(`{}`), WorkflowID: "w"}
	if _, err := h.Store.CreateEvent(bg, e); err != nil {
		h.T.Fatal(err)
	}
	d := models.Delivery{Tenant: "default", EventPK: e.PK, EventID: e.ID, HookID: hook, Count: 1, Status: models.DeliveryPending, WorkflowID: "w", CreatedAt: now, UpdatedAt: now}
	if err := h.Store.PlanDeliveries(bg, []models.Delivery{d}); err != nil {
		h.T.Fatal(err)
	}
	ds, _ := h.Store.HookDeliveries(bg, e.PK, hook, 0, 1)
	if status != models.DeliveryPending {
		if err := h.Store.FinishDelivery(bg, ds[0].ID, status, "target answered 500", now); err != nil {
			h.T.Fatal(err)
		}
	}
	return &ds[0]
}

// admitted returns the workflow ids of the events admitted so far (a
// dispatcher would start them), oldest first. It claims them from the queue.
func (h *harness) admitted() []string {
	h.T.Helper()
	now := time.Now().UTC()
	evs, err := h.Store.ClaimEvents(bg, 1000, now, now.Add(time.Hour))
	if err != nil {
		h.T.Fatal(err)
	}
	for _, e := range evs {
		h.queued = append(h.queued, e.WorkflowID)
	}
	return h.queued
}

// Activate turns a disabled hook Active with no failures and emits
// webhook.started once; activating an Active hook changes nothing.
func TestActivate(t *testing.T) {
	h := newHarness(t)
	id := h.createHook(hookJSON)
	d := h.delivery(id, models.DeliveryPending)
	if ok, err := h.Store.FailDelivery(bg, d.ID, id, "target answered 500", "9.0", time.Now()); !ok || err != nil {
		t.Fatalf("FailDelivery = %v, %v", ok, err)
	}
	a := h.Do("POST", fmt.Sprintf("/v1/hooks/%d/activate", id), "")
	if a.Code != 200 || a.Body["state"] != "Active" || a.Body["error_count"] != float64(0) {
		t.Fatalf("activate = %d %s", a.Code, a.Raw)
	}
	if s := h.admitted(); len(s) != 1 || !strings.HasPrefix(s[0], fmt.Sprintf("event/default/webhook-%d-started-", id)) {
		t.Fatalf("events admitted = %v, want one webhook.started event", s)
	}
	ev := h.Do("GET", "/v1/events/"+strings.TrimPrefix(h.admitted()[0], "event/default/"), "")
	if ev.Code != 200 || ev.Body["event"] != models.EventHookStarted {
		t.Errorf("state event = %d %s", ev.Code, ev.Raw)
	}
	if again := h.Do("POST", fmt.Sprintf("/v1/hooks/%d/activate", id), ""); again.Code != 200 || len(h.admitted()) != 1 {
		t.Errorf("second activate = %d, %d events admitted; want 200 and no new event", again.Code, len(h.admitted()))
	}
	for path, code := range map[string]int{"/v1/hooks/abc/activate": 400, "/v1/hooks/999/activate": 404} {
		if a := h.Do("POST", path, ""); a.Code != code {
			t.Errorf("POST %s = %d, want %d", path, a.Code, code)
		}
	}
	if a := h.Do("POST", fmt.Sprintf("/v1/hooks/%d/activate", id), "", "X-Hookflow-Tenant", "other"); a.Code != 404 {
		t.Errorf("activate from another tenant = %d, want 404", a.Code)
	}
}

// A user stopping or starting a hook emits webhook.stopped / webhook.started;
// other edits emit nothing.
func TestUserStateChangesEmitEvents(t *testing.T) {
	h := newHarness(t)
	id := h.createHook(hookJSON)
	path := fmt.Sprintf("/v1/hooks/%d", id)
	for _, step := range []struct{ body, want string }{
		{`{"name":"renamed"}`, ""},
		{`{"state":"Stopped"}`, "stopped"},
		{`{"state":"Stopped"}`, ""},
		{`{"state":"Active"}`, "started"},
	} {
		before := len(h.admitted())
		if a := h.Do("PATCH", path, step.body); a.Code != 200 {
			t.Fatalf("PATCH %s = %d %s", step.body, a.Code, a.Raw)
		}
		got := h.admitted()[before:]
		if step.want == "" && len(got) != 0 || step.want != "" && (len(got) != 1 || !strings.Contains(got[0], fmt.Sprintf("webhook-%d-%s-", id, step.want))) {
			t.Errorf("PATCH %s admitted %v, want webhook.%s", step.body, got, step.want)
		}
	}
}

func TestRecover(t *testing.T) {
	h := newHarness(t)
	id := h.createHook(hookJSON)
	path := fmt.Sprintf("/v1/hooks/%d/recover", id)
	for _, tt := range []struct {
		path, body string
		code       int
		field      string
	}{
		{path, ``, 400, ""},
		{path, `{}`, 400, "since"},
		{path, `{"since":"yesterday"}`, 400, "since"},
		{path, `{"since":"2026-01-02"}`, 400, "since"},
		{path, `{"since":"2026-01-02T3:04:05Z"}`, 400, "since"}, // time.Parse alone takes a one-digit hour
		{path, `{"since":"2026-01-02T03:04:05Z","until":"x"}`, 400, "until"},
		{"/v1/hooks/abc/recover", `{"since":"2026-01-02T03:04:05Z"}`, 400, "id"},
		{"/v1/hooks/999/recover", `{"since":"2026-01-02T03:04:05Z"}`, 404, ""},
	} {
		if a := h.Do("POST", tt.path, tt.body); a.Code != tt.code || a.ErrorField() != tt.field {
			t.Errorf("POST %s %s = %d field %q; want %d %q (%s)", tt.path, tt.body, a.Code, a.ErrorField(), tt.code, tt.field, a.Raw)
		}
	}
	if a := h.Do("POST", path, `{"since":"2026-01-02T03:04:05Z"}`, "X-Hookflow-Tenant", "other"); a.Code != 404 {
		t.Errorf("recover from another tenant = %d, want 404", a.Code)
	}
	a := h.Do("POST", path, `{"since":"2026-01-02T05:04:05+02:00"}`)
	want := fmt.Sprintf("recover/default/%d/2026-01-02T03:04:05Z", id)
	if a.Code != 202 || a.Body["workflow_id"] != want || a.Body["since"] != "2026-01-02T03:04:05Z" {
		t.Fatalf("recover = %d %s; want 202 %s", a.Code, a.Raw, want)
	}
	o := h.Temporal.Starts[len(h.Temporal.Starts)-1]
	in, _ := h.Temporal.Inputs[len(h.Temporal.Inputs)-1].(workflows.RecoverInput)
	if o.ID != want || o.WorkflowIDConflictPolicy != enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING || in.HookID != id || in.Tenant != "default" {
		t.Errorf("start = %+v input %+v", o, in)
	}
	// A hook that is off would only skip its deliveries again.
	if _, err := h.Store.SetHookState(bg, id, "", models.StateStopped, time.Now()); err != nil {
		t.Fatal(err)
	}
	if a := h.Do("POST", path, `{"since":"2026-01-02T03:04:05Z"}`); a.Code != 409 || !strings.Contains(a.Raw, "activate") {
		t.Errorf("recover of a stopped hook = %d %s", a.Code, a.Raw)
	}
}

func TestRedeliver(t *testing.T) {
	h := newHarness(t)
	id := h.createHook(hookJSON)
	failed := h.delivery(id, models.DeliveryFailed)
	path := fmt.Sprintf("/v1/deliveries/%d/redeliver", failed.ID)
	for p, code := range map[string]int{"/v1/deliveries/abc/redeliver": 400, "/v1/deliveries/0/redeliver": 400, "/v1/deliveries/999/redeliver": 404} {
		if a := h.Do("POST", p, ""); a.Code != code {
			t.Errorf("POST %s = %d, want %d", p, a.Code, code)
		}
	}
	if a := h.Do("POST", path, "", "X-Hookflow-Tenant", "other"); a.Code != 404 {
		t.Errorf("redeliver from another tenant = %d, want 404", a.Code)
	}
	want := workflows.RedeliverWorkflowID("default", failed.ID, 1)
	a := h.Do("POST", path, "")
	if a.Code != 202 || a.Body["workflow_id"] != want || a.Body["delivery_id"] != float64(failed.ID) {
		t.Fatalf("redeliver = %d %s; want 202 %s", a.Code, a.Raw, want)
	}
	if in, _ := h.Temporal.Inputs[len(h.Temporal.Inputs)-1].(workflows.RedeliverInput); in.DeliveryID != failed.ID || in.Generation != 1 {
		t.Errorf("input = %+v", in)
	}
	// The second click of a double click, once the redelivery has reopened
	// the delivery, names the same workflow.
	if ok, _ := h.Store.ReopenDelivery(bg, failed.ID, 1, want, time.Now()); !ok {
		t.Fatal("reopen failed")
	}
	if a := h.Do("POST", path, ""); a.Code != 202 || a.Body["workflow_id"] != want {
		t.Errorf("second click = %d %s; want 202 %s", a.Code, a.Raw, want)
	}
	pending := h.delivery(id, models.DeliveryPending)
	if a := h.Do("POST", fmt.Sprintf("/v1/deliveries/%d/redeliver", pending.ID), ""); a.Code != 409 {
		t.Errorf("redeliver a pending delivery = %d %s, want 409", a.Code, a.Raw)
	}
	if _, err := h.Store.SetHookState(bg, id, "", models.StateTooManyErrors, time.Now()); err != nil {
		t.Fatal(err)
	}
	skipped := h.delivery(id, models.DeliverySkipped)
	if a := h.Do("POST", fmt.Sprintf("/v1/deliveries/%d/redeliver", skipped.ID), ""); a.Code != 409 || !strings.Contains(a.Raw, "activate") {
		t.Errorf("redeliver for a disabled hook = %d %s, want 409", a.Code, a.Raw)
	}
}

func TestTestHook(t *testing.T) {
	h := newHarness(t)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Webhook-Signature") == "" {
			w.WriteHeader(400)
			return
		}
		w.WriteHeader(201)
		fmt.Fprint(w, "got it")
	}))
	defer rcv.Close()
	up := h.createHook(`{"events":["*"],"target_url":"` + rcv.URL + `"}`)
	a := h.Do("POST", fmt.Sprintf("/v1/hooks/%d/test", up), "")
	if a.Code != 200 || a.Body["ok"] != true || a.Body["status_code"] != float64(201) || a.Body["response"] != "got it" {
		t.Errorf("test = %d %s", a.Code, a.Raw)
	}
	down := h.createHook(`{"events":["*"],"target_url":"http://127.0.0.1:1/"}`)
	a = h.Do("POST", fmt.Sprintf("/v1/hooks/%d/test", down), "")
	if a.Code != 200 || a.Body["ok"] != false || a.Body["error"] == nil {
		t.Errorf("test of an unreachable target = %d %s", a.Code, a.Raw)
	}
	if a := h.Do("POST", "/v1/hooks/x/test", ""); a.Code != 400 || a.ErrorField() != "id" {
		t.Errorf("test with a bad id = %d %s", a.Code, a.Raw)
	}
}

func TestListNotificationsAndDeliveries(t *testing.T) {
	h := newHarness(t)
	id := h.createHook(hookJSON)
	for i, tenant := range []string{"default", "default", "other"} {
		n := &models.Notification{Tenant: tenant, HookID: id + int64(i%2), Kind: models.KindHookDisabled, Key: fmt.Sprint("k", i),
			Recipient: "ops@example.com", Subject: "s", Body: "b", CreatedAt: time.Now().UTC()}
		if _, err := h.Store.CreateNotification(bg, n); err != nil {
			t.Fatal(err)
		}
	}
	a := h.Do("GET", "/v1/notifications?limit=1", "")
	data, _ := a.Body["data"].([]any)
	if a.Code != 200 || len(data) != 1 || a.Body["next_cursor"] == nil {
		t.Fatalf("first page = %d %s", a.Code, a.Raw)
	}
	next := h.Do("GET", "/v1/notifications?limit=1&cursor="+a.Body["next_cursor"].(string), "")
	if data, _ := next.Body["data"].([]any); len(data) != 1 || next.Body["next_cursor"] != nil {
		t.Errorf("second page = %s, want the tenant's last notification", next.Raw)
	}
	if a := h.Do("GET", fmt.Sprintf("/v1/notifications?hook_id=%d", id), ""); len(a.Body["data"].([]any)) != 1 {
		t.Errorf("by hook = %s", a.Raw)
	}
	if a := h.Do("GET", "/v1/notifications?hook_id=x", ""); a.Code != 400 || a.ErrorField() != "hook_id" {
		t.Errorf("bad hook_id = %d %s", a.Code, a.Raw)
	}

	h.delivery(id, models.DeliveryFailed)
	h.delivery(id, models.DeliverySucceeded)
	if a := h.Do("GET", fmt.Sprintf("/v1/deliveries?hook_id=%d&status=failed", id), ""); len(a.Body["data"].([]any)) != 1 {
		t.Errorf("failed deliveries = %s", a.Raw)
	}
	if a := h.Do("GET", "/v1/deliveries", "", "X-Hookflow-Tenant", "other"); a.Code != 200 || len(a.Body["data"].([]any)) != 0 {
		t.Errorf("another tenant's deliveries = %s", a.Raw)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if a := h.Do("GET", "/v1/deliveries?since="+future, ""); len(a.Body["data"].([]any)) != 0 {
		t.Errorf("deliveries since an hour from now = %s", a.Raw)
	}
	if a := h.Do("GET", "/v1/deliveries?limit=1&until="+future, ""); len(a.Body["data"].([]any)) != 1 || a.Body["next_cursor"] == nil {
		t.Errorf("first page of deliveries = %s", a.Raw)
	}
	for _, q := range []string{"status=lost", "since=yesterday", "since=2026-01-02T3:04:05Z", "hook_id=-1"} {
		if a := h.Do("GET", "/v1/deliveries?"+q, ""); a.Code != 400 {
			t.Errorf("GET /v1/deliveries?%s = %d, want 400", q, a.Code)
		}
	}
}
