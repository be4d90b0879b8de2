package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/api/apitest"
	"github.com/hookflow/hookflow/internal/openapitest"
)

// call is a request the fuzzers send.
type call struct{ method, path string }

// fuzzWrites are the requests that take a body, beside the create of a hook
// and the trigger (FuzzHookBody, FuzzTriggerBody): the batch, hook updates,
// recover, the vendor management APIs, and a request bin's capture, which
// takes any request from anywhere. The test delivery routes are left out:
// they send a request to the hook's receiver.
var fuzzWrites = []call{
	{"POST", "/v1/events/batch"},
	{"PUT", "/v1/hooks/1"},
	{"PATCH", "/v1/hooks/1"},
	{"POST", "/v1/hooks/1/recover"},
	{"POST", "/v1/hooks/1/secret/rotate"},
	{"POST", "/api/v100/rest/spaces/default/entities/Webhooks"},
	{"POST", "/api/v1/Agents/Webhook/SaveWebhook"},
	{"POST", "/api/v1/Agents/Webhook/CreateDefaultWebhook"},
	{"POST", "/api/v1/Agents/Webhook/GetWebhook"},
	{"POST", "/api/v1/Agents/Webhook/DeleteWebhook"},
	{"POST", "/bins/{bin}"},
}

// fuzzReads are what a user reads back after writes: each must answer 200
// whatever was accepted before it.
var fuzzReads = []call{
	{"GET", "/v1/hooks?limit=500"},
	{"GET", "/v1/hooks/1"},
	{"GET", "/api/v100/rest/spaces/default/entities/Webhooks"},
	{"POST", "/api/v1/Agents/Webhook/GetAllWebhooks"},
	{"GET", "/v1/bins/{bin}/requests?hook=1"},
	{"GET", "/bins/{bin}/requests.json"},
}

// FuzzWriteBodies sends any body (with any signature header, for the bin's
// verdict) to every write that takes one: none answers 5xx, every answer is
// one the OpenAPI document allows, and whatever a write accepted reads back
// with 200 from every list and view that shows it.
func FuzzWriteBodies(f *testing.F) {
	seeds := map[int][]string{ // fuzzWrites index → bodies
		0: {`{"events":[{"event":"Contact.Update","records":[{"id":1}]},{"id":"x","event":"a.b","data":{"k":1}}]}`, `{"events":[]}`, `{"events":[null]}`},
		1: {`{"name":"n","events":["*"],"target_url":"https://x.example","options":{"chunk_size":0}}`, `1e999`},
		2: {`{"state":"Stopped"}`, `{"ordering":"fifo","rate_limit":3}`, `{"options":{"entity":{"C":{"filter":{"a":[1,"b"]}}}}}`},
		3: {`{"since":"2026-01-02T03:04:05Z"}`, `{"since":"yesterday"}`},
		4: {`{"grace_seconds":-1}`, `{"secret":"whsec_short"}`, `{}`},
		5: {`{"url":"https://x.example/h","events":["Account.Create"],"options":{"entity":{"Account":{"filter":{"name":"a"}}}},"signature":"0f8fad5b-d9cb-469f-a165-70867728950e"}`,
			`{"url":"https://x.example/h","events":["Account.*"],"signature":"not-a-uuid"}`},
		6: {`{"WebhookId":0,"Name":"so","Events":["contact.created"],"TargetUrl":"https://x.example/so","Secret":"s","State":"Active","Type":"webhook","Headers":{"A":"b"},"Properties":{"p":1}}`,
			`{"Name":"x","TargetUrl":"ftp://x"}`},
		7:  {`{}`},
		8:  {`{"WebhookId":1}`, `{"WebhookId":"1"}`},
		9:  {`{"WebhookId":2}`},
		10: {`{"any":"json"}`, "\x00", `[`},
	}
	for route, bodies := range seeds {
		for _, body := range bodies {
			f.Add(uint8(route), []byte(body), "v1,abc")
		}
	}
	h, bin, doc := fuzzAPI(f)
	f.Fuzz(func(t *testing.T, route uint8, body []byte, sig string) {
		checked := openapitest.New(t, doc).Handler(h)
		w := fuzzWrites[int(route)%len(fuzzWrites)]
		req := jsonRequest(w.method, strings.ReplaceAll(w.path, "{bin}", bin), body)
		req.Header.Set("Webhook-Id", "msg_1")
		req.Header.Set("Webhook-Timestamp", "1700000000")
		req.Header.Set("Webhook-Signature", sig)
		rec := httptest.NewRecorder()
		checked.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q = %d %s", w.method, w.path, body, rec.Code, rec.Body)
		}
		for _, r := range fuzzReads {
			path := strings.ReplaceAll(r.path, "{bin}", bin)
			read := httptest.NewRecorder()
			checked.ServeHTTP(read, jsonRequest(r.method, path, nil))
			if read.Code != http.StatusOK && !(r.path == "/v1/hooks/1" && read.Code == http.StatusNotFound) {
				t.Fatalf("%s %s %q answered %d, then %s %s = %d %s", w.method, w.path, body, rec.Code, r.method, path, read.Code, read.Body)
			}
		}
	})
}

// fuzzAPI is the whole API on a store with hook 1 and a bin, and the
// OpenAPI document it serves.
func fuzzAPI(f *testing.F) (h http.Handler, bin string, doc []byte) {
	h = newFuzzRouter(f)
	hook := httptest.NewRecorder()
	h.ServeHTTP(hook, jsonRequest("POST", "/v1/hooks", []byte(apitest.HookJSON)))
	if hook.Code != http.StatusCreated {
		f.Fatalf("create the hook: %d %s", hook.Code, hook.Body)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, jsonRequest("POST", "/v1/bins", nil))
	var b struct{ ID string }
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.ID == "" {
		f.Fatalf("create a bin: %d %s", rec.Code, rec.Body)
	}
	return h, b.ID, apitest.Document(f, h)
}

// fuzzReadPaths are the reads that take an id or a query; {id} is the
// fuzzer's.
var fuzzReadPaths = []string{
	"/v1/hooks", "/v1/hooks/{id}", "/v1/hooks/{id}/deliveries", "/v1/hooks/{id}/secret", "/v1/events/{id}",
	"/v1/deliveries", "/v1/deliveries/{id}", "/v1/notifications", "/v1/event-types", "/v1/bins/{id}",
	"/v1/bins/{id}/requests", "/bins/{id}/requests.json", "/api/v100/rest/spaces/{id}/entities/Webhooks",
	"/api/v100/rest/spaces/default/entities/Webhooks/{id}",
}

// FuzzReadQueries sends any id and query string to every read: none
// answers 5xx, and every answer is one the OpenAPI document allows.
func FuzzReadQueries(f *testing.F) {
	for i, q := range []string{"limit=500&cursor=abc", "limit=-1", "status=failed&since=2026-01-02T03:04:05Z", "hook=1&event=x",
		"source=pipeliner", "source=nope", "limit=1e9", "since=yesterday&until=0", "cursor=%ff%00", "hook=1"} {
		f.Add(uint8(i), "1", q)
	}
	f.Add(uint8(1), "abc", "")
	f.Add(uint8(4), "evt-1001", "")
	f.Add(uint8(9), "{bin}", "hook=1")
	h, bin, doc := fuzzAPI(f)
	f.Fuzz(func(t *testing.T, route uint8, id, query string) {
		// An id that is empty or holds a slash makes another path, which
		// Gin routes (a 400 naming id, a redirect) before any handler.
		if id == "" || strings.Contains(id, "/") {
			return
		}
		checked := openapitest.New(t, doc).Handler(h)
		id = strings.ReplaceAll(id, "{bin}", bin)
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = strings.ReplaceAll(fuzzReadPaths[int(route)%len(fuzzReadPaths)], "{id}", id)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		checked.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("GET %s?%s = %d %s", req.URL.Path, query, rec.Code, rec.Body)
		}
	})
}
