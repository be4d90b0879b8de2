package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/internal/egress"
	"github.com/hookflow/hookflow/internal/email"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// Notifier mails hook owners. Every mail is stored before it is sent, so
// operators can read it (GET /v1/notifications) and a retried activity does
// not send it twice. It is safe for concurrent use.
type Notifier struct {
	Store notifyStore
	Mail  mailer // nil: no SMTP configured; mails are logged and kept
	Now   func() time.Time
}

type notifyStore interface {
	Hook(ctx context.Context, tenant string, id int64) (*models.Hook, error)
	Delivery(ctx context.Context, tenant string, id int64) (*models.Delivery, error)
	CreateNotification(ctx context.Context, n *models.Notification) (*models.Notification, error)
	MarkNotification(ctx context.Context, id int64, sentAt *time.Time, errMsg string) error
}

// mailer sends one mail; *email.Sender is one.
type mailer interface {
	Send(ctx context.Context, m email.Message) error
}

// NotifyInput names the transition that turned a hook off and the delivery
// whose failure caused it.
type NotifyInput struct {
	HookID     int64
	DeliveryID int64
	Transition string
}

// NotifyDisabled sends the errors_email mail of a TooManyErrors transition:
// the hook, its target, the last error and status, since when it fails and
// how to re-activate it. The mail is rendered and stored on the first try and
// marked sent once the server takes it; a retry sends the stored mail unless
// it is marked. A server that refuses it for good is not retried.
func (n *Notifier) NotifyDisabled(ctx context.Context, in NotifyInput) error {
	row, err := n.store(ctx, in)
	if err != nil || row.SentAt != nil {
		return err
	}
	log := activity.GetLogger(ctx)
	switch {
	case row.Recipient == "":
		log.Warn("hook turned off; it has no errors_email to tell", "hook_id", row.HookID, "notification_id", row.ID)
		return n.Store.MarkNotification(ctx, row.ID, nil, "hook has no errors_email")
	case n.Mail == nil:
		log.Warn("no SMTP configured: mail kept, not sent", "hook_id", row.HookID, "notification_id", row.ID,
			"to", row.Recipient, "subject", row.Subject)
		return n.Store.MarkNotification(ctx, row.ID, nil, "no SMTP configured (HOOKFLOW_SMTP_URL): kept, not sent")
	}
	if err := n.Mail.Send(ctx, email.Message{To: row.Recipient, Subject: row.Subject, Body: row.Body}); err != nil {
		if markErr := n.Store.MarkNotification(ctx, row.ID, nil, err.Error()); markErr != nil {
			return markErr
		}
		if errors.Is(err, email.ErrRejected) {
			return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeMailRejected, err)
		}
		return temporal.NewApplicationError(err.Error(), ErrTypeMail)
	}
	sent := n.Now().UTC()
	log.Info("errors_email sent", "hook_id", row.HookID, "notification_id", row.ID)
	return n.Store.MarkNotification(ctx, row.ID, &sent, "")
}

// store renders the mail of a transition and stores it, or returns the row
// an earlier try stored.
func (n *Notifier) store(ctx context.Context, in NotifyInput) (*models.Notification, error) {
	h, err := n.Store.Hook(ctx, "", in.HookID)
	if err != nil {
		return nil, notFoundIsFinal(err)
	}
	d, err := n.Store.Delivery(ctx, "", in.DeliveryID)
	if err != nil {
		return nil, notFoundIsFinal(err)
	}
	now := n.Now().UTC()
	since := now
	if h.FailingSince != nil {
		since = h.FailingSince.UTC()
	}
	m, err := email.HookDisabled{
		ID: h.ID, Name: h.Name, Tenant: h.Tenant, TargetURL: egress.RedactURL(h.TargetURL), FailingSince: since.Format(time.RFC3339),
		ErrorCount: h.ErrorCount, LastError: d.LastError, LastStatus: d.LastStatusCode,
	}.Render(h.ErrorsEmail)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("render mail", ErrTypeBadPayload, err)
	}
	return n.Store.CreateNotification(ctx, &models.Notification{
		Tenant: h.Tenant, HookID: h.ID, Kind: models.KindHookDisabled, Key: fmt.Sprintf("%s/%d/%s", models.KindHookDisabled, h.ID, in.Transition),
		Recipient: m.To, Subject: m.Subject, Body: m.Body, CreatedAt: now,
	})
}
