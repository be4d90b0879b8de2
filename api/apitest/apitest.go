// Package apitest runs the whole HTTP API in tests: on a real store, with a
// fake Temporal that records workflow starts (the end-to-end tests run the
// real one), every exchange checked against the OpenAPI document the API
// serves. The native API's and each product's tests use it.
package apitest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/api/router"
	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/egress"
	"github.com/hookflow/hookflow/internal/openapitest"
	"github.com/hookflow/hookflow/internal/probe"
	"github.com/hookflow/hookflow/internal/receiverauth"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// HookJSON is a valid hook of the native API.
const HookJSON = `{"name":"CRM sync","events":["contact.*"],"target_url":"https://receiver.example.com/hooks"}`

// FakeTemporal records workflow starts; Down makes it answer as an
// unreachable server.
type FakeTemporal struct {
	mu     sync.Mutex
	Starts []client.StartWorkflowOptions
	Inputs []any
	Down   bool
}

// ExecuteWorkflow records a start.
func (f *FakeTemporal) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Down {
		return nil, serviceerror.NewUnavailable("connection refused")
	}
	f.Starts = append(f.Starts, o)
	f.Inputs = append(f.Inputs, args[0])
	return nil, nil
}

// CheckHealth answers unless Down.
func (f *FakeTemporal) CheckHealth(context.Context, *client.CheckHealthRequest) (*client.CheckHealthResponse, error) {
	if f.Down {
		return nil, serviceerror.NewUnavailable("connection refused")
	}
	return &client.CheckHealthResponse{}, nil
}

// Deps are the API's dependencies as tests run it: a FakeTemporal, keys
// (none: open), 1 MiB bodies, 100 records a trigger, no logs, the real
// clock, and test deliveries and receiver credentials tried for real, also
// on the loopback addresses of httptest receivers.
func Deps(keys ...config.APIKey) api.Deps {
	receivers := receiverauth.New(egress.New(egress.Options{AllowPrivate: true, Timeout: 5 * time.Second, ConnectTimeout: time.Second, TLSTimeout: time.Second}))
	return api.Deps{Temporal: &FakeTemporal{}, TaskQueue: "hookflow", Keys: keys, MaxBody: 1 << 20, MaxRecords: 100,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now, Tester: probe.New(receivers), ReceiverAuth: receivers}
}

// Harness is the whole API on a store.
type Harness struct {
	T        testing.TB
	Store    *store.Store
	Server   *api.Server   // the router itself
	Handler  http.Handler  // Server, every exchange checked against the OpenAPI document
	Temporal *FakeTemporal // Deps' Temporal, when a FakeTemporal
	Key      string        // sent as the bearer key; the first of the keys at start
}

// New is the API on the first test backend (SQLite) with keys.
func New(t testing.TB, keys ...config.APIKey) *Harness {
	return NewOn(t, storetest.Open(t, storetest.SQLite(t)), keys...)
}

// NewOn is the API on st with keys (storetest.Each runs a test on every backend).
func NewOn(t testing.TB, st *store.Store, keys ...config.APIKey) *Harness {
	return With(t, st, Deps(keys...))
}

// With is the API on st configured by d.
func With(t testing.TB, st *store.Store, d api.Deps) *Harness {
	t.Helper()
	s := router.New(st, d)
	h := &Harness{T: t, Store: st, Server: s, Handler: Checked(t, s)}
	h.Temporal, _ = d.Temporal.(*FakeTemporal)
	if len(d.Keys) > 0 {
		h.Key = d.Keys[0].Key
	}
	return h
}

// Checked wraps an API handler so every exchange of the test is checked
// against the OpenAPI document the handler serves.
func Checked(t testing.TB, h http.Handler) http.Handler {
	t.Helper()
	return openapitest.New(t, Document(t, h)).Handler(h)
}

// Document is the OpenAPI document h serves.
func Document(t testing.TB, h http.Handler) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json = %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	return rec.Body.Bytes()
}

// Answer is what the API answered.
type Answer struct {
	Code int
	Body map[string]any // the JSON object answered, if one
	Raw  string
}

// Do sends a JSON request with the harness's key and headers (name, value, …).
func (h *Harness) Do(method, path, body string, headers ...string) Answer {
	h.T.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if h.Key != "" {
		req.Header.Set("Authorization", "Bearer "+h.Key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.Handler.ServeHTTP(rec, req)
	a := Answer{Code: rec.Code, Raw: rec.Body.String()}
	_ = json.Unmarshal(rec.Body.Bytes(), &a.Body)
	return a
}

// ErrorField is the field the first detail of an error answer names.
func (a Answer) ErrorField() string {
	e, _ := a.Body["error"].(map[string]any)
	ds, _ := e["details"].([]any)
	if len(ds) == 0 {
		return ""
	}
	return ds[0].(map[string]any)["field"].(string)
}

// ErrorCode is the code of an error answer.
func (a Answer) ErrorCode() string {
	e, _ := a.Body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// ID is the "id" of an answered object as JSON writes it: 7, or "bin_x".
func ID(body map[string]any) string {
	b, _ := json.Marshal(body["id"])
	return string(b)
}

// JSONOf writes v as JSON.
func JSONOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
