package chaos

import (
	"testing"
	"time"
)

// The receiver is down for several retry intervals — first refusing
// connections until every delivery has failed 3 times, then answering 503
// until every delivery has failed 6 times — then comes back. Everything
// arrives within the retry budget (40 attempts), and the hook stays Active
// throughout: failing with budget left never disables it.
func TestReceiverOutage(t *testing.T) {
	began := time.Now()
	const maxAttempts = 40 // HOOKFLOW_RETRY_MAX_ATTEMPTS in fastRetries
	rcv := newReceiver(t)
	dev := startDev(t)
	hookID := dev.client.createHook(t, rcv.url())

	rcv.down()
	l := &load{client: dev.client, idPrefix: "outage", n: 50, concurrency: 4, retry: true, deadline: time.Minute}
	l.start()
	l.wait(t)
	failedAtLeast := func(n int) func() bool {
		return func() bool {
			ds := dev.client.hookDeliveries(t, hookID)
			for _, d := range ds {
				if d.Attempts < n {
					return false
				}
			}
			return len(ds) == l.n
		}
	}
	waitFor(t, "every delivery to be refused 3 times", 2*time.Minute, failedAtLeast(3))
	rcv.setUnavailable(true)
	rcv.up(t)
	waitFor(t, "every delivery to fail 6 times", 2*time.Minute, failedAtLeast(6))
	if state := dev.client.hookState(t, hookID); state != "Active" {
		t.Fatalf("hook is %s after 6 failed attempts of %d", state, maxAttempts)
	}
	rcv.setUnavailable(false)

	expectDelivered(t, rcv, l.n, l.acknowledged(), 2*time.Minute)
	waitFor(t, "every delivery recorded as succeeded", time.Minute, func() bool {
		for _, d := range dev.client.hookDeliveries(t, hookID) {
			if d.Status != "succeeded" {
				return false
			}
		}
		return true
	})
	most := 0
	for _, d := range dev.client.hookDeliveries(t, hookID) {
		most = max(most, d.Attempts)
	}
	if most >= maxAttempts {
		t.Errorf("a delivery took %d attempts, the whole budget of %d", most, maxAttempts)
	}
	if state := dev.client.hookState(t, hookID); state != "Active" {
		t.Errorf("hook is %s after every delivery succeeded", state)
	}
	t.Logf("every delivery succeeded after 6 to %d attempts of %d; took %s", most, maxAttempts, time.Since(began).Round(time.Second))
}
