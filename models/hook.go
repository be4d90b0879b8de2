package models

import (
	"fmt"
	"maps"
	"net/mail"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// HookState is SuperOffice's webhook state.
type HookState string

// Hook states. Only Active hooks receive deliveries.
const (
	StateActive        HookState = "Active"
	StateStopped       HookState = "Stopped"
	StateTooManyErrors HookState = "TooManyErrors"
)

// Valid reports whether s is a known state.
func (s HookState) Valid() bool {
	return s == StateActive || s == StateStopped || s == StateTooManyErrors
}

// Format is a delivery wire format (docs/spec.md §6): "standard", "superoffice"…
// The formats themselves live in the format registry (internal/payload).
type Format string

// FormatSet is what validating a hook needs to know of the wire formats. The
// format registry (payload.Formats) is the one implementation; models cannot
// import it, so it is passed in.
type FormatSet interface {
	Known(Format) bool
	Names() []string // for the message that lists them
	// ReservedHeader reports whether a header belongs to a family some
	// format sets (Webhook-*, X-SuperOffice-*).
	ReservedHeader(name string) bool
}

// HookTypeWebhook is the only hook type: an HTTP POST.
const HookTypeWebhook = "webhook"

// Hook is a subscription: which events a receiver wants and how to deliver
// them. Its owner sets the HookSpec, the credentials and the state it asks
// for; the server owns the rest.
type Hook struct {
	ID     int64 `gorm:"primaryKey"`
	Tenant string
	HookSpec

	// State is the owner's choice, Active or Stopped, until failures turn
	// it TooManyErrors. An edit writes it only when it changes it
	// (store.UpdateHook), so an edit racing a failure leaves the hook off.
	State HookState

	// Secret signs deliveries. It and ReceiverAuth are the owner's too, but
	// write-only: never shown back, so a PUT that does not give them keeps
	// them. They, and PreviousSecret, are never written as they are: the
	// store seals them into Sealed and opens them from it, so no code path
	// can store a secret in clear.
	Secret string `gorm:"-"`
	// ReceiverAuth, when set, is presented to the receiver with every delivery.
	ReceiverAuth *ReceiverAuth `gorm:"-"`

	// PreviousSecret still signs deliveries until PreviousSecretExpires, so
	// receivers can roll over to a rotated secret without dropping any.
	PreviousSecret        string `gorm:"-"`
	PreviousSecretExpires *time.Time

	// Sealed holds the secret columns as the database does.
	Sealed SealedSecrets `gorm:"embedded"`

	Registered   time.Time
	RegisteredBy string
	Updated      time.Time
	UpdatedBy    string

	// ErrorCount counts failed attempts since the last success or activation.
	ErrorCount   int
	FailingSince *time.Time
	LastError    string
	// DisabledBy names the failure that turned the hook TooManyErrors (its
	// delivery and redelivery number), so a retried FailDelivery recognises
	// its own transition and still sends the mail it owes.
	DisabledBy string
}

// HookSpec is what a hook's owner sets and reads back: which events go
// where, in which format, with which options. It is the one list of them:
// PUT replaces it whole and keeps the rest of the hook; PATCH and the vendor
// APIs change the fields they name; store.UpdateHook writes its columns and,
// of what the server owns, nothing. The API's hook bodies and answers carry
// it by its json names.
//
// A new field goes here with its json name and a migration; then
// TestHookSpecIsMappedEverywhere (cmd/hookflow) names every place that must
// say how it is shown or set (docs/architecture.md, "Adding a hook field").
type HookSpec struct {
	Name        string                  `json:"name"`
	Events      JSON[[]string]          `json:"events"`
	TargetURL   string                  `json:"target_url"`
	Type        string                  `json:"type"`
	Format      Format                  `json:"format"`
	Headers     JSON[map[string]string] `json:"headers"`
	Properties  JSON[map[string]any]    `json:"properties"`
	ErrorsEmail string                  `json:"errors_email"`
	InsecureSSL bool                    `json:"insecure_ssl" gorm:"column:insecure_ssl"`
	Options     JSON[Options]           `json:"options"`
	// RateLimit is the most requests a second the hook's receiver gets,
	// across every worker and event; 0 is unlimited (docs/spec.md §7).
	RateLimit int `json:"rate_limit"`
	// Ordering is "none" (deliveries go out in parallel) or "fifo" (one at
	// a time, in the order the events were accepted; docs/spec.md §7).
	Ordering Ordering `json:"ordering"`
}

// Ordering says whether a hook's deliveries keep the order of their events.
type Ordering string

// Orderings a hook can ask for.
const (
	OrderingNone Ordering = "none"
	OrderingFIFO Ordering = "fifo"
)

// FIFO reports whether the hook's deliveries go out one at a time, in order.
func (h *Hook) FIFO() bool { return h.Ordering == OrderingFIFO }

// MaxRateLimit bounds rate_limit: a thousand requests a second spaces them a
// millisecond apart, finer than the database's slot bookkeeping is worth;
// a receiver that takes more needs no limit.
const MaxRateLimit = 1000

// SealedSecrets are a hook's secret columns as stored: each empty or a value
// sealed by internal/seal and bound to the hook's id and column. Only the
// store reads and writes them.
type SealedSecrets struct {
	Secret         string `gorm:"column:secret"`
	PreviousSecret string `gorm:"column:previous_secret"`
	ReceiverAuth   string `gorm:"column:receiver_auth"`
}

// SigningSecrets returns the secrets that sign a delivery sent at t: the
// current one and, while its rotation grace period lasts, the previous one.
func (h *Hook) SigningSecrets(t time.Time) []string {
	if h.PreviousSecret != "" && h.PreviousSecretExpires != nil && t.Before(*h.PreviousSecretExpires) {
		return []string{h.Secret, h.PreviousSecret}
	}
	return []string{h.Secret}
}

// Patterns parses the hook's event patterns; call Validate first.
func (h *Hook) Patterns() []Pattern {
	out := make([]Pattern, 0, len(h.Events.V))
	for _, e := range h.Events.V {
		if p, err := ParsePattern(e); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// Matches reports whether one of the hook's patterns covers the event type.
func (h *Hook) Matches(eventType Pattern) bool {
	for _, p := range h.Patterns() {
		if p.Matches(eventType) {
			return true
		}
	}
	return false
}

// Limits on hook fields, generous enough for any CRM and small enough that a
// hook always fits in one row and one log line.
const (
	MaxNameLen     = 255
	MaxURLLen      = 2048
	MaxEvents      = 100
	MaxHeaders     = 50
	MaxHeaderLen   = 4096
	MinSecretLen   = 8
	MaxSecretLen   = 256
	MaxPropertyLen = 64 << 10
)

// reservedHeaders are set by hookflow or by the transport; a custom header
// may not replace them, or framing would break (Content-*, Host, hop-by-hop
// headers) or a receiver could be handed a forged signature.
var reservedHeaders = map[string]bool{
	"Content-Type": true, "Content-Length": true, "Content-Encoding": true, "Host": true, "User-Agent": true,
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Proxy-Connection": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Expect": true, "Http2-Settings": true,
}

// reservedHeader reports whether a custom header named name would override
// one that hookflow sets: a transport header, or one of a format's families
// that carry signatures and ids. name is compared case-insensitively.
func reservedHeader(formats FormatSet, name string) bool {
	return reservedHeaders[textproto.CanonicalMIMEHeaderKey(name)] || formats.ReservedHeader(name)
}

// Validate checks every field a user sets and reports all problems at once;
// formats says which wire formats exist.
func (h *Hook) Validate(formats FormatSet) error {
	var v ValidationError
	switch {
	case len(h.Name) > MaxNameLen:
		v.Add("name", "is longer than 255 characters")
	case HasControl(h.Name):
		v.Add("name", "must not contain control characters (CR, LF, NUL, ...)")
	}
	validateEvents(&v, h.Events.V)
	validateURL(&v, "target_url", h.TargetURL)
	switch {
	case len(h.Secret) < MinSecretLen || len(h.Secret) > MaxSecretLen:
		v.Add("secret", "must be 8 to 256 characters")
	case HasControl(h.Secret):
		// A secret travels in a header or a form field of some formats.
		v.Add("secret", "must not contain control characters (CR, LF, NUL, ...)")
	}
	if !h.State.Valid() {
		v.Add("state", "must be Active, Stopped or TooManyErrors")
	}
	if h.Type != HookTypeWebhook {
		v.Add("type", `must be "webhook" (the only hook type: an HTTP POST)`)
	}
	if !formats.Known(h.Format) {
		v.Add("format", "must be one of "+strings.Join(formats.Names(), ", "))
	}
	validateHeaders(&v, formats, h.Headers.V)
	validateNumbers(&v, "properties", h.Properties.V)
	if h.ReceiverAuth != nil {
		h.ReceiverAuth.validate(&v, h.InsecureSSL)
		if h.ReceiverAuth.SetsAuthorization() {
			for name := range h.Headers.V {
				if textproto.CanonicalMIMEHeaderKey(name) == "Authorization" {
					v.Add("headers."+name, "is set by receiver_auth ("+string(h.ReceiverAuth.Type)+"): drop one of them")
				}
			}
		}
	}
	if h.ErrorsEmail != "" {
		if a, err := mail.ParseAddress(h.ErrorsEmail); err != nil || a.Name != "" {
			v.Add("errors_email", "is not an email address")
		}
	}
	h.Options.V.validate(&v)
	if h.RateLimit < 0 || h.RateLimit > MaxRateLimit {
		v.Add("rate_limit", "must be 0 (unlimited) to 1000 requests a second")
	}
	if h.Ordering != OrderingNone && h.Ordering != OrderingFIFO && h.Ordering != "" { // "": a hook made in code, none
		v.Add("ordering", `must be "none" or "fifo"`)
	}
	for _, c := range h.columns() {
		if c.err != nil { // an edit that leaves it would store what was lost (an empty filter)
			v.Add(c.name, "as stored cannot be read back ("+c.err.Error()+"); give it in full to replace it")
		}
	}
	return v.Err()
}

func validateEvents(v *ValidationError, events []string) {
	if len(events) == 0 {
		v.Add("events", "must list at least one pattern such as contact.created, contact.* or *")
		return
	}
	if len(events) > MaxEvents {
		v.Add("events", "has more than 100 patterns")
	}
	for i, e := range events {
		if _, err := ParsePattern(e); err != nil {
			v.Add(indexed("events", i), err.Error())
		}
	}
}

// validateURL checks a URL hookflow sends to: target_url, receiver_auth.token_url.
func validateURL(v *ValidationError, field, raw string) {
	if raw == "" {
		v.Add(field, "is required")
		return
	}
	if len(raw) > MaxURLLen || !utf8.ValidString(raw) {
		v.Add(field, "is longer than 2048 characters or not UTF-8")
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		v.Add(field, "is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		v.Add(field, "must be an http or https URL")
	case u.Host == "" || u.Hostname() == "":
		v.Add(field, "has no host")
	case u.User != nil:
		v.Add(field, "must not carry credentials; use receiver_auth instead")
	}
}

func validateHeaders(v *ValidationError, formats FormatSet, headers map[string]string) {
	if len(headers) > MaxHeaders {
		v.Add("headers", "has more than 50 headers")
	}
	seen := map[string]string{} // canonical name → the name given
	for _, name := range slices.Sorted(maps.Keys(headers)) {
		value := headers[name]
		field := "headers." + name
		canonical := textproto.CanonicalMIMEHeaderKey(name)
		first, twice := seen[canonical]
		seen[canonical] = name
		switch {
		case !validHeaderName(name):
			v.Add(field, "is not a valid HTTP header name")
		case twice: // HTTP names ignore case: one of the two would be sent, which one by chance
			v.Add(field, "names the same header as "+strconv.Quote(first)+" (header names ignore case); give it once")
		case reservedHeader(formats, name):
			v.Add(field, "is set by hookflow and cannot be overridden")
		case strings.ContainsFunc(value, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }):
			v.Add(field, "must not contain control characters (CR, LF, NUL, ...); a tab is allowed")
		case len(value) > MaxHeaderLen:
			v.Add(field, "is longer than 4096 bytes")
		}
	}
}

// HasControl reports whether s holds a control character (C0, DEL or C1):
// in a name or a secret one is a mistake at best, and at worst splits a log
// line or a header.
func HasControl(s string) bool { return strings.ContainsFunc(s, unicode.IsControl) }

// Unreadable reports a stored column of the hook that could not be read back
// (written by an older version or by hand). Such a hook is listed, so it can
// be fixed or deleted, but never delivered to: its filter is unknown.
func (h *Hook) Unreadable() error {
	for _, c := range h.columns() {
		if c.err != nil {
			return fmt.Errorf("stored %s cannot be read: %w", c.name, c.err)
		}
	}
	return nil
}

type column struct {
	name string
	err  error
}

// columns are the hook's JSON columns and why each could not be read, if so.
func (h *Hook) columns() []column {
	return []column{{"events", h.Events.Err()}, {"headers", h.Headers.Err()}, {"properties", h.Properties.Err()}, {"options", h.Options.Err()}}
}

// validHeaderName follows RFC 9110's token rule.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= 0x20 || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

func indexed(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}
