package chaos

import (
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// SIGTERM to a worker with 5 requests in flight (the receiver holds them
// open): they finish and are recorded once, never re-sent, and the stopping
// worker starts none of the 5 events triggered after the signal; a new
// worker delivers those.
func TestWorkerGracefulShutdown(t *testing.T) {
	began := time.Now()
	rcv := newReceiver(t)
	// Requests are held open for seconds: the delivery timeout must outlast that.
	s := startSplit(t, filepath.Join(t.TempDir(), "hookflow.db"), "HOOKFLOW_DELIVERY_TIMEOUT=30s")
	hookID := s.client.createHook(t, rcv.url())

	rcv.hold()
	inFlight := &load{client: s.client, idPrefix: "in-flight", n: 5, concurrency: 5, retry: true, deadline: time.Minute}
	inFlight.start()
	inFlight.wait(t)
	waitFor(t, "5 requests in flight", time.Minute, func() bool { return rcv.inFlightCount() == 5 })

	if err := s.worker.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Give the worker time to take the signal in (it stops polling, then
	// waits for its activities): the events triggered next are work it must
	// no longer start.
	time.Sleep(2 * time.Second)
	after := &load{client: s.client, idPrefix: "after-sigterm", n: 5, concurrency: 5, retry: true, deadline: time.Minute}
	after.start()
	after.wait(t)
	time.Sleep(2 * time.Second) // a worker that still polled would send them now
	if n := rcv.inFlightCount(); n != 5 {
		t.Errorf("%d requests in flight after SIGTERM, want the 5 from before it", n)
	}
	rcv.release()
	if !s.worker.wait(45 * time.Second) {
		t.Fatal("worker still running 45s after SIGTERM with its requests done")
	}
	if s.worker.err != nil {
		t.Errorf("worker exited with %v after SIGTERM", s.worker.err)
	}
	for id := range after.acknowledged() {
		if n := len(rcv.arrivals(id)); n > 0 {
			t.Errorf("event %s was sent by the stopping worker", id)
		}
	}
	held := inFlight.acknowledged()
	for _, d := range s.client.hookDeliveries(t, hookID) {
		if held[d.EventID] && (d.Status != "succeeded" || d.Attempts != 1) {
			t.Errorf("in-flight delivery %d of %s is %s after %d attempts, want succeeded after 1", d.ID, d.EventID, d.Status, d.Attempts)
		}
	}

	s.startWorker(t)
	acked := after.acknowledged()
	maps.Copy(acked, held)
	expectDelivered(t, rcv, inFlight.n+after.n, acked, 2*time.Minute)
	for id := range held {
		if n := len(rcv.arrivals(id)); n != 1 {
			t.Errorf("in-flight event %s arrived %d times, want once: it finished before the worker stopped", id, n)
		}
	}
	t.Logf("took %s", time.Since(began).Round(time.Second))
}

// SIGTERM to the API under a load of 8 concurrent senders: every trigger is
// answered 202 or gets a connection error (never a 5xx, never a hang), the
// API exits cleanly, and every event it answered 202 is delivered. Requests
// it had begun are finished, not cut off: it stored no event it did not
// answer 202.
func TestAPIGracefulShutdown(t *testing.T) {
	began := time.Now()
	rcv := newReceiver(t)
	s := startSplit(t, filepath.Join(t.TempDir(), "hookflow.db"))
	s.client.createHook(t, rcv.url())

	l := &load{client: s.client, idPrefix: "api-sigterm", n: 300, concurrency: 8, deadline: 2 * time.Minute}
	l.start()
	waitFor(t, "50 events acknowledged", time.Minute, func() bool { return l.acked.Load() >= 50 })
	ackedAtTerm := l.acked.Load()
	s.api.stop(t, 30*time.Second)
	ackedAtExit := l.acked.Load()
	l.wait(t)

	connErrs, _ := l.expectAnswers(t)
	if connErrs == 0 {
		t.Error("no trigger got a connection error: the API did not stop accepting")
	}
	acked := l.acknowledged()
	if f := expectDelivered(t, rcv, l.n, acked, 2*time.Minute); f.delivered != f.acked {
		t.Errorf("%d events delivered, %d answered 202: a trigger was cut off after it was accepted", f.delivered, f.acked)
	}
	s.startAPI(t) // to ask what the stopped one stored
	for i := range l.n {
		id := fmt.Sprintf("%s-%d", l.idPrefix, i)
		if code, err := s.client.do(http.MethodGet, "/v1/events/"+id, nil, nil); !acked[id] && (err != nil || code != http.StatusNotFound) {
			t.Errorf("GET event %s, which got no 202 = %d %v, want 404: a trigger was cut off after it was stored", id, code, err)
		}
	}
	t.Logf("SIGTERM at %d acknowledged, exit at %d; %d connection errors; took %s",
		ackedAtTerm, ackedAtExit, connErrs, time.Since(began).Round(time.Second))
}
