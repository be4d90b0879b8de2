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
	l.start()
	waitFor(t, "400 events acknowledged, 100 more than delivered", 2*time.Minute, func() bool {
		return l.acked.Load() >= 400 && int(l.acked.Load())-rcv.delivered() >= 100
	})
	ackedAtKill, deliveredAtKill := l.acked.Load(), rcv.delivered()
	dev.proc.kill(t)
	dev.start(t)
	l.wait(t)

	f := expectDelivered(t, rcv, l.n, l.acknowledged(), 3*time.Minute)
	if f.acked != l.n {
		t.Errorf("%d of %d events acknowledged after the restart", f.acked, l.n)
	}
	connErrs, _ := l.expectAnswers(t)
	t.Logf("killed at %d acknowledged, %d delivered (%d queued or in flight); %d connection errors resent; took %s",
		ackedAtKill, deliveredAtKill, int(ackedAtKill)-deliveredAtKill, connErrs, time.Since(began).Round(time.Second))
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
	orphans := &load{client: s.client, idPrefix: "no-worker", n: 200, concurrency: 16, deadline: time.Minute}
	orphans.start()
	orphans.wait(t)
	if n := orphans.acked.Load(); n != int64(orphans.n) {
		t.Errorf("%d of %d triggers acknowledged with no worker", n, orphans.n)
	}
	var ev struct {
		Status string `json:"status"`
	}
	if code, err := s.client.do(http.MethodGet, "/v1/events/no-worker-199", nil, &ev); err != nil || code != 200 || ev.Status != "queued" {
		t.Errorf("an event admitted with no worker = %d %q %v, want queued", code, ev.Status, err)
	}
	s.startWorker(t)
	burst.wait(t)

	acked := burst.acknowledged()
	maps.Copy(acked, orphans.acknowledged())
	f := expectDelivered(t, rcv, burst.n+orphans.n, acked, 3*time.Minute)
	if f.acked != burst.n+orphans.n {
		t.Errorf("%d of %d events acknowledged", f.acked, burst.n+orphans.n)
	}
	burst.expectAnswers(t)
	orphans.expectAnswers(t)
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
	during := &load{client: s.client, idPrefix: "temporal-down", n: 100, concurrency: 4, deadline: time.Minute}
	during.start()
	during.wait(t)
	if n := during.acked.Load(); n != int64(during.n) {
		t.Errorf("%d of %d triggers acknowledged with Temporal down", n, during.n)
	}
	var ready struct {
		Checks map[string]string `json:"checks"`
	}
	if code, err := s.client.do(http.MethodGet, "/readyz", nil, &ready); err != nil || code != http.StatusOK || ready.Checks["temporal"] != "unavailable" {
		t.Errorf("GET /readyz with Temporal down = %d %v %v, want 200 reporting Temporal unavailable", code, ready.Checks, err)
	}
	time.Sleep(2 * time.Second)
	s.temporal = s.startTemp(t)
	before.wait(t)

	acked := before.acknowledged()
	maps.Copy(acked, during.acknowledged())
	f := expectDelivered(t, rcv, before.n+during.n, acked, 3*time.Minute)
	if f.acked != before.n+during.n {
		t.Errorf("%d of %d events acknowledged", f.acked, before.n+during.n)
	}
	before.expectAnswers(t)
	during.expectAnswers(t)
	t.Logf("Temporal killed at %d delivered, down for the %d triggers after; took %s", deliveredAtKill, during.n, time.Since(began).Round(time.Second))
}
