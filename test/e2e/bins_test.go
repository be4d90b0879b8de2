package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/api/router"
	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/golden"
	"github.com/hookflow/hookflow/internal/openapitest"
	"github.com/hookflow/hookflow/internal/payload"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
)

// screenshotPath is where the browser test leaves its picture of the page:
// docs/bins.png, the README's, when HOOKFLOW_UPDATE=1 (internal/golden; so a
// plain test run leaves the tree clean), else the test's temporary directory.
func screenshotPath(t *testing.T) string {
	if golden.Update() {
		return filepath.Join("..", "..", "docs", "bins.png")
	}
	return filepath.Join(t.TempDir(), "bins.png")
}

// requireBrowserEnv makes the browser tests fail, not skip, without a
// Chromium. .ci/run sets it, so CI always runs them; HOOKFLOW_UPDATE=1
// needs the browser too, as it promises a new screenshot.
const requireBrowserEnv = "HOOKFLOW_REQUIRE_BROWSER"

// chromium finds Debian's chromium (or another Chrome). Without one the
// browser tests skip, saying how to run them, so that go test ./... passes
// with only Go installed; where a run must prove the page, they fail.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const missing = "no Chromium on PATH (looked for chromium, chromium-browser, google-chrome, google-chrome-stable); " +
		"the request bin's browser tests need one: apt-get install -y chromium, then go test ./test/e2e -run TestBinPage"
	if os.Getenv(requireBrowserEnv) == "1" || golden.Update() {
		t.Fatalf("%s; required, as %s=1 or %s=1 is set", missing, requireBrowserEnv, golden.Env)
	}
	t.Skipf("%s. Skipped; %s=1 (which .ci/run sets) makes this a failure", missing, requireBrowserEnv)
	return ""
}

// browser starts a headless chromium with a fresh profile and returns a tab
// that lives at most limit. Chromium's output is logged if the test fails.
func browser(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	exe := chromium(t) // first: it may skip the test
	logPath := filepath.Join(t.TempDir(), "chromium.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	bounded, cancelAll := context.WithTimeout(context.Background(), limit)
	alloc, cancelAlloc := chromedp.NewExecAllocator(bounded,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in CI, where the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), // containers have a tiny /dev/shm
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(logFile),
	)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelAll()
		logFile.Close()
		if out, _ := os.ReadFile(logPath); t.Failed() {
			t.Logf("chromium output:\n%s", out)
		}
	})
	// The first action starts the browser and ties it to the context it
	// gets; this one has only the whole test's bound, not a step's.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return tab
}

// step runs browser actions within limit, failing the test with what it was doing.
func step(t *testing.T, tab context.Context, limit time.Duration, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, limit)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
}

// read runs one browser action that returns a value, within limit.
func read[T any](t *testing.T, tab context.Context, limit time.Duration, what string, action chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, limit)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// A person opens a bin's page, a hook delivers to the bin, and the delivery
// shows up on the open page without a reload; expanded, it shows its
// headers and body and that its signature is valid.
func TestBinPageInBrowser(t *testing.T) {
	started := time.Now()
	tab := browser(t, 2*time.Minute)
	t.Logf("chromium started in %s", time.Since(started).Round(time.Millisecond))
	e := newEnv(t, storetest.SQLite(t))
	var bin struct {
		URL     string `json:"url"`
		ViewURL string `json:"view_url"`
	}
	if code := e.call("POST", "/v1/bins", nil, &bin); code != 201 {
		t.Fatalf("create bin = %d", code)
	}
	hook := e.createHook(map[string]any{"name": "CRM sync", "events": []string{"contact.*"}, "target_url": bin.URL + "/crm"})

	var mu sync.Mutex
	var thrown []string // uncaught exceptions of the page
	err := chromedp.Listen(tab, func(ev any) {
		if ex, ok := ev.(*runtime.EventExceptionThrown); ok {
			mu.Lock()
			defer mu.Unlock()
			thrown = append(thrown, fmt.Sprintf("%s (%s:%d)", ex.ExceptionDetails.Text, ex.ExceptionDetails.URL, ex.ExceptionDetails.LineNumber+1))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	step(t, tab, 15*time.Second, "open the page",
		chromedp.EmulateViewport(1280, 860),
		chromedp.Navigate(fmt.Sprintf("%s?hook=%d", bin.ViewURL, hook.ID)),
		chromedp.WaitVisible(chromedp.CSS("#empty")),
		// Survives only if the page is never reloaded.
		chromedp.Evaluate[chromedp.Void](`window.sameDocument = true`))

	// Someone tries the bin by hand, then the CRM reports a change.
	resp, err := http.Post(bin.URL+"/hello?source=curl", "application/json", strings.NewReader(`{"hello": "world"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST to the bin: %v %v", resp, err)
	}
	resp.Body.Close()
	a := e.trigger(map[string]any{"id": "evt-bin-1", "event": "Contact.Update", "actor": "5",
		"records": []map[string]any{{"id": 1042, "first_name": "Ada", "email1": "ada@example.com", "company": map[string]any{"id": 7, "name": "Analytical Engines"}}},
		"changes": [][]string{{"email1"}}})
	if d := e.eventDone(a.EventID, 1).Deliveries[0]; d.Status != "succeeded" {
		t.Fatalf("delivery to the bin = %+v", d)
	}

	sent := time.Now()
	step(t, tab, 15*time.Second, "see the delivery arrive", chromedp.WaitVisible(chromedp.CSS(`#requests li.request:nth-child(2)`)))
	t.Logf("delivery on the page %s after it was sent", time.Since(sent).Round(time.Millisecond))
	if !read(t, tab, 5*time.Second, "check for a reload", chromedp.Evaluate[bool](`window.sameDocument === true`)) {
		t.Fatal("the page reloaded to show the delivery; it must update in place")
	}

	first := func(sel string) chromedp.CSS { return chromedp.CSS(`#requests li.request:first-child ` + sel) }
	step(t, tab, 10*time.Second, "expand the delivery",
		chromedp.Click(first(".summary")),
		chromedp.WaitVisible(first(".details .signature .verdict")))
	verdict := read(t, tab, 5*time.Second, "read the verdict", chromedp.Text(first(".details .signature .verdict")))
	detail := read(t, tab, 5*time.Second, "read the verdict's detail", chromedp.Text(first(".details .signature .detail")))
	if verdict != "valid" || !strings.Contains(detail, "current secret") {
		t.Errorf("verdict = %q (%s), want valid", verdict, detail)
	}
	path := read(t, tab, 5*time.Second, "read the path", chromedp.Text(first(".path")))
	body := read(t, tab, 5*time.Second, "read the body", chromedp.TextContent(first(".details pre.body")))
	if !strings.HasSuffix(path, "/crm") || !strings.Contains(body, "\n      \"first_name\": \"Ada\"") {
		t.Errorf("path %q, body not pretty-printed:\n%s", path, body)
	}
	other := read(t, tab, 5*time.Second, "read the hand-made request's verdict", chromedp.Text(chromedp.CSS(`#requests li.request:nth-child(2) .verdict`)))
	if other != "invalid" {
		t.Errorf("an unsigned request's verdict = %q, want invalid", other)
	}

	step(t, tab, 5*time.Second, "let the arrival highlight fade", chromedp.Evaluate[chromedp.Void](
		`Promise.all(document.getAnimations().filter((a) => a.effect.getTiming().iterations !== Infinity).map((a) => a.finished))`,
		chromedp.EvalAwaitPromise))
	png := read(t, tab, 10*time.Second, "take the screenshot", chromedp.FullScreenshot(100))
	if len(png) < 1000 {
		t.Errorf("screenshot is %d bytes: the page did not render", len(png))
	}
	if err := os.WriteFile(screenshotPath(t), png, 0o644); err != nil {
		t.Fatalf("save screenshot: %v", err)
	}

	step(t, tab, 5*time.Second, "copy as curl",
		chromedp.Click(first(".copy-curl")),
		chromedp.WaitVisible(first("pre.curl")))
	curl := read(t, tab, 5*time.Second, "read the curl line", chromedp.TextContent(first("pre.curl")))
	if !strings.HasPrefix(curl, "curl -X POST '"+bin.URL+"/crm'") || !strings.Contains(curl, "-H 'Webhook-Signature: v1,") ||
		!strings.Contains(curl, `--data-binary '{"`) {
		t.Errorf("copy as curl = %s", curl)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(thrown) > 0 {
		t.Errorf("the page threw: %v", thrown)
	}
}

// Against an API with keys, the page lists a bin's requests with no key,
// asks for one to check signatures, and checks them once it has it.
func TestBinPageAsksForAKey(t *testing.T) {
	tab := browser(t, time.Minute)
	key := config.APIKey{Key: "acme-key-0000000001", Tenant: "acme"}
	srv := httptest.NewServer(router.New(storetest.Open(t, storetest.SQLite(t)), api.Deps{Keys: []config.APIKey{key},
		MaxBody: 1 << 20, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	e := &env{t: t, api: srv, http: &http.Client{Transport: openapitest.New(t, openapiDocument(t, srv.URL)).Transport(nil)}}
	auth := []string{"Authorization", "Bearer " + key.Key}
	var bin struct {
		URL     string `json:"url"`
		ViewURL string `json:"view_url"`
	}
	var hook hookAnswer
	if code := e.callWithHeader("POST", "/v1/bins", nil, &bin, auth...); code != 201 {
		t.Fatalf("create bin = %d", code)
	}
	if code := e.callWithHeader("POST", "/v1/hooks", map[string]any{"events": []string{"*"}, "target_url": bin.URL}, &hook, auth...); code != 201 {
		t.Fatalf("create hook = %d", code)
	}
	now := time.Now()
	delivery, err := payload.Encode(payload.Standard, &payload.Message{DeliveryID: 1, EventID: "evt-1", EventType: "Contact.Update",
		OccurredAt: now, Records: []models.Record{{Data: map[string]any{"id": 1}}}}, []string{hook.Secret}, now)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := delivery.HTTPRequest(context.Background(), bin.URL, nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("deliver to the bin: %v %v", resp, err)
	}

	step(t, tab, 15*time.Second, "open the page without a key",
		chromedp.Navigate(fmt.Sprintf("%s?hook=%d", bin.ViewURL, hook.ID)),
		chromedp.WaitVisible(chromedp.CSS(`#requests li.request`)),
		chromedp.WaitVisible(chromedp.CSS(`#key-form`)))
	if n := read(t, tab, 5*time.Second, "count verdicts", chromedp.Evaluate[int](`document.querySelectorAll("#requests .verdict").length`)); n != 0 {
		t.Errorf("without a key the page shows %d verdicts, want none", n)
	}
	step(t, tab, 15*time.Second, "give the key and see the verdict",
		chromedp.SendKeys(chromedp.CSS(`#key`), key.Key),
		chromedp.Click(chromedp.CSS(`#key-form button`)),
		chromedp.WaitVisible(chromedp.CSS(`#requests li.request .verdict.valid`)),
		chromedp.WaitNotVisible(chromedp.CSS(`#key-form`)))
}
