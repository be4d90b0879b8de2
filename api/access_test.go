package api_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/api/apitest"
	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
)

// loggedAPI is an API whose JSON log lines go to logs.
type loggedAPI struct {
	h        http.Handler
	st       *store.Store
	temporal *apitest.FakeTemporal
	logs     *bytes.Buffer
	all      strings.Builder // every line logged, for checks over the whole test
}

func newLoggedAPI(t *testing.T, keys ...config.APIKey) *loggedAPI {
	st := storetest.Open(t, storetest.SQLite(t))
	l := &loggedAPI{st: st, logs: &bytes.Buffer{}}
	d := apitest.Deps(keys...)
	d.Logger = slog.New(slog.NewJSONHandler(l.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l.temporal = d.Temporal.(*apitest.FakeTemporal)
	l.h = apitest.With(t, st, d).Handler
	l.logs.Reset() // checked fetched the document
	return l
}

func (l *loggedAPI) do(method, path, body string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	l.h.ServeHTTP(rec, req)
	return rec
}

// lines parses the log lines written since the last call; each must be JSON.
func (l *loggedAPI) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.all.WriteString(l.logs.String())
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	l.logs.Reset()
	return out
}

// Every log line of a request carries its request id, which the answer
// echoes: the caller's when sane, else a generated one. The access line has
// method, route, status and latency, and never the key or the body.
func TestRequestIDOnEveryLogLine(t *testing.T) {
	const key = "secret-key-0123456789"
	l := newLoggedAPI(t, config.APIKey{Key: key})
	auth := []string{"Authorization", "Bearer " + key}

	rec := l.do("GET", "/v1/hooks?limit=5", "", append(auth, api.RequestIDHeader, "trace-7f3a.1")...)
	if got := rec.Header().Get(api.RequestIDHeader); rec.Code != 200 || got != "trace-7f3a.1" {
		t.Fatalf("answer = %d, request id %q; want 200 echoing the caller's id", rec.Code, got)
	}
	lines := l.lines(t)
	if len(lines) != 1 {
		t.Fatalf("log lines = %v, want one access line", lines)
	}
	access := lines[0]
	for k, want := range map[string]any{"msg": "request", "request_id": "trace-7f3a.1", "method": "GET", "route": "/v1/hooks",
		"path": "/v1/hooks", "status": float64(200), "level": "INFO"} {
		if access[k] != want {
			t.Errorf("access line %s = %v, want %v (line %v)", k, access[k], want, access)
		}
	}
	if _, ok := access["latency_ms"].(float64); !ok {
		t.Errorf("access line has no latency_ms: %v", access)
	}

	// A failing request: its error line and its access line share the generated id.
	l.st.Close()
	rec = l.do("POST", "/v1/events", `{"event":"Contact.Update","data":{"email":"ada@example.com"}}`,
		append(auth, api.RequestIDHeader, "not sane: has spaces")...)
	id := rec.Header().Get(api.RequestIDHeader)
	if rec.Code != 503 || len(id) != 36 {
		t.Fatalf("answer = %d, request id %q; want 503 with a generated UUID", rec.Code, id)
	}
	lines = l.lines(t)
	if len(lines) != 2 || lines[0]["msg"] != "backing service unavailable" || lines[1]["msg"] != "request" {
		t.Fatalf("log lines = %v, want the failure then the access line", lines)
	}
	for _, line := range lines {
		if line["request_id"] != id {
			t.Errorf("line %v lacks request_id %s", line, id)
		}
	}
	if lines[1]["level"] != "WARN" || lines[1]["route"] != "/v1/events" {
		t.Errorf("access line of a 503 = %v", lines[1])
	}
	l.do("GET", "/nowhere", "")
	l.lines(t)
	all := l.all.String()
	if strings.Contains(all, key) || strings.Contains(all, "ada@example.com") || strings.Contains(all, "Bearer") {
		t.Errorf("logs hold the key or a body:\n%s", all)
	}
}

// Health checks, polled every few seconds, log at debug level only.
func TestProbesLogAtDebug(t *testing.T) {
	l := newLoggedAPI(t)
	l.do("GET", "/healthz", "")
	if lines := l.lines(t); len(lines) != 1 || lines[0]["level"] != "DEBUG" || lines[0]["request_id"] == "" {
		t.Errorf("healthz log = %v", lines)
	}
}

// /readyz is 503 when the database is gone; /healthz still 200: the process lives.
func TestReadyzChecksTheDatabase(t *testing.T) {
	l := newLoggedAPI(t)
	rec := l.do("GET", "/readyz", "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"database":"ok"`) || !strings.Contains(rec.Body.String(), `"status":"ready"`) {
		t.Errorf("readyz = %d %s", rec.Code, rec.Body)
	}
	l.st.Close()
	rec = l.do("GET", "/readyz", "")
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), `"database":"unavailable"`) || !strings.Contains(rec.Body.String(), `"temporal":"ok"`) {
		t.Errorf("readyz with the database closed = %d %s", rec.Code, rec.Body)
	}
	if rec := l.do("GET", "/healthz", ""); rec.Code != 200 {
		t.Errorf("healthz with the database closed = %d", rec.Code)
	}
}
