// Package activities holds hookflow's side effects, run by Temporal: planning
// deliveries in the database, sending them over HTTP, recording outcomes and
// telling hook owners. Workflows reference them through nil receivers.
package activities

// Error types of the ApplicationErrors activities return. Workflows and retry
// policies branch on them; the non-retryable ones never heal by retrying.
const (
	ErrTypeHTTPStatus = "HTTPStatus"    // the receiver answered non-2xx: retried
	ErrTypeNetwork    = "Network"       // connect, TLS or timeout: retried
	ErrTypeAuth       = "ReceiverAuth"  // the receiver credentials could not be used (token endpoint, expired certificate): retried
	ErrTypeGone       = "Gone"          // 410: not retried, the hook is turned off at once
	ErrTypeRefused    = "TargetRefused" // the SSRF policy refused the address: not retried
	ErrTypeNotFound   = "NotFound"      // the delivery, event or hook row is gone: not retried
	ErrTypeBadPayload = "BadPayload"    // the stored event cannot be rendered: not retried
	ErrTypePlanFailed = "PlanFailed"    // a hook's filter or stored options cannot be evaluated: not retried
	ErrTypeThrottled  = "Throttled"     // the hook's rate limit shuts the gate for longer than an attempt waits: no request was made

	ErrTypeNoRetention = "NoRetention" // a worker without HOOKFLOW_RETENTION was asked to prune: not retried

	ErrTypeMail         = "Mail"         // the mail server is unreachable or said 4xx: retried
	ErrTypeMailRejected = "MailRejected" // the mail server refused the mail for good: not retried
)

// NonRetryable lists the error types a delivery's retry policy must not retry.
var NonRetryable = []string{ErrTypeGone, ErrTypeRefused, ErrTypeNotFound, ErrTypeBadPayload}
