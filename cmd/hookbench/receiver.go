package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// receiver counts deliveries and their latency: the time from the moment the
// trigger of their event was sent to the moment the request arrived here.
type receiver struct {
	url   string
	srv   *http.Server
	delay time.Duration

	mu         sync.Mutex
	sentAt     map[string]time.Time // event id → trigger sent
	seen       map[string]bool      // webhook-id → delivered
	latencies  []time.Duration
	duplicates int
	unknown    int
	last       time.Time
}

func startReceiver(delay time.Duration) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + ln.Addr().String() + "/hook", delay: delay, sentAt: map[string]time.Time{}, seen: map[string]bool{}}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

func (r *receiver) sent(eventID string, at time.Time) {
	r.mu.Lock()
	r.sentAt[eventID] = at
	r.mu.Unlock()
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	body, _ := io.ReadAll(req.Body)
	var msg struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &msg)
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	id := req.Header.Get("Webhook-Id")
	r.mu.Lock()
	switch sent, ok := r.sentAt[msg.ID]; {
	case r.seen[id]:
		r.duplicates++
	case !ok:
		r.unknown++
	default:
		r.seen[id] = true
		r.latencies = append(r.latencies, now.Sub(sent))
		r.last = now
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// firstSent is when the first trigger was sent; call with r.mu held.
func (r *receiver) firstSent() time.Time {
	var first time.Time
	for _, t := range r.sentAt {
		if first.IsZero() || t.Before(first) {
			first = t
		}
	}
	return first
}

func (r *receiver) delivered() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.latencies)
}
