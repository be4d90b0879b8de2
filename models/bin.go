package models

import "time"

// Limits of request bins (docs/spec.md §10). A bin's address needs no key, so these
// bound what anyone who knows it can store: 1,000 captures of at most
// 256 KiB each, headers, path and query counted, so 250 MiB per bin, for a day.
const (
	BinTTL         = 24 * time.Hour
	BinMaxRequests = 1000
	// BinMaxRequest bounds one capture: headers, path and query first (at
	// most BinMaxMeta of it), the body in what remains.
	BinMaxRequest = 256 << 10
	BinMaxMeta    = 64 << 10
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
	Body       []byte // the body's first bytes, within BinMaxRequest
	Truncated  bool   // the body, a header, the path or the query was cut to fit the limits
	RemoteAddr string // the TCP peer, not a client-supplied X-Forwarded-For
}

// Size is what the capture holds in bytes, as the limits count it.
func (r *BinRequest) Size() int {
	n := len(r.Path) + len(r.Query) + len(r.Body)
	for k, vs := range r.Headers.V {
		for _, v := range vs {
			n += len(k) + len(v) + 4 // ": " and CRLF, as on the wire
		}
	}
	return n
}
