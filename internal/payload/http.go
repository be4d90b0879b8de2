package payload

import (
	"bytes"
	"context"
	"net/http"

	"github.com/hookflow/hookflow/internal/version"
)

// HTTPRequest returns the POST of r to url. The hook's custom headers go on
// first and the format's own headers, Content-Type and User-Agent after, so
// a custom header can never replace what the format and hookflow set.
func (r *Request) HTTPRequest(ctx context.Context, url string, custom map[string]string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(r.Body))
	if err != nil {
		return nil, err
	}
	for k, v := range custom {
		req.Header.Set(k, v)
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", r.ContentType)
	req.Header.Set("User-Agent", version.UserAgent())
	return req, nil
}
