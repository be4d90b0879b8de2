package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/api/router"
	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/golden"
	"github.com/hookflow/hookflow/internal/openapitest"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/client"
)

// noTemporal accepts workflow starts and does nothing: the client commands
// need the API's answers, not deliveries.
type noTemporal struct{}

func (noTemporal) ExecuteWorkflow(context.Context, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	return nil, nil
}

func (noTemporal) CheckHealth(context.Context, *client.CheckHealthRequest) (*client.CheckHealthResponse, error) {
	return &client.CheckHealthResponse{}, nil
}

// clock is the API's fixed time, so answers are the same on every run.
var clock = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

const cliKey = "cli-test-key-0123456789"

// startAPI serves the real API router on SQLite and points the client
// commands at it through HOOKFLOW_SERVER and HOOKFLOW_API_KEY.
func startAPI(t *testing.T) *store.Store {
	st := storetest.Open(t, storetest.SQLite(t))
	h := router.New(st, api.Deps{Temporal: noTemporal{}, TaskQueue: "q",
		Keys: []config.APIKey{{Key: cliKey}}, MaxBody: 1 << 20, MaxRecords: 100,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return clock }})
	doc := httptest.NewRecorder()
	h.ServeHTTP(doc, httptest.NewRequest("GET", "/openapi.json", nil))
	srv := httptest.NewServer(openapitest.New(t, doc.Body.Bytes()).Handler(h)) // the CLI's requests are checked too
	t.Cleanup(srv.Close)
	t.Setenv("HOOKFLOW_SERVER", srv.URL)
	t.Setenv("HOOKFLOW_API_KEY", cliKey)
	return st
}

// run runs hookflow with args in this process and returns what a user sees:
// stdout, stderr and, for an error, main's one line.
func run(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	root := rootCommand()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader(`{"name": "from stdin", "events": ["deal.*"], "target_url": "https://deals.example.com/in", "secret": "whsec_c3RkaW5zdGRpbnN0ZGluc3RkaW4="}`))
	if err := root.Execute(); err != nil {
		out.WriteString("hookflow: " + err.Error() + "\n")
	}
	return out.String()
}

// checkGolden compares got with testdata/name.golden, or rewrites it with
// HOOKFLOW_UPDATE=1 (internal/golden).
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if golden.Update() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (%s)", err, golden.Hint("./cmd/hookflow"))
	}
	if got != string(want) {
		t.Errorf("%s differs (%s):\n--- got\n%s--- want\n%s", path, golden.Hint("./cmd/hookflow"), got, want)
	}
}

// The client commands against the real API: each step's output is compared
// with testdata/<step>.golden, which shows exactly what a user sees.
// Run HOOKFLOW_UPDATE=1 go test ./cmd/hookflow -run TestClientCommandsGolden
// after a deliberate change of the output, and read the diff.
func TestClientCommandsGolden(t *testing.T) {
	st := startAPI(t)
	steps := []struct {
		name string
		args []string
		then func() // prepares the next steps
	}{
		{"hooks_create", []string{"hooks", "create", "--name", "CRM sync", "--events", "contact.*,deal.created",
			"--url", "https://crm-sync.example.com/hooks", "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "--header", "X-Api-Key=abc123"}, nil},
		{"hooks_create_file", []string{"hooks", "create", "--file", "-", "--name", "Deals"}, nil},
		{"hooks_list", []string{"hooks", "list"}, nil},
		{"hooks_list_page", []string{"hooks", "list", "--limit", "1"}, nil},
		{"hooks_get", []string{"hooks", "get", "1"}, nil},
		{"hooks_get_json", []string{"hooks", "get", "2", "--json"}, nil},
		{"events_send", []string{"events", "send", "--event", "Contact.Update", "--id", "evt-1001", "--data", `{"id": 1, "email1": "ada@example.com"}`},
			func() { deliver(t, st, "evt-1001") }},
		{"events_send_again", []string{"events", "send", "--event", "Contact.Update", "--id", "evt-1001", "--data", `{"id": 1}`}, nil},
		{"events_get", []string{"events", "get", "evt-1001"}, nil},
		{"deliveries_list", []string{"deliveries", "list", "--hook", "1"}, nil},
		{"deliveries_list_failed", []string{"deliveries", "list", "--hook", "1", "--status", "failed"}, nil},
		{"hooks_delete", []string{"hooks", "delete", "2"}, nil},
		{"error_validation", []string{"hooks", "create", "--events", "contact", "--url", "ftp://crm.example.com"}, nil},
		{"error_not_found", []string{"hooks", "get", "2"}, nil},
		{"error_unauthorized", []string{"hooks", "list", "--api-key", "not-the-key-0123456789"}, nil},
		{"error_unreachable", []string{"hooks", "list", "--server", "http://127.0.0.1:1"}, nil},
		{"error_usage", []string{"deliveries", "list"}, nil},
		{"error_bad_json", []string{"events", "send", "--event", "Contact.Update", "--records", "[{"}, nil},
		{"hooks_create_auth", []string{"hooks", "create", "--events", "*", "--url", "https://gw.example.com/in",
			"--secret", "whsec_Z2F0ZXdheWdhdGV3YXlnYXRld2F5Z2F0ZXdheQ==", "--receiver-auth", "@testdata/receiver-auth.json"}, nil},
	}
	var all strings.Builder
	for _, s := range steps {
		out := "$ hookflow " + shellQuote(s.args) + "\n" + run(t, s.args...)
		checkGolden(t, s.name, out)
		all.WriteString(out)
		if s.then != nil {
			s.then()
		}
	}
	if strings.Contains(all.String(), cliKey) || strings.Contains(all.String(), "cli-gateway-password") {
		t.Error("the output shows the API key or a receiver credential")
	}
}

// shellQuote writes args as a user would type them.
func shellQuote(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = a
		if strings.ContainsAny(a, " *{}\"'") {
			quoted[i] = "'" + a + "'"
		}
	}
	return strings.Join(quoted, " ")
}

// netErr is how Go reports a receiver that is down.
const netErr = `Post "https://crm-sync.example.com/hooks": dial tcp 203.0.113.7:443: connect: connection refused`

// deliver plans two deliveries of an event to hook 1 and records how they
// went, as the worker would: one accepted, one unreachable until it failed.
func deliver(t *testing.T, st *store.Store, eventID string) {
	ctx := context.Background()
	ev, err := st.Event(ctx, models.DefaultTenant, eventID)
	if err != nil {
		t.Fatal(err)
	}
	ds := make([]models.Delivery, 2)
	for i := range ds {
		ds[i] = models.Delivery{Tenant: ev.Tenant, EventPK: ev.PK, EventID: ev.ID, HookID: 1, Seq: i, Count: 2,
			Records: models.JSON[[]int]{V: []int{0}}, Status: models.DeliveryPending, CreatedAt: clock, UpdatedAt: clock}
	}
	if err := st.PlanDeliveries(ctx, ds); err != nil {
		t.Fatal(err)
	}
	planned, _ := st.HookDeliveries(ctx, ev.PK, 1, 0, 2)
	at := clock.Add(time.Second)
	outcomes := []store.AttemptOutcome{
		{Attempt: models.Attempt{StartedAt: at, StatusCode: 200, LatencyMS: 42}, Status: models.DeliverySucceeded},
		{Attempt: models.Attempt{StartedAt: at, LatencyMS: 7, Error: netErr}, Status: models.DeliveryPending},
	}
	for i, o := range outcomes {
		if _, err := st.RecordAttempt(ctx, planned[i].ID, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.FinishDelivery(ctx, planned[1].ID, models.DeliveryFailed, netErr, at); err != nil {
		t.Fatal(err)
	}
}

func TestHelpGroupsTheCommands(t *testing.T) {
	out := run(t, "--help")
	for _, want := range []string{"Run hookflow:", "  serve ", "Talk to a running hookflow (--server, --api-key):", "  hooks ", "  events ", "  deliveries "} {
		if !strings.Contains(out, want) {
			t.Errorf("hookflow --help lacks %q:\n%s", want, out)
		}
	}
	out = run(t, "events", "send", "--help")
	for _, want := range []string{"Examples:", "--event string", "[HOOKFLOW_SERVER]", "--json"} {
		if !strings.Contains(out, want) {
			t.Errorf("hookflow events send --help lacks %q:\n%s", want, out)
		}
	}
}
