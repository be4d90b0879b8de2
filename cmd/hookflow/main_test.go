package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the hookflow binary: with HOOKFLOW_TEST_RUN_MAIN
// set it runs main(), so tests start, kill and restart real processes.
func TestMain(m *testing.M) {
	if os.Getenv("HOOKFLOW_TEST_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a running hookflow process.
type proc struct {
	cmd *exec.Cmd
	out *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "HOOKFLOW_TEST_RUN_MAIN=1"), env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, out: out}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("hookflow %s output:\n%s", strings.Join(args, " "), out.String())
		}
	})
	return p
}

// waitReady polls /readyz until it answers 200.
func (p *proc) waitReady(t *testing.T, api string, timeout time.Duration) time.Duration {
	t.Helper()
	began := time.Now()
	for time.Since(began) < timeout {
		resp, err := http.Get(api + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return time.Since(began)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("hookflow not ready after %s", timeout)
	return 0
}

func call(t *testing.T, method, url string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		_ = json.Unmarshal(b, out)
	}
	return resp.StatusCode
}

type devPorts struct{ api, temporal, ui int }

func devArgs(dir string, p devPorts) []string {
	return []string{"dev", "--data-dir", dir, "--addr", fmt.Sprintf("127.0.0.1:%d", p.api),
		"--temporal-port", fmt.Sprint(p.temporal), "--ui-port", fmt.Sprint(p.ui)}
}

// hookflow dev killed with SIGKILL in the middle of a delivery, then
// restarted on the same data dir, keeps its hooks and events and finishes
// the delivery with the same delivery id. Ctrl-C then stops it cleanly.
func TestDevSurvivesKillDuringDelivery(t *testing.T) {
	dir := t.TempDir()
	ports := devPorts{freePort(t), freePort(t), freePort(t)}
	api := fmt.Sprintf("http://127.0.0.1:%d", ports.api)
	env := []string{"HOOKFLOW_DELIVERY_TIMEOUT=2s", "HOOKFLOW_RETRY_INITIAL_INTERVAL=200ms", "HOOKFLOW_LOG_LEVEL=warn"}

	var mu sync.Mutex
	var ids []string
	firstArrived := make(chan struct{})
	release := make(chan struct{})
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ids = append(ids, r.Header.Get("Webhook-Id"))
		n := len(ids)
		mu.Unlock()
		if n == 1 {
			close(firstArrived)
			<-release // hold the first request open while hookflow is killed
			return
		}
	}))
	defer rcv.Close()
	defer close(release)

	p := start(t, env, devArgs(dir, ports)...)
	took := p.waitReady(t, api, 3*time.Minute)
	t.Logf("hookflow dev ready in %s (cold, new data dir)", took.Round(time.Millisecond))
	if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", ports.ui)); err != nil || resp.StatusCode != 200 {
		t.Errorf("Temporal UI: %v %v", resp, err)
	}
	var hook struct{ ID int64 }
	if code := call(t, "POST", api+"/v1/hooks", map[string]any{"events": []string{"*"}, "target_url": rcv.URL}, &hook); code != 201 {
		t.Fatalf("create hook = %d", code)
	}
	if code := call(t, "POST", api+"/v1/events", map[string]any{"id": "kill-1", "event": "Contact.Update", "data": map[string]any{"id": 1}}, nil); code != 202 {
		t.Fatalf("trigger = %d", code)
	}
	select {
	case <-firstArrived:
	case <-time.After(30 * time.Second):
		t.Fatal("first delivery attempt never arrived")
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()

	p2 := start(t, env, devArgs(dir, ports)...)
	took = p2.waitReady(t, api, 2*time.Minute)
	t.Logf("hookflow dev ready in %s (restart on existing data)", took.Round(time.Millisecond))
	var ev struct {
		Deliveries []struct {
			ID     int64
			Status string
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		call(t, "GET", api+"/v1/events/kill-1", nil, &ev)
		if len(ev.Deliveries) == 1 && ev.Deliveries[0].Status == "succeeded" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery not finished after restart: %+v", ev)
		}
		time.Sleep(200 * time.Millisecond)
	}
	mu.Lock()
	got := append([]string(nil), ids...)
	mu.Unlock()
	if len(got) < 2 || got[0] != got[1] || got[0] != fmt.Sprint(ev.Deliveries[0].ID) {
		t.Errorf("webhook-ids seen = %v, want the delivery id %d on both attempts", got, ev.Deliveries[0].ID)
	}
	var hooks struct{ Data []struct{ ID int64 } }
	call(t, "GET", api+"/v1/hooks", nil, &hooks)
	if len(hooks.Data) != 1 || hooks.Data[0].ID != hook.ID {
		t.Errorf("hooks after restart = %+v", hooks.Data)
	}

	// Ctrl-C stops it cleanly and promptly.
	_ = p2.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- p2.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("hookflow dev exited with %v after Ctrl-C", err)
		}
	case <-time.After(45 * time.Second):
		t.Error("hookflow dev did not stop within 45s of Ctrl-C")
	}
}

// A chunk waiting on its chunk_delay timer when hookflow dev is killed goes
// out on time after a restart, and the chunk already sent is not sent again:
// the wait is a durable Temporal timer, not a sleep in the process.
func TestDevChunkTimerSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	ports := devPorts{freePort(t), freePort(t), freePort(t)}
	api := fmt.Sprintf("http://127.0.0.1:%d", ports.api)
	env := []string{"HOOKFLOW_LOG_LEVEL=warn"}
	var mu sync.Mutex
	arrivals := map[string][]time.Time{} // webhook-id → arrival times
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		arrivals[r.Header.Get("Webhook-Id")] = append(arrivals[r.Header.Get("Webhook-Id")], time.Now())
	}))
	defer rcv.Close()
	snapshot := func() map[string][]time.Time {
		mu.Lock()
		defer mu.Unlock()
		out := map[string][]time.Time{}
		for k, v := range arrivals {
			out[k] = append([]time.Time(nil), v...)
		}
		return out
	}

	p := start(t, env, devArgs(dir, ports)...)
	p.waitReady(t, api, 3*time.Minute)
	hook := map[string]any{"events": []string{"*"}, "target_url": rcv.URL, "options": map[string]any{"chunk_size": 1, "chunk_delay": 6}}
	if code := call(t, "POST", api+"/v1/hooks", hook, nil); code != 201 {
		t.Fatalf("create hook = %d", code)
	}
	records := []map[string]any{{"id": 1}, {"id": 2}}
	if code := call(t, "POST", api+"/v1/events", map[string]any{"id": "timer-1", "event": "Contact.Update", "records": records}, nil); code != 202 {
		t.Fatalf("trigger = %d", code)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(snapshot()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the first chunk never arrived")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // the task that sent chunk 0 and set chunk 1's timer completes
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	p2 := start(t, env, devArgs(dir, ports)...)
	p2.waitReady(t, api, 2*time.Minute)
	deadline = time.Now().Add(60 * time.Second)
	for len(snapshot()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the second chunk never arrived after the restart: %v", snapshot())
		}
		time.Sleep(100 * time.Millisecond)
	}
	got := snapshot()
	var first, second time.Time
	for _, times := range got {
		if len(times) != 1 {
			t.Errorf("a chunk arrived %d times, want once: %v", len(times), got)
		}
		if first.IsZero() || times[0].Before(first) {
			first, second = times[0], first
		} else {
			second = times[0]
		}
	}
	if gap := second.Sub(first); gap < 5500*time.Millisecond || gap > 30*time.Second {
		t.Errorf("the second chunk came %s after the first, want about chunk_delay (6s)", gap)
	}
}

// A bad setting stops the process at start with one line naming it.
func TestBadConfigurationStopsAtStart(t *testing.T) {
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), "HOOKFLOW_TEST_RUN_MAIN=1", "HOOKFLOW_RETRY_BACKOFF=fast", "HOOKFLOW_DATABASE_URL=", "HOOKFLOW_API_KEYS=")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("serve started with bad settings:\n%s", out)
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	for _, want := range []string{"HOOKFLOW_RETRY_BACKOFF:", "HOOKFLOW_DATABASE_URL:", "HOOKFLOW_API_KEYS:"} {
		n := 0
		for _, l := range lines {
			if strings.HasPrefix(l, want) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d lines start with %s:\n%s", n, want, out)
		}
	}
}

func TestVersion(t *testing.T) {
	cmd := exec.Command(os.Args[0], "version")
	cmd.Env = append(os.Environ(), "HOOKFLOW_TEST_RUN_MAIN=1")
	out, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(out), "hookflow ") {
		t.Errorf("version = %q, %v", out, err)
	}
}
