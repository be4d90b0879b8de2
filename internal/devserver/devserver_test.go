package devserver

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
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
	c, err := client.Dial(client.Options{HostPort: s.FrontendAddress(), Namespace: "default"})
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
	resp, body = httpGet(t, s.UIURL()+"/api/v1/namespaces")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"default"`) {
		t.Errorf("GET /api/v1/namespaces: %s, body %.200q", resp.Status, body)
	}
}

func TestFileBackedRestart(t *testing.T) {
	t.Parallel()
	dbFile := filepath.Join(t.TempDir(), "temporal.db")
	tenant := map[string]enums.IndexedValueType{"HookflowTenant": enums.INDEXED_VALUE_TYPE_KEYWORD}

	first, err := Start(context.Background(), Options{DatabaseFile: dbFile, SearchAttributes: tenant})
	if err != nil {
		t.Fatalf("first Start: %v", err)
	}
	var id string
	t.Run("first", func(t *testing.T) {
		id = runGreet(t, dialWithWorker(t, first), "t2")
	})
	if err := first.Stop(); err != nil {
		t.Fatalf("first Stop: %v", err)
	}
	if err := first.Stop(); err != nil {
		t.Fatalf("second Stop of the same server: %v", err)
	}
	if id == "" {
		t.FailNow()
	}

	// Restart with one more search attribute: the old ones and the
	// workflow survive, the new one is added to the existing namespace.
	both := map[string]enums.IndexedValueType{
		"HookflowTenant": enums.INDEXED_VALUE_TYPE_KEYWORD,
		"HookflowEvent":  enums.INDEXED_VALUE_TYPE_KEYWORD,
	}
	s := startServer(t, Options{DatabaseFile: dbFile, SearchAttributes: both})
	c := dialWithWorker(t, s)
	checkSearchAttributes(t, c, both)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
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

	// The attribute added on restart is usable at once.
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		TaskQueue: taskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword("HookflowEvent").ValueSet("hook.created")),
	}, greetWorkflow, "again")
	if err != nil {
		t.Fatalf("start with new search attribute: %v", err)
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
