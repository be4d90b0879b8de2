package chaos

import (
	"maps"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// hookflow dev is killed with SIGKILL in the middle of a burst: 16 senders
// as fast as it answers, killed once hundreds of events are acknowledged
// and most of them still wait in the queue. After the restart every
// acknowledged event is delivered: admitted means stored, whether or not
// its workflow had started (a dispatcher's claim of a dead process comes
// back when its lease ends).
func TestDevKilledMidBurst(t *testing.T) {
	began := time.Now()
	rcv := newReceiver(t)
	rcv.slow(20 * time.Millisecond)
	dev := startDev(t)
	dev.client.createHook(t, rcv.url())

	l := &load{client: dev.client, idPrefix: "burst-kill", n: 1500, concurrency: 16, retry: true, deadline: 3 * time.Minute}
	killDevUnder(t, dev, rcv, l, "400 events acknowledged, 100 more than delivered", func() bool {
		return l.acked.Load() >= 400 && int(l.acked.Load())-rcv.delivered() >= 100
	})
	t.Logf("took %s", time.Since(began).Round(time.Second))
}

// The production shape (Temporal, API and worker as processes, over a
// SQLite file): the worker alone is killed mid-burst. The API keeps
// answering 202 with no worker at all (the events wait, queued); a new
// worker dispatches the backlog and every acknowledged event is delivered.
func TestWorkerKilledMidBurst(t *testing.T) {
	began := time.Now()
	rcv := newReceiver(t)
	rcv.slow(20 * time.Millisecond)
	s := startSplit(t, filepath.Join(t.TempDir(), "hookflow.db"))
	s.client.createHook(t, rcv.url())

	burst := &load{client: s.client, idPrefix: "worker-kill", n: 600, concurrency: 16, retry: true, deadline: 3 * time.Minute}
	burst.start()
	waitFor(t, "100 deliveries and one in flight", 2*time.Minute, func() bool { return rcv.delivered() >= 100 && rcv.inFlightCount() > 0 })
	s.worker.kill(t)
	deliveredAtKill := rcv.delivered()
	// With no worker at all, a second burst is admitted all the same.
	orphans := sendAll(t, s.client, "no-worker", 200, 16, "with no worker")
	var ev struct {
		Status string `json:"status"`
	}
	if code, err := s.client.do(http.MethodGet, "/v1/events/no-worker-199", nil, &ev); err != nil || code != 200 || ev.Status != "queued" {
		t.Errorf("an event admitted with no worker = %d %q %v, want queued", code, ev.Status, err)
	}
	s.startWorker(t)
	burst.wait(t)

	expectAllDelivered(t, rcv, burst, orphans)
	t.Logf("worker killed at %d delivered; took %s", deliveredAtKill, time.Since(began).Round(time.Second))
}

// Temporal stops (SIGKILL of `hookflow temporal`) under load: triggers are
// still answered 202 (stored, queued), /readyz stays 200 with Temporal
// reported unavailable, and once Temporal is back on its data dir every
// acknowledged event is delivered.
func TestTemporalDownTriggersAreAcceptedThenDelivered(t *testing.T) {
	began := time.Now()
	rcv := newReceiver(t)
	s := startSplit(t, filepath.Join(t.TempDir(), "hookflow.db"))
	s.client.createHook(t, rcv.url())

	before := &load{client: s.client, idPrefix: "temporal-up", n: 100, concurrency: 4, retry: true, deadline: 2 * time.Minute}
	before.start()
	waitFor(t, "30 deliveries", 2*time.Minute, func() bool { return rcv.delivered() >= 30 })
	s.temporal.kill(t)
	deliveredAtKill := rcv.delivered()
	during := sendAll(t, s.client, "temporal-down", 100, 4, "with Temporal down")
	var ready struct {
		Checks map[string]string `json:"checks"`
	}
	if code, err := s.client.do(http.MethodGet, "/readyz", nil, &ready); err != nil || code != http.StatusOK || ready.Checks["temporal"] != "unavailable" {
		t.Errorf("GET /readyz with Temporal down = %d %v %v, want 200 reporting Temporal unavailable", code, ready.Checks, err)
	}
	time.Sleep(2 * time.Second)
	s.temporal = s.startTemp(t)
	before.wait(t)

	expectAllDelivered(t, rcv, before, during)
	t.Logf("Temporal killed at %d delivered, down for the %d triggers after; took %s", deliveredAtKill, during.n, time.Since(began).Round(time.Second))
}

// sendAll sends n triggers once each from concurrency senders and expects
// every one answered 202 (what says when, for the message).
func sendAll(t *testing.T, c *apiClient, idPrefix string, n, concurrency int, what string) *load {
	t.Helper()
	l := &load{client: c, idPrefix: idPrefix, n: n, concurrency: concurrency, deadline: time.Minute}
	l.start()
	l.wait(t)
	if acked := l.acked.Load(); acked != int64(n) {
		t.Errorf("%d of %d triggers acknowledged %s", acked, n, what)
	}
	return l
}

// expectAllDelivered expects every event of the loads acknowledged, with
// no answer but 202, and delivered.
func expectAllDelivered(t *testing.T, rcv *receiver, loads ...*load) {
	t.Helper()
	acked, sent := map[string]bool{}, 0
	for _, l := range loads {
		maps.Copy(acked, l.acknowledged())
		sent += l.n
		l.expectAnswers(t)
	}
	if f := expectDelivered(t, rcv, sent, acked, 3*time.Minute); f.acked != sent {
		t.Errorf("%d of %d events acknowledged", f.acked, sent)
	}
}
