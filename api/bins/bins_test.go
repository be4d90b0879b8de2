package bins_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/api/apitest"
	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/payload"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
)

// clock is a settable time, so tests can let a bin expire.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// binHarness is the API on st with a settable clock.
type binHarness struct {
	*apitest.Harness
	st    *store.Store
	clock *clock
}

func newBinHarness(t *testing.T, st *store.Store, keys ...config.APIKey) *binHarness {
	clk := &clock{t: time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)}
	d := apitest.Deps(keys...)
	d.Now = clk.now
	h := apitest.With(t, st, d)
	h.Key = ""
	return &binHarness{Harness: h, st: st, clock: clk}
}

// send makes a raw request, with no key: how senders reach a bin.
func (h *binHarness) send(method, path string, body []byte, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	h.Handler.ServeHTTP(rec, req)
	return rec
}

// as makes a JSON API call with key (none: no Authorization header).
func (h *binHarness) as(key, method, path, body string) apitest.Answer {
	h.T.Helper()
	h.Key = key
	return h.Do(method, path, body)
}

func (h *binHarness) createBin(key, body string) string {
	h.T.Helper()
	a := h.as(key, "POST", "/v1/bins", body)
	if a.Code != 201 {
		h.T.Fatalf("create bin = %d %s", a.Code, a.Raw)
	}
	return a.Body["id"].(string)
}

type binRequest struct {
	ID         int64               `json:"id"`
	Method     string              `json:"method"`
	Path       string              `json:"path"`
	Query      string              `json:"query"`
	Headers    map[string][]string `json:"headers"`
	Body       string              `json:"body"`
	BodyBase64 string              `json:"body_base64"`
	Truncated  bool                `json:"truncated"`
	RemoteAddr string              `json:"remote_addr"`
	Signature  *struct {
		Checked bool   `json:"checked"`
		Valid   bool   `json:"valid"`
		Scheme  string `json:"scheme"`
		Detail  string `json:"detail"`
	} `json:"signature"`
}

func (h *binHarness) requests(key, path string) ([]binRequest, string) {
	h.T.Helper()
	a := h.as(key, "GET", path, "")
	if a.Code != 200 {
		h.T.Fatalf("GET %s = %d %s", path, a.Code, a.Raw)
	}
	var page struct {
		Data       []binRequest `json:"data"`
		NextCursor string       `json:"next_cursor"`
	}
	if err := json.Unmarshal([]byte(a.Raw), &page); err != nil {
		h.T.Fatal(err)
	}
	return page.Data, page.NextCursor
}

// Anything sent to a bin, any method and any subpath, is captured and
// answered 200; the API lists it newest first, the bin's own URL without a key.
func TestBinCapturesAnyMethod(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		key := config.APIKey{Key: "all-tenants-key-000001"}
		h := newBinHarness(t, st, key)
		created := h.as(key.Key, "POST", "/v1/bins", "")
		id, _ := created.Body["id"].(string)
		if created.Code != 201 || len(id) != 32 || created.Body["url"] != "http://example.com/bins/"+id ||
			created.Body["view_url"] != "http://example.com/bins/"+id+"/view" || created.Body["tenant"] != "default" {
			t.Fatalf("create = %d %s", created.Code, created.Raw)
		}
		methods := []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
		for i, m := range methods {
			rec := h.send(m, fmt.Sprintf("/bins/%s/anything/%d?x=1&y=%%20", id, i), []byte("payload "+m),
				http.Header{"X-Custom": {"a", "b"}, "Content-Type": {"text/plain"}})
			if rec.Code != 200 || (m != "HEAD" && strings.TrimSpace(rec.Body.String()) != `{"ok":true}`) {
				t.Fatalf("%s to the bin = %d %s", m, rec.Code, rec.Body)
			}
		}
		if rec := h.send("POST", "/bins/"+id, []byte(`{"a":1}`), nil); rec.Code != 200 {
			t.Fatalf("POST to the bin's root = %d", rec.Code)
		}
		got, _ := h.requests(key.Key, "/v1/bins/"+id+"/requests")
		if len(got) != len(methods)+1 || got[0].Path != "/bins/"+id || got[0].Body != `{"a":1}` {
			t.Fatalf("requests = %+v", got)
		}
		for i, r := range got[1:] {
			want := methods[len(methods)-1-i]
			if r.Method != want || r.Path != fmt.Sprintf("/bins/%s/anything/%d", id, len(methods)-1-i) || r.Query != "x=1&y=%20" ||
				r.Body != "payload "+want || len(r.Headers["X-Custom"]) != 2 || r.Headers["Host"][0] != "example.com" ||
				r.RemoteAddr != "192.0.2.1" || r.Signature != nil {
				t.Errorf("request %d = %+v", i+1, r)
			}
		}
		if a := h.as(key.Key, "GET", "/v1/bins/"+id, ""); a.Code != 200 || a.Body["request_count"] != float64(len(methods)+1) {
			t.Errorf("get bin = %d %s", a.Code, a.Raw)
		}

		// The bin's own URLs need no key: the page, its assets and its JSON,
		// which does not name the tenant.
		if a := h.as("", "GET", "/v1/bins/"+id+"/requests", ""); a.Code != 401 {
			t.Errorf("keyless /v1 list = %d, want 401", a.Code)
		}
		pub := h.as("", "GET", "/bins/"+id+"/requests.json?limit=2", "")
		bin, _ := pub.Body["bin"].(map[string]any)
		if pub.Code != 200 || len(pub.Body["data"].([]any)) != 2 || pub.Body["next_cursor"] == nil || bin["id"] != id || bin["tenant"] != nil {
			t.Errorf("requests.json = %d %s", pub.Code, pub.Raw)
		}
		newest := strconv.FormatInt(got[0].ID, 10)
		if newer, _ := h.requests("", "/bins/"+id+"/requests.json?after="+newest); len(newer) != 0 {
			t.Errorf("?after=newest = %d requests, want none", len(newer))
		}
		page := h.send("GET", "/bins/"+id+"/view", nil, nil)
		if page.Code != 200 || !strings.Contains(page.Body.String(), "/ui/bins/view.js") ||
			!strings.Contains(page.Header().Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("view = %d %v", page.Code, page.Header())
		}
		for _, asset := range []string{"/ui/bins/view.js", "/ui/bins/view.css"} {
			if rec := h.send("GET", asset, nil, nil); rec.Code != 200 || rec.Body.Len() < 1000 {
				t.Errorf("GET %s = %d, %d bytes", asset, rec.Code, rec.Body.Len())
			}
		}
		// Viewing is not capturing: the page and its JSON left no trace.
		if n, _ := st.CountBinRequests(context.Background(), id); n != int64(len(methods)+1) {
			t.Errorf("bin holds %d requests, want %d", n, len(methods)+1)
		}

		if a := h.as(key.Key, "DELETE", "/v1/bins/"+id, ""); a.Code != 204 {
			t.Errorf("delete = %d", a.Code)
		}
		if rec := h.send("POST", "/bins/"+id, nil, nil); rec.Code != 404 {
			t.Errorf("POST to a deleted bin = %d, want 404", rec.Code)
		}
	})
}

func TestUnknownBinIs404(t *testing.T) {
	h := newBinHarness(t, storetest.Open(t, storetest.SQLite(t)))
	const id = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	for _, p := range []string{"/bins/" + id, "/bins/" + id + "/x", "/bins/" + id + "/view", "/bins/" + id + "/requests.json"} {
		if rec := h.send("GET", p, nil, nil); rec.Code != 404 {
			t.Errorf("GET %s = %d, want 404", p, rec.Code)
		}
	}
	for _, p := range []string{"/v1/bins/" + id, "/v1/bins/" + id + "/requests"} {
		if a := h.as("", "GET", p, ""); a.Code != 404 || a.ErrorCode() != "not_found" {
			t.Errorf("GET %s = %d %s", p, a.Code, a.Raw)
		}
	}
}

// A body past 256 KiB keeps its beginning and says so; a binary body comes
// back as base64; a bin keeps its newest 1,000 requests.
func TestBinLimits(t *testing.T) {
	h := newBinHarness(t, storetest.Open(t, storetest.SQLite(t)))
	id := h.createBin("", "")
	big := bytes.Repeat([]byte("x"), models.BinMaxRequest+10)
	h.send("POST", "/bins/"+id, big, nil)
	h.send("POST", "/bins/"+id, []byte{0xff, 0x00, 0xfe}, nil)
	got, _ := h.requests("", "/v1/bins/"+id+"/requests")
	if got[0].BodyBase64 != "/wD+" || got[0].Body != "" || got[0].Truncated {
		t.Errorf("binary body = %+v", got[0])
	}
	if size := captureSize(got[1]); size != models.BinMaxRequest || !got[1].Truncated || len(got[1].Body) < models.BinMaxRequest-1024 {
		t.Errorf("big body: %d bytes in all (body %d), truncated %v; want %d, true", size, len(got[1].Body), got[1].Truncated, models.BinMaxRequest)
	}

	for i := range models.BinMaxRequests + 3 {
		if rec := h.send("PUT", "/bins/"+id, []byte(strconv.Itoa(i)), nil); rec.Code != 200 {
			t.Fatalf("request %d = %d", i, rec.Code)
		}
	}
	var all []binRequest
	for path := "/v1/bins/" + id + "/requests?limit=500"; ; {
		page, next := h.requests("", path)
		all = append(all, page...)
		if next == "" {
			break
		}
		path = "/v1/bins/" + id + "/requests?limit=500&cursor=" + next
	}
	if len(all) != models.BinMaxRequests || all[0].Body != "1002" || all[len(all)-1].Body != "3" {
		t.Errorf("bin holds %d requests, newest %q, oldest %q; want 1000, 1002 to 3", len(all), all[0].Body, all[len(all)-1].Body)
	}
}

// A bin expires after 24 hours: from then on every URL of it is 404, and
// the next bin created purges it.
func TestBinExpires(t *testing.T) {
	st := storetest.Open(t, storetest.SQLite(t))
	h := newBinHarness(t, st)
	id := h.createBin("", "")
	h.send("POST", "/bins/"+id, []byte("hi"), nil)
	h.clock.advance(models.BinTTL - time.Second)
	if rec := h.send("POST", "/bins/"+id, nil, nil); rec.Code != 200 {
		t.Fatalf("capture a second before expiry = %d", rec.Code)
	}
	h.clock.advance(time.Second)
	for _, p := range []string{"/bins/" + id, "/bins/" + id + "/view", "/bins/" + id + "/requests.json"} {
		if rec := h.send("GET", p, nil, nil); rec.Code != 404 {
			t.Errorf("GET %s after expiry = %d, want 404", p, rec.Code)
		}
	}
	if a := h.as("", "GET", "/v1/bins/"+id, ""); a.Code != 404 {
		t.Errorf("GET /v1/bins/{id} after expiry = %d, want 404", a.Code)
	}
	if n, _ := st.CountBinRequests(context.Background(), id); n != 2 {
		t.Fatalf("before the purge the expired bin holds %d requests, want 2", n)
	}
	h.createBin("", "")
	if n, _ := st.CountBinRequests(context.Background(), id); n != 0 {
		t.Errorf("after the purge the expired bin holds %d requests, want 0", n)
	}
}

// Bins and the hooks that check them follow the API's tenant rules: another
// tenant's bin or hook is 404.
func TestBinTenantIsolation(t *testing.T) {
	acme, globex := config.APIKey{Key: "acme-key-0000000001", Tenant: "acme"}, config.APIKey{Key: "globex-key-000000001", Tenant: "globex"}
	all := config.APIKey{Key: "all-tenants-key-000001"}
	h := newBinHarness(t, storetest.Open(t, storetest.SQLite(t)), acme, globex, all)
	if a := h.as("", "POST", "/v1/bins", ""); a.Code != 401 {
		t.Errorf("create without a key = %d, want 401", a.Code)
	}
	acmeBin := h.createBin(acme.Key, "")
	globexBin := h.createBin(globex.Key, "")
	acmeHook := apitest.ID(h.as(acme.Key, "POST", "/v1/hooks", apitest.HookJSON).Body)
	h.send("POST", "/bins/"+acmeBin, []byte("{}"), nil)

	for _, p := range []string{"/v1/bins/" + acmeBin, "/v1/bins/" + acmeBin + "/requests", "/v1/bins/" + globexBin + "/requests?hook=" + acmeHook} {
		if a := h.as(globex.Key, "GET", p, ""); a.Code != 404 {
			t.Errorf("globex GET %s = %d, want 404", p, a.Code)
		}
	}
	if a := h.as(globex.Key, "DELETE", "/v1/bins/"+acmeBin, ""); a.Code != 404 {
		t.Errorf("globex DELETE acme's bin = %d, want 404", a.Code)
	}
	if a := h.as(all.Key, "GET", "/v1/bins/"+acmeBin, ""); a.Code != 404 {
		t.Errorf("all-tenant key acting for default: GET acme's bin = %d, want 404", a.Code)
	}
	if a := h.as(all.Key, "GET", "/v1/bins/"+acmeBin+"/requests?tenant=acme&hook="+acmeHook, ""); a.Code != 200 {
		t.Errorf("all-tenant key acting for acme = %d %s", a.Code, a.Raw)
	}
	if got, _ := h.requests(acme.Key, "/v1/bins/"+acmeBin+"/requests?hook="+acmeHook); len(got) != 1 || got[0].Signature == nil {
		t.Errorf("acme's own list = %+v", got)
	}
	if a := h.as(acme.Key, "POST", "/v1/bins", `{"tenant":"globex"}`); a.Code != 403 {
		t.Errorf("acme creating a bin for globex = %d, want 403", a.Code)
	}
}

// With ?hook=, each request says whether its signature verifies with that
// hook's secrets, per the hook's format.
func TestBinSignatureVerdicts(t *testing.T) {
	const secret, other = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2VjcmV0LXRoYXQtd2FzLXJvdGF0ZWQ="
	st := storetest.Open(t, storetest.SQLite(t))
	h := newBinHarness(t, st)
	tests := []struct {
		format models.Format
		scheme string
	}{
		{payload.Standard, "standard-webhooks"},
		{payload.SuperOffice, "superoffice"},
		{payload.Pipeliner, "pipeliner"},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			bin := h.createBin("", "")
			hook := apitest.ID(h.as("", "POST", "/v1/hooks", fmt.Sprintf(`{"events":["*"],"target_url":"http://example.com/bins/%s","format":%q,"secret":%q}`,
				bin, tt.format, secret)).Body)
			for _, s := range []string{other, secret} { // oldest first: the list is newest first
				r := signed(t, tt.format, s, h.clock.now())
				h.send("POST", "/bins/"+bin, r.Body, r.Header)
			}
			got, _ := h.requests("", "/v1/bins/"+bin+"/requests?hook="+hook)
			if s := got[0].Signature; s == nil || !s.Checked || !s.Valid || s.Scheme != tt.scheme {
				t.Errorf("signed with the hook's secret: %+v", s)
			}
			if s := got[1].Signature; s == nil || !s.Checked || s.Valid || s.Scheme != tt.scheme || s.Detail == "" {
				t.Errorf("signed with another secret: %+v", s)
			}

			// Rotated: what the old secret signed verifies while the grace period lasts.
			hk, _ := strconv.ParseInt(hook, 10, 64)
			m, _ := st.Hook(context.Background(), "default", hk)
			expires := h.clock.now().Add(time.Hour)
			m.PreviousSecret, m.PreviousSecretExpires = other, &expires
			if err := st.UpdateHook(context.Background(), m, m.State); err != nil {
				t.Fatal(err)
			}
			got, _ = h.requests("", "/v1/bins/"+bin+"/requests?hook="+hook)
			if s := got[1].Signature; !s.Valid || !strings.Contains(s.Detail, "previous secret") {
				t.Errorf("signed with the previous secret during its rotation: %+v", s)
			}
		})
	}
	t.Run("onepage", func(t *testing.T) {
		bin := h.createBin("", "")
		hook := apitest.ID(h.as("", "POST", "/v1/hooks", `{"events":["*"],"target_url":"http://example.com/","format":"onepage"}`).Body)
		h.send("POST", "/bins/"+bin, []byte("a=1"), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		got, _ := h.requests("", "/v1/bins/"+bin+"/requests?hook="+hook)
		if s := got[0].Signature; s == nil || s.Checked || s.Valid {
			t.Errorf("onepage verdict = %+v, want not checked", s)
		}
	})
	if a := h.as("", "GET", "/v1/bins/"+h.createBin("", "")+"/requests?hook=999", ""); a.Code != 404 {
		t.Errorf("?hook= of no hook = %d, want 404", a.Code)
	}
}

// signed is a real delivery of format f signed with secret at now.
func signed(t *testing.T, f models.Format, secret string, now time.Time) *payload.Request {
	t.Helper()
	r, err := payload.Encode(f, &payload.Message{DeliveryID: 1, Tenant: "default", EventID: "evt-1", EventType: "Contact.Update",
		OccurredAt: now, Records: []models.Record{{Data: map[string]any{"id": 1}}}}, []string{secret}, now)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", r.ContentType)
	return r
}

// The keyless URLs answer as the OpenAPI document says (the harness checks
// every exchange): the page's own paths capture every method but GET, the
// page answers range and conditional requests, and assets have their types.
func TestBinKeylessAnswers(t *testing.T) {
	h := newBinHarness(t, storetest.Open(t, storetest.SQLite(t)))
	id := h.createBin("", "")
	for _, m := range []string{"HEAD", "TRACE", "OPTIONS", "POST"} {
		for _, p := range []string{"/view", "/requests.json", "/a/b"} {
			if rec := h.send(m, "/bins/"+id+p, []byte("<xml/>"), http.Header{"Content-Type": {"application/xml"}}); rec.Code != 200 {
				t.Errorf("%s /bins/{id}%s = %d, want 200 (captured)", m, p, rec.Code)
			}
		}
	}
	if n, _ := h.st.CountBinRequests(context.Background(), id); n != 12 {
		t.Errorf("bin holds %d requests, want 12", n)
	}
	for _, tt := range []struct {
		header http.Header
		code   int
	}{
		{http.Header{"Range": {"bytes=0-9"}}, 206},
		{http.Header{"Range": {"bytes=999999-"}}, 416},
		{http.Header{"If-None-Match": {"*"}}, 304},
		{http.Header{"If-Match": {`"x"`}}, 412},
	} {
		if rec := h.send("GET", "/bins/"+id+"/view", nil, tt.header); rec.Code != tt.code {
			t.Errorf("GET /bins/{id}/view %v = %d, want %d", tt.header, rec.Code, tt.code)
		}
	}
	for asset, want := range map[string]string{"view.js": "javascript", "view.css": "text/css", "view.html": "text/html"} {
		if rec := h.send("GET", "/ui/bins/"+asset, nil, nil); rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Type"), want) {
			t.Errorf("GET /ui/bins/%s = %d %s", asset, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	if rec := h.send("GET", "/ui/bins/nope.js", nil, nil); rec.Code != 404 {
		t.Errorf("GET /ui/bins/nope.js = %d, want 404", rec.Code)
	}
	if rec := h.send("GET", "/bins/"+id+"/requests.json?after=x", nil, nil); rec.Code != 400 {
		t.Errorf("requests.json?after=x = %d, want 400", rec.Code)
	}
}

// A URL can carry bytes text cannot hold (%00, %ff). In a bin's id they name
// no bin; below a bin they are captured, percent-encoded. Never a 500
// (PostgreSQL refuses them in text).
func TestBinURLsWithBytesTextCannotHold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newBinHarness(t, st)
		id := h.createBin("", "")
		for _, p := range []string{"/bins/%00", "/bins/%ff/x", "/bins/" + id + "%00/view", "/bins/%ff/requests.json"} {
			if rec := h.send("POST", p, nil, nil); rec.Code != 404 {
				t.Errorf("POST %s = %d, want 404", p, rec.Code)
			}
		}
		for _, m := range []string{"GET", "DELETE"} {
			if a := h.as("", m, "/v1/bins/%00", ""); a.Code != 404 {
				t.Errorf("%s /v1/bins/%%00 = %d %s, want 404", m, a.Code, a.Raw)
			}
		}
		if a := h.as("", "GET", "/v1/bins/%ff/requests", ""); a.Code != 404 {
			t.Errorf("GET /v1/bins/%%ff/requests = %d %s, want 404", a.Code, a.Raw)
		}
		if rec := h.send("POST", "/bins/"+id+"/a%00b%ffc/é?q=%00&r=\xff", []byte("x"), nil); rec.Code != 200 {
			t.Fatalf("capture = %d %s", rec.Code, rec.Body)
		}
		got, _ := h.requests("", "/v1/bins/"+id+"/requests")
		if len(got) != 1 || got[0].Path != "/bins/"+id+"/a%00b%FFc/é" || got[0].Query != "q=%00&r=%FF" {
			t.Errorf("captured %+v", got)
		}
	})
}

// captureSize counts a capture as the bin's limits do: body, path, query and
// every header line.
func captureSize(r binRequest) int {
	n := len(r.Body) + len(r.Path) + len(r.Query)
	for k, vs := range r.Headers {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// Headers count against a capture's 256 KiB (issue 14: 40 captures of
// 256 KiB bodies and ~960 KB of headers made a bin hold 1.2 GB), and a page
// of requests stops at a byte budget whatever ?limit= says (a limit of 500
// made a 293 MB answer), with a cursor to the rest.
func TestBinLimitsCountHeadersAndBoundPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newBinHarness(t, st)
		id := h.createBin("", "")
		header := http.Header{}
		for i := range 30 {
			header.Set(fmt.Sprintf("X-Pad-%02d", i), strings.Repeat("h", 30<<10)) // 900 KiB of headers
		}
		const captures = 12
		for range captures {
			if rec := h.send("POST", "/bins/"+id+"/in?q="+strings.Repeat("q", 40<<10), bytes.Repeat([]byte("b"), 256<<10), header); rec.Code != 200 {
				t.Fatalf("capture = %d %s", rec.Code, rec.Body)
			}
		}
		var all []binRequest
		pages, cursor := 0, ""
		for {
			path := "/bins/" + id + "/requests.json?limit=500"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			rec := h.send("GET", path, nil, nil)
			if rec.Code != 200 {
				t.Fatalf("GET %s = %d", path, rec.Code)
			}
			if rec.Body.Len() > 8<<20 {
				t.Fatalf("a page is %d bytes; want at most 8 MiB", rec.Body.Len())
			}
			var page struct {
				Data       []binRequest `json:"data"`
				NextCursor string       `json:"next_cursor"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
				t.Fatal(err)
			}
			all, cursor, pages = append(all, page.Data...), page.NextCursor, pages+1
			if cursor == "" {
				break
			}
		}
		if len(all) != captures || pages < 2 {
			t.Fatalf("paged through %d captures in %d pages; want %d in several", len(all), pages, captures)
		}
		for _, r := range all {
			if size := captureSize(r); size > models.BinMaxRequest || !r.Truncated {
				t.Fatalf("a capture holds %d bytes (truncated %v); want at most %d, truncated", size, r.Truncated, models.BinMaxRequest)
			}
		}
	})
}
