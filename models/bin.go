package models

import "time"

// Limits of request bins (docs/spec.md §10). A bin's address needs no key, so these
// bound what anyone who knows it can store: 1,000 × 256 KiB per bin, for a day.
const (
	BinTTL         = 24 * time.Hour
	BinMaxRequests = 1000
	BinMaxBody     = 256 << 10
)

// Bin is a request bin: an address that captures whatever is sent to it, so
// a user can see what a hook delivers without a server of their own. Its id
// is random and unguessable, because it is the only credential its capture
// and view URLs need.
type Bin struct {
	ID        string `gorm:"primaryKey"`
	Tenant    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// BinRequest is one request a bin captured.
type BinRequest struct {
	ID         int64 `gorm:"primaryKey"`
	BinID      string
	ReceivedAt time.Time
	Method     string
	Path       string // as received, /bins/{id} included
	Query      string // raw, without "?"
	Headers    JSON[map[string][]string]
	Body       []byte // the first BinMaxBody bytes
	Truncated  bool   // the body was longer than BinMaxBody
	RemoteAddr string // the TCP peer, not a client-supplied X-Forwarded-For
}
