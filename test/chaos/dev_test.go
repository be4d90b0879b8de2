package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fastRetries is a retry schedule short enough for a test and long enough
// (about a minute of budget) that no fault here exhausts it. A short
// delivery timeout makes Temporal soon redo an attempt a dead worker cut off.
var fastRetries = []string{
	"HOOKFLOW_RETRY_INITIAL_INTERVAL=200ms", "HOOKFLOW_RETRY_BACKOFF=2", "HOOKFLOW_RETRY_MAX_INTERVAL=2s",
	"HOOKFLOW_RETRY_MAX_ATTEMPTS=40", "HOOKFLOW_DELIVERY_TIMEOUT=2s",
}

// devStack is `hookflow dev` on ports and a data dir that survive restarts.
type devStack struct {
	dir                   string
	apiPort, temporalPort int
	env                   []string
	proc                  *proc
	client                *apiClient
}

// startDev runs hookflow dev with fastRetries and waits until it is ready.
func startDev(t *testing.T) *devStack {
	t.Helper()
	d := &devStack{dir: t.TempDir(), apiPort: freePort(t), temporalPort: freePort(t),
		env: append([]string{"HOOKFLOW_LOG_LEVEL=warn"}, fastRetries...)}
	d.client = newAPIClient(d.apiPort)
	d.start(t)
	return d
}

// start (re)starts the process on the same data dir and ports.
func (d *devStack) start(t *testing.T) {
	t.Helper()
	d.proc = startHookflow(t, "hookflow dev", d.env, "dev", "--data-dir", d.dir,
		"--addr", fmt.Sprintf("127.0.0.1:%d", d.apiPort), "--temporal-port", fmt.Sprint(d.temporalPort), "--ui-port", "0")
	waitReady(t, d.proc, d.client, 2*time.Minute)
}

// hookflow dev is killed with SIGKILL while 500 events are being accepted
// and delivered, then restarted on its data dir. The client resends what got
// no answer (same id), as a CRM would. Every acknowledged event arrives;
// duplicates carry the delivery id.
func TestDevKilledUnderLoad(t *testing.T) {
	began := time.Now()
	rcv := newReceiver(t)
	rcv.slow(20 * time.Millisecond)
	dev := startDev(t)
	dev.client.createHook(t, rcv.url())

	l := &load{client: dev.client, idPrefix: "dev-kill", n: 500, concurrency: 4, retry: true, deadline: 3 * time.Minute}
	killDevUnder(t, dev, rcv, l, "150 events acknowledged, 20 delivered, one in flight", func() bool {
		return l.acked.Load() >= 150 && rcv.delivered() >= 20 && rcv.inFlightCount() > 0
	})
	t.Logf("took %s", time.Since(began).Round(time.Second))
}

// killDevUnder runs load l against dev, kills dev with SIGKILL once when
// holds, restarts it on its data dir, and expects every event acknowledged
// (resent after the restart) and delivered, with no answer but 202.
func killDevUnder(t *testing.T, dev *devStack, rcv *receiver, l *load, what string, when func() bool) {
	t.Helper()
	l.start()
	waitFor(t, what, 2*time.Minute, when)
	ackedAtKill, deliveredAtKill := l.acked.Load(), rcv.delivered()
	dev.proc.kill(t)
	dev.start(t)
	l.wait(t)

	f := expectDelivered(t, rcv, l.n, l.acknowledged(), 3*time.Minute)
	if f.acked != l.n {
		t.Errorf("%d of %d events acknowledged after the restart", f.acked, l.n)
	}
	connErrs, _ := l.expectAnswers(t)
	t.Logf("killed at %d acknowledged, %d delivered (%d queued or in flight); %d connection errors resent",
		ackedAtKill, deliveredAtKill, int(ackedAtKill)-deliveredAtKill, connErrs)
}

// A trigger answered 202 is durable before the answer: hookflow dev is
// killed the instant a client has read a 202 (status line and headers, its
// body unread), three times over, with triggers in flight each time.
// Every event answered 202 is delivered after the restart.
func TestAcknowledgedIsDurable(t *testing.T) {
	began := time.Now()
	rcv := newReceiver(t)
	dev := startDev(t)
	dev.client.createHook(t, rcv.url())

	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		sent  int
	)
	for round := range 3 {
		var n atomic.Int64 // 202s read this round
		var killed atomic.Bool
		var wg sync.WaitGroup
		pid := dev.proc.cmd.Process.Pid
		for sender := range 8 {
			wg.Go(func() {
				for i := 0; !killed.Load() && i < 100; i++ {
					id := fmt.Sprintf("durable-%d-%d-%d", round, sender, i)
					mu.Lock()
					sent++
					mu.Unlock()
					if !triggerUntilHeaders(dev.client, id) {
						continue
					}
					mu.Lock()
					acked[id] = true
					mu.Unlock()
					if n.Add(1) == 20 && killed.CompareAndSwap(false, true) {
						_ = syscall.Kill(pid, syscall.SIGKILL) // the instant the 202 is read
						t.Logf("round %d: killed hookflow dev on reading the 202 for %s", round+1, id)
					}
				}
			})
		}
		wg.Wait()
		if !killed.Load() {
			t.Fatalf("round %d: fewer than 20 triggers answered 202", round+1)
		}
		dev.proc.kill(t) // reaps the killed process
		dev.start(t)
	}
	expectDelivered(t, rcv, sent, acked, 2*time.Minute)
	t.Logf("took %s", time.Since(began).Round(time.Second))
}

// triggerUntilHeaders sends one trigger and reports whether it was answered
// 202, returning as soon as the status line and headers are read.
func triggerUntilHeaders(c *apiClient, id string) bool {
	b, _ := json.Marshal(trigger(id))
	req, err := http.NewRequest(http.MethodPost, c.base+"/v1/events", bytes.NewReader(b))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusAccepted
}
