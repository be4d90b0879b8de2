package chaos

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"
)

// receiver is a webhook receiver that can go down (connection refused),
// answer 503, or hold requests open, and records every delivery it accepts.
type receiver struct {
	addr string

	mu          sync.Mutex
	srv         *http.Server
	unavailable bool          // answer 503
	latency     time.Duration // how long each request takes
	gate        chan struct{} // when set, requests wait until it is closed
	inFlight    int
	got         map[string][]string // event id → webhook-id of each accepted request, in order
	order       []string            // event id of each accepted request, in arrival order
	failRate    float64             // the share of requests answered 500, at random
	rnd         *rand.Rand
	accepted    int // requests answered 200
	rejected    int // requests answered 503
}

// newReceiver starts a receiver on a loopback port it keeps across down/up.
func newReceiver(t *testing.T) *receiver {
	t.Helper()
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", freePort(t))) // a port it can take again after down
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{addr: ln.Addr().String(), got: map[string][]string{}}
	r.serve(ln)
	t.Cleanup(func() {
		r.release()
		r.down()
	})
	return r
}

func (r *receiver) url() string { return "http://" + r.addr + "/hook" }

func (r *receiver) serve(ln net.Listener) {
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// down closes the listener and every connection: senders get connection refused.
func (r *receiver) down() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// up listens again on the same address.
func (r *receiver) up(t *testing.T) {
	t.Helper()
	var ln net.Listener
	waitFor(t, "the receiver's port to be free again", 30*time.Second, func() bool {
		var err error
		ln, err = net.Listen("tcp", r.addr)
		return err == nil
	})
	r.serve(ln)
}

// failAtRandom makes the receiver answer 500 to a share of the requests, at random.
func (r *receiver) failAtRandom(share float64, seed uint64) {
	r.mu.Lock()
	r.failRate, r.rnd = share, rand.New(rand.NewPCG(seed, 18))
	r.mu.Unlock()
}

// accepts returns the event ids of the accepted requests, in arrival order.
func (r *receiver) accepts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.order)
}

// setUnavailable makes the receiver answer every request 503 (without Retry-After) or not.
func (r *receiver) setUnavailable(on bool) {
	r.mu.Lock()
	r.unavailable = on
	r.mu.Unlock()
}

// slow makes every request take d, as a real receiver does: requests are
// then in flight whenever deliveries flow.
func (r *receiver) slow(d time.Duration) {
	r.mu.Lock()
	r.latency = d
	r.mu.Unlock()
}

// hold makes requests wait, open, until release.
func (r *receiver) hold() {
	r.mu.Lock()
	r.gate = make(chan struct{})
	r.mu.Unlock()
}

// release lets held requests finish and stops holding new ones.
func (r *receiver) release() {
	r.mu.Lock()
	if r.gate != nil {
		close(r.gate)
		r.gate = nil
	}
	r.mu.Unlock()
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var msg struct {
		ID string `json:"id"` // the event id, in the standard format
	}
	_ = json.Unmarshal(body, &msg)
	r.mu.Lock()
	if r.unavailable || (r.failRate > 0 && r.rnd.Float64() < r.failRate) {
		r.rejected++
		r.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	gate, latency := r.gate, r.latency
	r.inFlight++
	r.mu.Unlock()
	answered := true
	if gate != nil || latency > 0 {
		wait := latency
		if gate != nil {
			wait = 2 * time.Minute // bounds a hold the test forgot to release
		}
		select {
		case <-gate:
		case <-time.After(wait):
		case <-req.Context().Done(): // the sender died or gave up: not delivered
			answered = false
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight--
	if !answered {
		return
	}
	r.got[msg.ID] = append(r.got[msg.ID], req.Header.Get("Webhook-Id"))
	r.order = append(r.order, msg.ID)
	r.accepted++
	w.WriteHeader(http.StatusOK)
}

// inFlightCount is how many requests are being held open.
func (r *receiver) inFlightCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inFlight
}

// delivered is how many distinct events were accepted.
func (r *receiver) delivered() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// arrivals returns the webhook-ids an event arrived with (one per accepted request).
func (r *receiver) arrivals(eventID string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got[eventID])
}

// figures are what each test reports: events sent, acknowledged (202),
// delivered (distinct event ids accepted by the receiver), duplicated (extra
// accepted requests) and lost (acknowledged, never delivered).
type figures struct {
	sent, acked, delivered, duplicated, lost int
}

func (f figures) String() string {
	return fmt.Sprintf("sent=%d acknowledged=%d delivered=%d duplicated=%d lost=%d",
		f.sent, f.acked, f.delivered, f.duplicated, f.lost)
}

// expectDelivered waits until every acknowledged event has reached r, then
// logs the figures and checks docs/spec.md §8: nothing acknowledged is lost, and an
// event's duplicates carry its one delivery id.
func expectDelivered(t *testing.T, r *receiver, sent int, acked map[string]bool, timeout time.Duration) figures {
	t.Helper()
	missing := func() []string {
		r.mu.Lock()
		defer r.mu.Unlock()
		var ids []string
		for id := range acked {
			if len(r.got[id]) == 0 {
				ids = append(ids, id)
			}
		}
		return ids
	}
	deadline := time.Now().Add(timeout)
	for len(missing()) > 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	lost := missing()
	sort.Strings(lost)
	r.mu.Lock()
	f := figures{sent: sent, acked: len(acked), delivered: len(r.got), duplicated: r.accepted - len(r.got), lost: len(lost)}
	for id, hooks := range r.got {
		if slices.ContainsFunc(hooks, func(h string) bool { return h != hooks[0] }) {
			t.Errorf("event %s arrived under different webhook-ids %v: duplicates must share the delivery id", id, hooks)
		}
	}
	r.mu.Unlock()
	t.Logf("figures: %s", f)
	if len(lost) > 0 {
		t.Errorf("%d acknowledged events never reached the receiver within %s, e.g. %v", len(lost), timeout, lost[:min(len(lost), 10)])
	}
	return f
}
