package activities_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/egress"
	"github.com/hookflow/hookflow/internal/metrics"
	"github.com/hookflow/hookflow/internal/payload"
	"github.com/hookflow/hookflow/internal/plan"
	"github.com/hookflow/hookflow/internal/receiverauth"
	"github.com/hookflow/hookflow/internal/receiverauth/authtest"
	"github.com/hookflow/hookflow/internal/signature"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

var ctx = context.Background()

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// fixture stores one Active hook pointing at url and one event with two
// records, plans the hook's deliveries, and returns the store and delivery ids.
func fixture(t *testing.T, url string, edit func(h *models.Hook)) (*store.Store, *models.Hook, []int64) {
	t.Helper()
	st, h, e := unplannedFixture(t, url, edit)
	p := activities.NewPlanner(st, plan.Retry{InitialInterval: time.Second, Backoff: 2, MaxInterval: time.Minute, MaxAttempts: 3})
	plan, err := p.PlanHook(ctx, activities.PlanHookInput{EventPK: e.PK, HookID: h.ID, WorkflowID: "w"})
	if err != nil || len(plan.Deliveries) != 1 {
		t.Fatalf("PlanHook = %+v, %v", plan, err)
	}
	return st, h, plan.Deliveries
}

// unplannedFixture is fixture before the plan: the hook and the event, no delivery yet.
func unplannedFixture(t *testing.T, url string, edit func(h *models.Hook)) (*store.Store, *models.Hook, *models.Event) {
	t.Helper()
	st := storetest.Open(t, storetest.SQLite(t))
	now := time.Now().UTC().Add(-time.Second)
	h := &models.Hook{Tenant: "t1", HookSpec: models.HookSpec{Name: "crm", Events: models.JSON[[]string]{V: []string{"*"}}, TargetURL: url,
		Type: models.HookTypeWebhook, Format: payload.Standard, Headers: models.JSON[map[string]string]{V: map[string]string{"X-Tenant-Token": "abc"}}},
		Secret: secret, State: models.StateActive, Registered: now, Updated: now}
	if edit != nil {
		edit(h)
	}
	if err := st.CreateHook(ctx, h); err != nil {
		t.Fatal(err)
	}
	e := &models.Event{ID: "e1", Tenant: "t1", Type: "Contact.Update", OccurredAt: now, ReceivedAt: now, RecordCount: 2,
		Body: []byte(`{"records":[{"id":1,"email1":"a@example.com"},{"id":2,"email1":"b@example.com"}]}`), WorkflowID: "event/t1/e1"}
	if _, err := st.CreateEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	return st, h, e
}

func send(t *testing.T, st *store.Store, allowPrivate bool, id int64) (activities.SendResult, error) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	clients := egress.New(egress.Options{AllowPrivate: allowPrivate, Timeout: 500 * time.Millisecond, ConnectTimeout: time.Second, TLSTimeout: time.Second})
	env.RegisterActivity(activities.NewSender(st, receiverauth.New(clients), time.Hour))
	v, err := env.ExecuteActivity("SendWebhook", activities.SendInput{DeliveryID: id})
	var res activities.SendResult
	if err == nil {
		_ = v.Get(&res)
	}
	return res, err
}

func errType(err error) (string, bool, time.Duration) {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return "", false, 0
	}
	return appErr.Type(), appErr.NonRetryable(), appErr.NextRetryDelay()
}

func TestSendWebhookClassifiesAnswers(t *testing.T) {
	tests := []struct {
		name          string
		handler       http.HandlerFunc
		wantType      string // "" = success
		wantRetryable bool
		wantDelay     time.Duration
	}{
		{"200 succeeds", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "thanks") }, "", false, 0},
		{"204 succeeds", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }, "", false, 0},
		{"410 is final", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(410) }, activities.ErrTypeGone, false, 0},
		{"503 is retried", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }, activities.ErrTypeHTTPStatus, true, 0},
		{"429 Retry-After sets the delay", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(429)
		}, activities.ErrTypeHTTPStatus, true, 2 * time.Minute},
		{"400 is retried", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(400) }, activities.ErrTypeHTTPStatus, true, 0},
		{"redirect is not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://example.invalid/", http.StatusFound)
		}, activities.ErrTypeHTTPStatus, true, 0},
		{"timeout is retried", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
			}
		}, activities.ErrTypeNetwork, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got atomic.Pointer[http.Request]
			var body atomic.Value
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				body.Store(b)
				got.Store(r)
				tt.handler(w, r)
			}))
			defer srv.Close()
			st, h, ids := fixture(t, srv.URL, nil)
			res, err := send(t, st, true, ids[0])
			typ, nonRetryable, delay := errType(err)
			if typ != tt.wantType || (err != nil && nonRetryable == tt.wantRetryable) || delay != tt.wantDelay {
				t.Fatalf("SendWebhook err = %v (type %q, non-retryable %v, delay %s); want type %q retryable %v delay %s",
					err, typ, nonRetryable, delay, tt.wantType, tt.wantRetryable, tt.wantDelay)
			}
			r := got.Load()
			if r == nil {
				t.Fatal("receiver got no request")
			}
			// Every request is signed per Standard Webhooks and carries the hook's headers.
			b := body.Load().([]byte)
			if !signature.VerifyStandard(secret, r.Header.Get("Webhook-Id"), r.Header.Get("Webhook-Timestamp"), r.Header.Get("Webhook-Signature"), b, time.Now(), 5*time.Minute) {
				t.Errorf("signature does not verify: %v", r.Header)
			}
			if r.Header.Get("Webhook-Id") != "1" || r.Header.Get("X-Tenant-Token") != "abc" || !strings.HasPrefix(r.Header.Get("User-Agent"), "hookflow/") {
				t.Errorf("headers = %v", r.Header)
			}
			d, _ := st.Delivery(ctx, "", ids[0])
			as, _ := st.Attempts(ctx, ids[0])
			if len(as) != 1 || d.Attempts != 1 {
				t.Fatalf("attempts = %+v, delivery attempts %d; want one recorded", as, d.Attempts)
			}
			wantStatus := models.DeliveryPending
			if tt.wantType == "" {
				wantStatus = models.DeliverySucceeded
				if res.Status != models.DeliverySucceeded {
					t.Errorf("result = %+v", res)
				}
			}
			if d.Status != wantStatus {
				t.Errorf("delivery status = %s, want %s", d.Status, wantStatus)
			}
			if tt.name == "200 succeeds" && as[0].ResponseExcerpt != "thanks" {
				t.Errorf("response excerpt = %q", as[0].ResponseExcerpt)
			}
			if tt.wantType != "" && as[0].Error == "" {
				t.Errorf("failed attempt recorded no error")
			}
			hh, _ := st.Hook(ctx, "", h.ID)
			if (tt.wantType != "") != (hh.ErrorCount == 1) {
				t.Errorf("hook error count = %d", hh.ErrorCount)
			}
		})
	}
}

func TestSendWebhookSkipsInactiveHooks(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	for _, state := range []models.HookState{models.StateStopped, models.StateTooManyErrors} {
		t.Run(string(state), func(t *testing.T) {
			// Planned while Active, turned off before its attempt.
			st, h, ids := fixture(t, srv.URL, nil)
			if _, err := st.SetHookState(ctx, h.ID, "", state, time.Now()); err != nil {
				t.Fatal(err)
			}
			res, err := send(t, st, true, ids[0])
			if err != nil || res.Status != models.DeliverySkipped {
				t.Fatalf("SendWebhook = %+v, %v; want skipped", res, err)
			}
			d, _ := st.Delivery(ctx, "", ids[0])
			if d.Status != models.DeliverySkipped || !strings.Contains(d.LastError, string(state)) {
				t.Errorf("delivery = %s %q", d.Status, d.LastError)
			}
		})
	}
	if hits.Load() != 0 {
		t.Errorf("receiver got %d requests for inactive hooks", hits.Load())
	}
}

// An event that arrives while a hook is TooManyErrors is planned for it as
// skipped deliveries — chunked as if sent, with the reason, no request, none
// handed to the workflow — so recover can send them; a Stopped hook gets
// nothing, and the workflow sends to the Active hook only.
func TestPlanRecordsWhatAnOffHookMisses(t *testing.T) {
	st, active, _ := fixture(t, "http://127.0.0.1:1/", nil)
	hooks := map[models.HookState]*models.Hook{models.StateActive: active}
	for _, state := range []models.HookState{models.StateTooManyErrors, models.StateStopped} {
		h := *active
		h.ID, h.HookSpec.Options.V.ChunkSize = 0, 1 // one record per request: two deliveries
		if err := st.CreateHook(ctx, &h); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetHookState(ctx, h.ID, "", state, time.Now()); err != nil {
			t.Fatal(err)
		}
		hooks[state] = &h
	}
	ev, err := st.Event(ctx, "t1", "e1")
	if err != nil {
		t.Fatal(err)
	}
	p := activities.NewPlanner(st, plan.Retry{InitialInterval: time.Second, Backoff: 2, MaxInterval: time.Minute, MaxAttempts: 3})
	p.Metrics = metrics.New()
	for range 2 { // planned twice (a retried local activity): the same rows
		out, err := p.PlanEvent(ctx, activities.PlanEventInput{EventPK: ev.PK, WorkflowID: "w"})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Hooks) != 1 || out.Hooks[0].HookID != active.ID {
			t.Errorf("PlanEvent sends to %+v, want the Active hook %d only", out.Hooks, active.ID)
		}
	}
	off, err := st.Deliveries(ctx, store.DeliveryQuery{HookID: hooks[models.StateTooManyErrors].ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(off) != 2 {
		t.Fatalf("the TooManyErrors hook has %d deliveries, want one per record (2)", len(off))
	}
	for _, d := range off {
		if d.Status != models.DeliverySkipped || d.Attempts != 0 || d.Count != 2 || len(d.Records.V) != 1 || d.CompletedAt == nil ||
			!strings.Contains(d.LastError, "TooManyErrors") {
			t.Errorf("delivery for the TooManyErrors hook = %+v, want skipped, one record, no attempt, the reason", d)
		}
	}
	if ds, _ := st.Deliveries(ctx, store.DeliveryQuery{HookID: hooks[models.StateStopped].ID, Limit: 10}); len(ds) != 0 {
		t.Errorf("the Stopped hook has %d deliveries, want none", len(ds))
	}
	// Ended at plan time, they are counted as the sender counts those it
	// skips: once, however often the plan ran.
	if got := scrape(p.Metrics); !strings.Contains(got, `hookflow_deliveries_total{outcome="skipped"} 2`) {
		t.Errorf("metrics lack the two skipped deliveries:\n%s", grepLines(got, "hookflow_deliveries_total"))
	}
}

// grepLines is the lines of s that contain substr.
func grepLines(s, substr string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func TestSendWebhookRefusesPrivateTargets(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	st, _, ids := fixture(t, srv.URL, nil)
	_, err := send(t, st, false, ids[0])
	typ, nonRetryable, _ := errType(err)
	if typ != activities.ErrTypeRefused || !nonRetryable {
		t.Fatalf("err = %v, want non-retryable %s", err, activities.ErrTypeRefused)
	}
	if hits.Load() != 0 {
		t.Error("a refused target got the request")
	}
	as, _ := st.Attempts(ctx, ids[0])
	if len(as) != 1 || !strings.Contains(as[0].Error, "address is not allowed") {
		t.Errorf("attempts = %+v", as)
	}
}

// FailDelivery turns the hook off and names the transition; retried (the
// worker died before Temporal heard the answer) it reports the same
// transition again, so its mail is not lost. Other transitions are refused
// (internal/store's TestFailDeliveryDisablesTheHookOncePerTransition).
func TestFailDeliveryTurnsTheHookOff(t *testing.T) {
	st, h, ids := fixture(t, "http://127.0.0.1:1/", nil)
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Recorder{Store: st, Now: time.Now})
	for i := range 2 {
		v, err := env.ExecuteActivity("FailDelivery", activities.FailInput{DeliveryID: ids[0], Reason: "target answered 503"})
		if err != nil {
			t.Fatal(err)
		}
		var res activities.FailResult
		_ = v.Get(&res)
		if !res.Disabled || res.HookID != h.ID || res.Tenant != "t1" || res.Transition != fmt.Sprintf("%d.0", ids[0]) {
			t.Errorf("call %d: FailDelivery = %+v, want hook %d disabled by transition %d.0", i, res, h.ID, ids[0])
		}
	}
	hh, _ := st.Hook(ctx, "", h.ID)
	d, _ := st.Delivery(ctx, "", ids[0])
	if hh.State != models.StateTooManyErrors || d.Status != models.DeliveryFailed || d.LastError != "target answered 503" {
		t.Errorf("hook %s, delivery %s %q", hh.State, d.Status, d.LastError)
	}
}

// Credentials that cannot be used send nothing and say why in the attempt
// log: a token endpoint that refuses is retried (the owner may fix the
// credentials), one on a private address is refused for good.
func TestSendWebhookRecordsCredentialFailures(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	ts := authtest.NewTokenServer(t, "client", "right")
	oauth := func(h *models.Hook) {
		h.ReceiverAuth = &models.ReceiverAuth{Type: models.AuthOAuth2, TokenURL: ts.TokenURL(), ClientID: "client", ClientSecret: "wrong"}
	}
	for _, tt := range []struct {
		name          string
		allowPrivate  bool
		wantType      string
		wantRetryable bool
		wantError     string
	}{
		{"refused credentials", true, activities.ErrTypeAuth, true, "receiver_auth.client_secret: the token endpoint refused"},
		{"private token endpoint", false, activities.ErrTypeRefused, false, "receiver_auth.token_url"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, _, ids := fixture(t, srv.URL, oauth)
			_, err := send(t, st, tt.allowPrivate, ids[0])
			typ, nonRetryable, _ := errType(err)
			if typ != tt.wantType || nonRetryable == tt.wantRetryable {
				t.Fatalf("err = %v (type %q, non-retryable %v), want %s retryable %v", err, typ, nonRetryable, tt.wantType, tt.wantRetryable)
			}
			as, _ := st.Attempts(ctx, ids[0])
			if len(as) != 1 || !strings.HasPrefix(as[0].Error, tt.wantError) || strings.Contains(as[0].Error, "wrong") {
				t.Errorf("attempts = %+v, want one saying %q", as, tt.wantError)
			}
		})
	}
	if hits.Load() != 0 {
		t.Errorf("the receiver got %d requests without credentials", hits.Load())
	}
}
