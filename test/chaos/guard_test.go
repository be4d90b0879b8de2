package chaos

import (
	"net/http"
	"strings"
	"testing"
)

// hookflow dev without keys answers only requests for a loopback Host and
// only JSON bodies (issue 14: a page whose name rebinds to 127.0.0.1 read
// hook secrets, and a text/plain POST from any page created hooks).
func TestDevRefusesRebindingAndPlainText(t *testing.T) {
	dev := startDev(t)
	for _, c := range []struct {
		name, host, ctype string
		want              int
	}{
		{"a rebinding name", "rebind.evil.example:8080", "", http.StatusForbidden},
		{"text/plain from a page", "", "text/plain", http.StatusUnsupportedMediaType},
		{"loopback and JSON", "", "application/json", http.StatusCreated},
	} {
		req, err := http.NewRequest(http.MethodPost, dev.client.base+"/v1/hooks",
			strings.NewReader(`{"events": ["*"], "target_url": "http://127.0.0.1:9/"}`))
		if err != nil {
			t.Fatal(err)
		}
		if c.host != "" {
			req.Host = c.host
		}
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		resp, err := dev.client.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: POST /v1/hooks = %d; want %d", c.name, resp.StatusCode, c.want)
		}
	}
}
