package email_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/email"
	"github.com/hookflow/hookflow/internal/email/smtptest"
)

var msg = email.Message{To: "ops@example.com", Subject: "hook 7 was turned off", Body: "line one\nline two\n"}

func TestSendOverEveryTransport(t *testing.T) {
	tests := []struct {
		name     string
		opts     smtptest.Options
		wantTLS  bool
		wantUser string
	}{
		{"plain", smtptest.Options{}, false, ""},
		{"STARTTLS", smtptest.Options{TLS: true}, true, ""},
		{"STARTTLS with auth", smtptest.Options{TLS: true, User: "hookflow", Password: "s3cret"}, true, "hookflow"},
		{"smtps with auth", smtptest.Options{Implicit: true, User: "hookflow", Password: "s3cret"}, true, "hookflow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, tt.opts)
			s, err := email.New(email.Options{URL: srv.URL, From: "hookflow@example.com", Timeout: 5 * time.Second, TLS: srv.ClientTLS})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(context.Background(), msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := srv.Mails()
			if len(got) != 1 {
				t.Fatalf("server got %d mails, want 1", len(got))
			}
			m := got[0]
			if m.From != "hookflow@example.com" || len(m.To) != 1 || m.To[0] != "ops@example.com" || m.TLS != tt.wantTLS || m.User != tt.wantUser {
				t.Errorf("mail = from %s to %v, TLS %v, user %q", m.From, m.To, m.TLS, m.User)
			}
			if !strings.Contains(m.Data, "Subject: hook 7 was turned off") || !strings.Contains(m.Data, "line two") {
				t.Errorf("data = %s", m.Data)
			}
		})
	}
}

// A password is never sent in clear: with no TLS on offer, auth fails and
// nothing is sent.
func TestNoPasswordOverPlainText(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{User: "hookflow", Password: "s3cret"})
	s, err := email.New(email.Options{URL: srv.URL, From: "hookflow@example.com", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), msg); err == nil || len(srv.Mails()) != 0 {
		t.Fatalf("Send over plain text with credentials = %v, %d mails; want an error and none", err, len(srv.Mails()))
	}
}

func TestRefusalsAreClassified(t *testing.T) {
	for code, permanent := range map[int]bool{550: true, 451: false} {
		srv := smtptest.Start(t, smtptest.Options{RcptCode: code})
		s, _ := email.New(email.Options{URL: srv.URL, From: "hookflow@example.com", Timeout: 5 * time.Second})
		err := s.Send(context.Background(), msg)
		if err == nil || errors.Is(err, email.ErrRejected) != permanent {
			t.Errorf("RCPT answered %d: Send = %v; want rejected for good: %v", code, err, permanent)
		}
	}
}

func TestNewRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"", "http://mail.example.com", "smtp://", "smtp://host:port"} {
		if _, err := email.New(email.Options{URL: u, From: "a@b.c"}); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}

func TestHookDisabledMail(t *testing.T) {
	m, err := email.HookDisabled{ID: 7, Name: "CRM sync", Tenant: "acme", TargetURL: "https://crm.example.com/hook",
		FailingSince: "2026-01-02T03:04:05Z", ErrorCount: 19, LastError: "target answered 503 Service Unavailable", LastStatus: 503,
	}.Render("ops@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if m.To != "ops@example.com" || m.Subject != `[hookflow] hook "CRM sync" (#7) was turned off: its deliveries keep failing` {
		t.Errorf("to %s, subject %q", m.To, m.Subject)
	}
	for _, want := range []string{"CRM sync (id 7, tenant acme)", "https://crm.example.com/hook", "2026-01-02T03:04:05Z",
		"Failed attempts: 19", "target answered 503 Service Unavailable", "Last status:     503",
		"POST /v1/hooks/7/activate", `POST /v1/hooks/7/recover  {"since": "2026-01-02T03:04:05Z"}`} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, m.Body)
		}
	}
}
