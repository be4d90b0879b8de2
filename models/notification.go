package models

import "time"

// NotificationKind says what a notification tells.
type NotificationKind string

// KindHookDisabled is the errors_email mail: a hook turned TooManyErrors.
const KindHookDisabled NotificationKind = "hook_disabled"

// Notification is one mail hookflow sends, or would send: it is stored
// before sending, whether SMTP is configured or not, so operators can read
// every one (GET /v1/notifications).
type Notification struct {
	ID     int64 `gorm:"primaryKey"`
	Tenant string
	HookID int64
	Kind   NotificationKind
	// Key names what the notification is about (one hook transition), so a
	// retried activity stores and sends it once.
	Key       string
	Recipient string
	Subject   string
	Body      string
	CreatedAt time.Time
	SentAt    *time.Time // nil: not sent (yet, or ever when Error says why)
	Error     string
}
