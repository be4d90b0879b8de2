package models

import "time"

// DeliveryStatus is where one request to a receiver stands.
type DeliveryStatus string

// Delivery statuses. Pending covers waiting, in flight and between retries;
// throttled is pending too, waiting for a slot of its hook's rate_limit.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliveryThrottled DeliveryStatus = "throttled"
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed"
	DeliverySkipped   DeliveryStatus = "skipped"
)

// Valid reports whether s is a known status.
func (s DeliveryStatus) Valid() bool {
	return s.Open() || s == DeliverySucceeded || s == DeliveryFailed || s == DeliverySkipped
}

// Open reports whether a delivery in status s has not ended yet.
func (s DeliveryStatus) Open() bool { return s == DeliveryPending || s == DeliveryThrottled }

// OpenStatuses are the statuses of deliveries that have not ended.
var OpenStatuses = []DeliveryStatus{DeliveryPending, DeliveryThrottled}

// Delivery is one request to send: one chunk (or one record, for formats
// that carry one) of one event to one hook. Its id is the webhook-id the
// receiver sees, the same on every retry and redelivery.
type Delivery struct {
	ID      int64 `gorm:"primaryKey"`
	Tenant  string
	EventPK int64 `gorm:"column:event_pk"`
	EventID string
	HookID  int64
	// Seq orders the hook's requests for this event; Count is how many there are.
	Seq   int
	Count int
	// Records are the indexes of the event records this request carries.
	Records        JSON[[]int]
	Status         DeliveryStatus
	Attempts       int
	LastStatusCode int
	LastError      string
	// WorkflowID is the workflow sending the delivery: the event's, or the
	// redelivery's once it was sent again.
	WorkflowID string
	// Redeliveries counts how many times the delivery was sent again; attempt
	// numbers go on across them.
	Redeliveries int
	CreatedAt    time.Time
	UpdatedAt    time.Time
	CompletedAt  *time.Time
}

// Attempt is one try of a delivery: one HTTP request, or one refusal.
type Attempt struct {
	ID              int64 `gorm:"primaryKey"`
	DeliveryID      int64
	Number          int
	StartedAt       time.Time
	StatusCode      int
	LatencyMS       int64 `gorm:"column:latency_ms"`
	Error           string
	ResponseExcerpt string
}

// MaxResponseExcerpt is how much of a receiver's answer an attempt keeps.
const MaxResponseExcerpt = 1024
