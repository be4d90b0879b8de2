package chaos

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// soakRSSLimit is the peak resident memory hookflow dev may reach while it
// accepts and delivers 200 events of 1 MiB to 2 hooks: the embedded
// Temporal server and SQLite included.
const soakRSSLimit = 500 << 20

// TestSoakLargeEventsStayBounded sends 200 events of one 1 MiB record to two
// hooks through the real binary (hookflow dev) and reads the process's peak
// resident set (VmHWM in /proc/<pid>/status) once every delivery arrived
// (issue 14: 40 such events took the heap from 39 MB to 2 GB, held by the
// worker's event cache).
func TestSoakLargeEventsStayBounded(t *testing.T) {
	var deliveries, received atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		received.Add(n)
		deliveries.Add(1)
	}))
	defer rcv.Close()
	dev := startDev(t)
	dev.client.createHook(t, rcv.URL+"/a")
	dev.client.createHook(t, rcv.URL+"/b")
	idle := procStatus(t, dev.proc.cmd.Process.Pid, "VmRSS")

	const events, hooks, senders = 200, 2, 4
	note := strings.Repeat("n", 1<<20)
	began := time.Now()
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range senders {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < events; i = next.Add(1) - 1 {
				id := fmt.Sprintf("soak-%03d", i)
				code, err := dev.client.do(http.MethodPost, "/v1/events", map[string]any{
					"id": id, "event": "Contact.Update", "data": map[string]any{"id": i, "note": note}}, nil)
				if err != nil || code != http.StatusAccepted {
					t.Errorf("trigger %s = %d %v", id, code, err)
					return
				}
			}
		})
	}
	wg.Wait()
	accepted := time.Since(began)
	waitFor(t, "every delivery", 4*time.Minute, func() bool { return deliveries.Load() >= events*hooks })
	peak, rss := procStatus(t, dev.proc.cmd.Process.Pid, "VmHWM"), procStatus(t, dev.proc.cmd.Process.Pid, "VmRSS")
	t.Logf("%d events of 1 MiB to %d hooks: accepted in %s, delivered (%d MiB received) in %s; RSS idle %d MiB, peak %d MiB, now %d MiB",
		events, hooks, accepted.Round(time.Second), received.Load()>>20, time.Since(began).Round(time.Second), idle>>20, peak>>20, rss>>20)
	if peak > soakRSSLimit {
		t.Errorf("hookflow dev peaked at %d MiB resident; want at most %d MiB", peak>>20, soakRSSLimit>>20)
	}
}

// procStatus reads a memory field (in kB) of /proc/<pid>/status, in bytes.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", field, v, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("/proc/%d/status has no %s", pid, field)
	return 0
}
