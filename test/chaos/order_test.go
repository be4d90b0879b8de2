package chaos

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// hookflow dev is killed with SIGKILL while a fifo hook's lane delivers to
// a receiver that fails a fifth of its requests at random, then restarted
// on its data dir. Events are sent one after another (each answered 202
// before the next is sent) and resent after the kill, as a CRM would. The
// receiver accepts every event in the order it was sent; the only repeat
// allowed is the request in flight at the kill, sent again at once.
func TestDevKilledKeepsFifoOrder(t *testing.T) {
	began := time.Now()
	rcv := newReceiver(t)
	rcv.failAtRandom(0.2, 18)
	dev := startDev(t)
	var hook struct {
		ID int64 `json:"id"`
	}
	code, err := dev.client.do(http.MethodPost, "/v1/hooks", map[string]any{"name": "fifo", "events": []string{"*"},
		"target_url": rcv.url(), "ordering": "fifo"}, &hook)
	if err != nil || code != http.StatusCreated {
		t.Fatalf("create hook: %d %v", code, err)
	}
	const n = 80
	l := &load{client: dev.client, idPrefix: "fifo-kill", n: n, concurrency: 1, retry: true, deadline: 3 * time.Minute}
	l.start()
	waitFor(t, "25 events accepted by the receiver", 2*time.Minute, func() bool { return len(rcv.accepts()) >= 25 })
	dev.proc.kill(t)
	dev.start(t)
	l.wait(t)
	waitFor(t, "every event accepted", 3*time.Minute, func() bool { return rcv.delivered() >= n })
	time.Sleep(time.Second) // a late duplicate or stray request would arrive now

	got := rcv.accepts()
	next, repeats := 0, 0
	for i, id := range got {
		switch {
		case next < n && id == fmt.Sprintf("fifo-kill-%d", next):
			next++
		case next > 0 && id == fmt.Sprintf("fifo-kill-%d", next-1):
			repeats++ // the request in flight at the kill, sent again
		default:
			t.Fatalf("accept %d is %s; want fifo-kill-%d (or a repeat of the one before)", i, id, next)
		}
	}
	if next != n {
		t.Fatalf("%d of %d events accepted in order", next, n)
	}
	if repeats > 1 {
		t.Errorf("%d repeats; one kill can repeat at most the request in flight", repeats)
	}
	t.Logf("%d events in order, %d repeated, took %s", n, repeats, time.Since(began).Round(time.Second))
}
