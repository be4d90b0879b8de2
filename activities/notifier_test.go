package activities_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/email"
	"github.com/hookflow/hookflow/internal/email/smtptest"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/testsuite"
)

// failed stores a hook (edited by edit) whose one delivery failed with a 503,
// turned off by that failure.
func failed(t *testing.T, edit func(h *models.Hook)) (*store.Store, *models.Hook, int64) {
	t.Helper()
	st, h, ids := fixture(t, "https://crm.example.com/hook", edit)
	a := models.Attempt{StartedAt: time.Now().UTC(), StatusCode: 503, Error: "target answered 503 Service Unavailable"}
	if _, err := st.RecordAttempt(ctx, ids[0], store.AttemptOutcome{Attempt: a, Status: models.DeliveryPending}); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishDelivery(ctx, ids[0], models.DeliveryFailed, a.Error, time.Now()); err != nil {
		t.Fatal(err)
	}
	return st, h, ids[0]
}

func notify(t *testing.T, n *activities.Notifier, in activities.NotifyInput) error {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(n)
	_, err := env.ExecuteActivity("NotifyDisabled", in)
	return err
}

func notifications(t *testing.T, st *store.Store) []models.Notification {
	t.Helper()
	ns, err := st.Notifications(ctx, store.NotificationQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// The mail goes out once over STARTTLS with auth and says what the owner
// needs; the activity run again (a retry) sends nothing more.
func TestNotifyDisabledMailsOnce(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{TLS: true, User: "hookflow", Password: "s3cret"})
	mail, err := email.New(email.Options{URL: srv.URL, From: "hookflow@example.com", Timeout: 5 * time.Second, TLS: srv.ClientTLS})
	if err != nil {
		t.Fatal(err)
	}
	st, h, id := failed(t, func(h *models.Hook) { h.ErrorsEmail = "ops@example.com" })
	n := &activities.Notifier{Store: st, Mail: mail, Now: time.Now}
	in := activities.NotifyInput{HookID: h.ID, DeliveryID: id, Transition: "1.0"}
	for range 2 {
		if err := notify(t, n, in); err != nil {
			t.Fatal(err)
		}
	}
	got := srv.Mails()
	if len(got) != 1 || !got[0].TLS || got[0].To[0] != "ops@example.com" {
		t.Fatalf("mails = %+v, want one over TLS to ops@example.com", got)
	}
	for _, want := range []string{`hook "crm" (#1) was turned off`, "Target:          https://crm.example.com\r\n", "503 Service Unavailable", "POST /v1/hooks/1/activate"} {
		if !strings.Contains(got[0].Data, want) {
			t.Errorf("mail lacks %q:\n%s", want, got[0].Data)
		}
	}
	if strings.Contains(got[0].Data, "/hook\r") { // the path can be a credential: scheme and host only
		t.Errorf("mail shows the target's path:\n%s", got[0].Data)
	}
	ns := notifications(t, st)
	if len(ns) != 1 || ns[0].SentAt == nil || ns[0].Error != "" || ns[0].Tenant != "t1" || ns[0].Kind != models.KindHookDisabled {
		t.Errorf("notifications = %+v, want one, sent", ns)
	}
}

// With no SMTP, or no errors_email, the mail is kept with the reason it was
// not sent, and the activity succeeds: there is nothing to retry.
func TestNotifyDisabledKeepsUnsentMail(t *testing.T) {
	for name, tt := range map[string]struct {
		email     string
		wantError string
	}{
		"no SMTP":         {"ops@example.com", "no SMTP configured"},
		"no errors_email": {"", "hook has no errors_email"},
	} {
		t.Run(name, func(t *testing.T) {
			st, h, id := failed(t, func(h *models.Hook) { h.ErrorsEmail = tt.email })
			if err := notify(t, &activities.Notifier{Store: st, Now: time.Now}, activities.NotifyInput{HookID: h.ID, DeliveryID: id, Transition: "1.0"}); err != nil {
				t.Fatal(err)
			}
			ns := notifications(t, st)
			if len(ns) != 1 || ns[0].SentAt != nil || !strings.Contains(ns[0].Error, tt.wantError) || !strings.Contains(ns[0].Body, "POST /v1/hooks/1/activate") {
				t.Errorf("notifications = %+v", ns)
			}
		})
	}
}

// A mail the server refuses for good is not retried; a 4xx is.
func TestNotifyDisabledClassifiesRefusals(t *testing.T) {
	for code, want := range map[int]struct {
		typ       string
		retryable bool
	}{550: {activities.ErrTypeMailRejected, false}, 451: {activities.ErrTypeMail, true}} {
		srv := smtptest.Start(t, smtptest.Options{RcptCode: code})
		mail, _ := email.New(email.Options{URL: srv.URL, From: "hookflow@example.com", Timeout: 5 * time.Second})
		st, h, id := failed(t, func(h *models.Hook) { h.ErrorsEmail = "ops@example.com" })
		err := notify(t, &activities.Notifier{Store: st, Mail: mail, Now: time.Now}, activities.NotifyInput{HookID: h.ID, DeliveryID: id, Transition: "1.0"})
		typ, nonRetryable, _ := errType(err)
		if typ != want.typ || nonRetryable == want.retryable {
			t.Errorf("RCPT %d: err = %v (type %s, non-retryable %v)", code, err, typ, nonRetryable)
		}
		if ns := notifications(t, st); len(ns) != 1 || ns[0].SentAt != nil || !strings.Contains(ns[0].Error, "recipient refused") {
			t.Errorf("RCPT %d: notification = %+v, want the server's answer kept", code, ns)
		}
	}
}

// The webhook.errors event of a transition is stored once, in the hook's
// tenant, and carries the hook but not its secret.
func TestRecordStateEventOncePerTransition(t *testing.T) {
	st, h, _ := failed(t, nil)
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Recorder{Store: st, Now: time.Now})
	in := activities.StateEventInput{HookID: h.ID, To: models.StateTooManyErrors, Transition: "1.0", WorkflowID: "event/t1/webhook-1-errors-1.0"}
	var pks []int64
	for range 2 {
		v, err := env.ExecuteActivity("RecordStateEvent", in)
		if err != nil {
			t.Fatal(err)
		}
		var pk int64
		_ = v.Get(&pk)
		pks = append(pks, pk)
	}
	ev, err := st.Event(ctx, "t1", models.StateEventID(h.ID, models.StateTooManyErrors, "1.0"))
	if err != nil || pks[0] != ev.PK || pks[1] != ev.PK {
		t.Fatalf("event = %+v, %v; activity answered %v", ev, err, pks)
	}
	if ev.Type != models.EventHookErrors || ev.AboutHookID != h.ID || ev.WorkflowID != in.WorkflowID || strings.Contains(string(ev.Body), secret) {
		t.Errorf("event = %+v, body %s", ev, ev.Body)
	}
}
