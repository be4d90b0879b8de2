package devserver

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

const taskQueue = "devserver-test"

var tenantKey = temporal.NewSearchAttributeKeyKeyword("HookflowTenant")

func greetWorkflow(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var greeting string
	err := workflow.ExecuteActivity(ctx, greetActivity, name).Get(ctx, &greeting)
	return greeting, err
}

func greetActivity(_ context.Context, name string) (string, error) {
	return "hello " + name, nil
}

// startServer starts a server and stops it when the test ends.
func startServer(t *testing.T, o Options) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	begin := time.Now()
	s, err := Start(ctx, o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("Start took %v (database %q)", time.Since(begin).Round(time.Millisecond), o.DatabaseFile)
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

// dialWithWorker connects a client and runs a worker for greetWorkflow. Both
// end with the test, before the server stops (cleanups run last-in first-out).
func dialWithWorker(t *testing.T, s *Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  s.FrontendAddress(),
		Namespace: "default",
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(c.Close)
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(greetWorkflow)
	w.RegisterActivity(greetActivity)
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	t.Cleanup(w.Stop)
	return c
}

// runGreet runs greetWorkflow to completion and returns its workflow ID.
func runGreet(t *testing.T, c client.Client, tenant string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    "greet-" + tenant + "-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		TaskQueue:             taskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(tenantKey.ValueSet(tenant)),
	}, greetWorkflow, tenant)
	if err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	if want := "hello " + tenant; got != want {
		t.Fatalf("workflow result %q, want %q", got, want)
	}
	return run.GetID()
}

func checkSearchAttributes(t *testing.T, c client.Client, want map[string]enums.IndexedValueType) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	if err != nil {
		t.Fatalf("ListSearchAttributes: %v", err)
	}
	for name, typ := range want {
		if got, ok := resp.GetCustomAttributes()[name]; !ok || got != typ {
			t.Errorf("search attribute %s: got %v (registered %v), want %v", name, got, ok, typ)
		}
	}
}

// waitListed polls a visibility query (SQL visibility is written
// asynchronously) until it returns workflowID.
func waitListed(t *testing.T, c client.Client, query, workflowID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: query})
		if err != nil {
			t.Fatalf("ListWorkflow(%s): %v", query, err)
		}
		for _, e := range resp.GetExecutions() {
			if e.GetExecution().GetWorkflowId() == workflowID {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("ListWorkflow(%s) did not return %s in time", query, workflowID)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func httpGet(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp, string(body)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestEphemeralWithUI(t *testing.T) {
	t.Parallel()
	attrs := map[string]enums.IndexedValueType{
		"HookflowTenant":  enums.INDEXED_VALUE_TYPE_KEYWORD,
		"HookflowAttempt": enums.INDEXED_VALUE_TYPE_INT,
	}
	s := startServer(t, Options{UIPort: freePort(t), SearchAttributes: attrs})
	if !strings.HasPrefix(s.FrontendAddress(), "127.0.0.1:") {
		t.Errorf("FrontendAddress() = %q", s.FrontendAddress())
	}
	c := dialWithWorker(t, s)

	checkSearchAttributes(t, c, attrs)
	id := runGreet(t, c, "t1")
	waitListed(t, c, `HookflowTenant = "t1"`, id)

	resp, body := httpGet(t, s.UIURL())
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(strings.ToLower(body), "<html") {
		t.Errorf("GET %s: %s, Content-Type %q, body starts %.80q", s.UIURL(), resp.Status, resp.Header.Get("Content-Type"), body)
	}
	// The page is a shell: the UI works only if its embedded JS is served.
	asset := regexp.MustCompile(`href="(/_app/[^"]+\.js)"`).FindStringSubmatch(body)
	if asset == nil {
		t.Fatalf("no /_app/ script in the UI page: %.300q", body)
	}
	if resp, _ := httpGet(t, s.UIURL()+asset[1]); resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s", asset[1], resp.Status)
	}
	resp, body = httpGet(t, s.UIURL()+"/api/v1/namespaces")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"default"`) {
		t.Errorf("GET /api/v1/namespaces: %s, body %.200q", resp.Status, body)
	}
}

// TestRunningWorkflowIsListed checks the UI's list under the visibility
// settings of dynamicConfig: a workflow that is still running shows as
// Running (its start row is written, only later under load), and as
// Terminated once it ends.
func TestRunningWorkflowIsListed(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{SearchAttributes: map[string]enums.IndexedValueType{"HookflowTenant": enums.INDEXED_VALUE_TYPE_KEYWORD}})
	c := dialWithWorker(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// No worker polls this queue: the workflow waits for its first task
	// until it is terminated.
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "waiting", TaskQueue: "no-worker"}, greetWorkflow, "nobody")
	if err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	waitListed(t, c, `WorkflowId = "waiting" AND ExecutionStatus = "Running"`, run.GetID())
	if err := c.TerminateWorkflow(ctx, run.GetID(), run.GetRunID(), "test ends"); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	waitListed(t, c, `WorkflowId = "waiting" AND ExecutionStatus = "Terminated"`, run.GetID())
}

func TestFileBackedRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dbFile := filepath.Join(dir, "temporal.db")
	tenant := map[string]enums.IndexedValueType{"HookflowTenant": enums.INDEXED_VALUE_TYPE_KEYWORD}
	both := map[string]enums.IndexedValueType{
		"HookflowTenant": enums.INDEXED_VALUE_TYPE_KEYWORD,
		"HookflowEvent":  enums.INDEXED_VALUE_TYPE_KEYWORD,
	}

	var id string
	restart(t, Options{DatabaseFile: dbFile, SearchAttributes: tenant, Retention: 72 * time.Hour}, func(c client.Client) {
		id = runGreet(t, c, "t2")
		checkRetention(t, c, 72*time.Hour) // a new namespace is made with it
	})
	// Same file, one more search attribute: the workflow and the old
	// attribute survive, the new one is added to the existing namespace;
	// so is the new retention (HOOKFLOW_RETENTION changed between two runs).
	restart(t, Options{DatabaseFile: dbFile, SearchAttributes: both, Retention: 96 * time.Hour}, func(c client.Client) {
		checkRestored(t, c, id, both)
		checkRetention(t, c, 96*time.Hour)
	})
	// Within one process Temporal's SQLite plugin keeps the connection of a
	// file open even after Stop, so the restart above may not have read the
	// file back. A copy has a new name, so it is opened afresh, as in a new
	// `hookflow dev` process. The WAL holds the latest commits: copy it too.
	copied := filepath.Join(dir, "copy.db")
	for _, suffix := range []string{"", "-wal"} {
		data, err := os.ReadFile(dbFile + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(copied+suffix, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	restart(t, Options{DatabaseFile: copied, SearchAttributes: both}, func(c client.Client) {
		checkRestored(t, c, id, both)
	})
	// HookflowEvent's slot was mapped after the first start had dropped
	// the unused indexes: this fresh open indexed it again.
	checkVisibilityIndexes(t, copied, 2)
}

// checkVisibilityIndexes checks that the visibility table of dbFile keeps
// the indexes the UI queries by and those of keywords mapped slots, and
// none of the others (trimVisibility).
func checkVisibilityIndexes(t *testing.T, dbFile string, keywords int) {
	t.Helper()
	db, err := sql.Open("sqlite", dbFile)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	have, err := visibilityIndexes(db)
	if err != nil {
		t.Fatal(err)
	}
	var slots []string
	for _, name := range have {
		if strings.HasPrefix(name, "by_keyword_") {
			slots = append(slots, name)
		} else if !slices.Contains(queriedIndexes, name) {
			t.Errorf("visibility index %s was kept; nothing queries by it", name)
		}
	}
	for _, name := range queriedIndexes {
		if !slices.Contains(have, name) {
			t.Errorf("visibility index %s is missing", name)
		}
	}
	if len(slots) != keywords {
		t.Errorf("keyword indexes %v, want one for each of the %d mapped attributes", slots, keywords)
	}
}

// checkRetention checks how long the namespace keeps closed workflows.
func checkRetention(t *testing.T, c client.Client, want time.Duration) {
	t.Helper()
	ns, err := c.WorkflowService().DescribeNamespace(context.Background(), &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != want {
		t.Errorf("namespace retention = %s, want %s", got, want)
	}
}

// restart runs one life of a file-backed server: Start, use, Stop (twice,
// to check that Stop is idempotent).
func restart(t *testing.T, o Options, use func(client.Client)) {
	t.Helper()
	if t.Failed() {
		t.FailNow()
	}
	var s *Server
	t.Run(filepath.Base(o.DatabaseFile), func(t *testing.T) {
		s = startServer(t, o)
		use(dialWithWorker(t, s))
	})
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// checkRestored checks that a restarted server still has workflow id, its
// visibility record and the search attributes, and that a workflow using
// them runs.
func checkRestored(t *testing.T, c client.Client, id string, attrs map[string]enums.IndexedValueType) {
	t.Helper()
	checkSearchAttributes(t, c, attrs)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		t.Fatalf("DescribeWorkflowExecution after restart: %v", err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Errorf("status after restart = %v", st)
	}
	if n := desc.GetWorkflowExecutionInfo().GetHistoryLength(); n < 5 {
		t.Errorf("history length after restart = %d", n)
	}
	waitListed(t, c, `HookflowTenant = "t2"`, id)

	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		TaskQueue: taskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword("HookflowEvent").ValueSet("hook.created")),
	}, greetWorkflow, "again")
	if err != nil {
		t.Fatalf("start with the added search attribute: %v", err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatalf("workflow after restart: %v", err)
	}
}

func TestPortTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port

	for name, o := range map[string]Options{
		"UI":       {UIPort: port},
		"frontend": {FrontendPort: port, UIPort: freePort(t)},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := Start(ctx, o)
			if err == nil {
				s.Stop()
				t.Fatal("Start succeeded on a taken port")
			}
			if want := fmt.Sprintf("%s port %d", name, port); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		})
	}
}

func TestNotADatabase(t *testing.T) {
	dbFile := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(dbFile, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Start(ctx, Options{DatabaseFile: dbFile})
	if err == nil {
		s.Stop()
		t.Fatal("Start succeeded on a file that is not a database")
	}
	t.Log(err)
}
