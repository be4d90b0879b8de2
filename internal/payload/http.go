package payload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/hookflow/hookflow/internal/version"
	"github.com/hookflow/hookflow/models"
)

// Render encodes m for hook h as every delivery is encoded: in h's format,
// with h's properties, signed with the secrets h signs with at now (during a
// rotation, the previous one too). It sets m.Hook.
func Render(h *models.Hook, m *Message, now time.Time) (*Request, error) {
	m.Hook = Hook{ID: h.ID, Name: h.Name, Properties: h.Properties.V}
	return Encode(h.Format, m, h.SigningSecrets(now), now)
}

// HTTPRequest returns the POST of r to url. The hook's custom headers go on
// first and the format's own headers, Content-Type and User-Agent after, so
// a custom header can never replace what the format and hookflow set.
func (r *Request) HTTPRequest(ctx context.Context, url string, custom map[string]string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(r.Body))
	if err != nil {
		return nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(custom)) { // sorted: a hook stored with X-A and x-a sends the same one each time
		req.Header.Set(k, custom[k])
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", r.ContentType)
	req.Header.Set("User-Agent", version.UserAgent())
	return req, nil
}

// Receivers sends a request to a hook's receiver with the hook's TLS
// setting and receiver credentials; *receiverauth.Authenticator is one,
// whose clients bound time, never follow redirects and refuse private addresses.
type Receivers interface {
	Do(h *models.Hook, req *http.Request) (*http.Response, error)
}

// Reply is a receiver's answer to one request.
type Reply struct {
	StatusCode int
	Header     http.Header
	Body       []byte // its beginning, as much as Send was asked to read
}

// ErrUnsendable marks a request that cannot even be built (a target Go cannot
// parse): sending it again cannot help.
var ErrUnsendable = errors.New("request cannot be built")

// Send POSTs r to h's target with h's custom headers and receiver
// credentials, through receivers, and reads at most limit bytes of the answer: enough for an
// excerpt and to reuse the connection, never so much that a hostile receiver
// can exhaust memory. Deliveries and test deliveries both send through it.
func Send(ctx context.Context, receivers Receivers, h *models.Hook, r *Request, limit int64) (Reply, error) {
	req, err := r.HTTPRequest(ctx, h.TargetURL, h.Headers.V)
	if err != nil {
		return Reply{}, fmt.Errorf("%w: %w", ErrUnsendable, err)
	}
	resp, err := receivers.Do(h, req)
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, limit))
	return Reply{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}, nil
}
