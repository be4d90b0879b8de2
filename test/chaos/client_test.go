package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// requestTimeout bounds every API request: a hang fails the test instead of
// stalling it.
const requestTimeout = 30 * time.Second

// apiKey authenticates to the split roles (dev runs open and ignores it).
const apiKey = "chaos-test-key-0123456789"

// apiClient talks to one hookflow API.
type apiClient struct {
	base string
	http *http.Client
}

func newAPIClient(port int) *apiClient {
	return &apiClient{
		base: fmt.Sprintf("http://127.0.0.1:%d", port),
		http: &http.Client{Timeout: requestTimeout},
	}
}

// do sends a JSON request and decodes a JSON answer into out (when not nil).
func (c *apiClient) do(method, path string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s %s answer %d %q: %w", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode, nil
}

// createHook subscribes url to every event and returns the hook's id.
func (c *apiClient) createHook(t *testing.T, url string) int64 {
	t.Helper()
	var hook struct {
		ID int64 `json:"id"`
	}
	code, err := c.do(http.MethodPost, "/v1/hooks", map[string]any{"name": "chaos", "events": []string{"*"}, "target_url": url}, &hook)
	if err != nil || code != http.StatusCreated {
		t.Fatalf("create hook: %d %v", code, err)
	}
	return hook.ID
}

// trigger is one event's trigger body: one record, so one delivery per hook.
func trigger(id string) map[string]any {
	return map[string]any{"id": id, "event": "Contact.Update", "data": map[string]any{"id": 1, "email1": id + "@example.com"}}
}

// delivery is the part of a delivery the tests read.
type delivery struct {
	ID       int64  `json:"id"`
	EventID  string `json:"event_id"`
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
}

// hookDeliveries lists every delivery of a hook.
func (c *apiClient) hookDeliveries(t *testing.T, hookID int64) []delivery {
	t.Helper()
	var all []delivery
	cursor := ""
	for {
		var page struct {
			Data       []delivery `json:"data"`
			NextCursor string     `json:"next_cursor"`
		}
		path := fmt.Sprintf("/v1/hooks/%d/deliveries?limit=500&cursor=%s", hookID, cursor)
		if code, err := c.do(http.MethodGet, path, nil, &page); err != nil || code != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, code, err)
		}
		all = append(all, page.Data...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
}

// hookState returns a hook's state: Active, Stopped or TooManyErrors.
func (c *apiClient) hookState(t *testing.T, hookID int64) string {
	t.Helper()
	var hook struct {
		State string `json:"state"`
	}
	if code, err := c.do(http.MethodGet, fmt.Sprintf("/v1/hooks/%d", hookID), nil, &hook); err != nil || code != http.StatusOK {
		t.Fatalf("GET hook %d: %d %v", hookID, code, err)
	}
	return hook.State
}

// load sends triggers for events idPrefix-0 … idPrefix-(n-1) from a few
// concurrent senders, as a CRM would, and counts the answers.
type load struct {
	client      *apiClient
	idPrefix    string
	n           int
	concurrency int
	// retry makes a sender resend an event (same id, so idempotent) after
	// any other answer until it is answered 202, as a CRM retries; without
	// it every event is sent once.
	retry bool
	// pause is how long a sender waits after a 202 before its next event.
	pause time.Duration
	// deadline bounds the whole load.
	deadline time.Duration

	acked    atomic.Int64
	mu       sync.Mutex
	ackedIDs map[string]bool
	statuses map[int]int // answers other than 202, by status code
	connErrs int         // requests refused or cut off: the process was down or stopping
	failures []string    // requests that hung past requestTimeout or failed otherwise
	done     chan struct{}
}

// start begins sending in the background; wait returns when every event is
// answered (or given up on at the deadline).
func (l *load) start() {
	l.ackedIDs = map[string]bool{}
	l.statuses = map[int]int{}
	l.done = make(chan struct{})
	ids := make(chan string, l.n)
	for i := range l.n {
		ids <- fmt.Sprintf("%s-%d", l.idPrefix, i)
	}
	close(ids)
	end := time.Now().Add(l.deadline)
	var wg sync.WaitGroup
	for range l.concurrency {
		wg.Go(func() {
			for id := range ids {
				l.send(id, end)
			}
		})
	}
	go func() {
		wg.Wait()
		close(l.done)
	}()
}

// send triggers one event, resending it if l.retry, until it is acknowledged
// or end has passed.
func (l *load) send(id string, end time.Time) {
	for time.Now().Before(end) {
		code, err := l.client.do(http.MethodPost, "/v1/events", trigger(id), nil)
		l.mu.Lock()
		switch {
		case err == nil && code == http.StatusAccepted:
			l.ackedIDs[id] = true
		case err == nil:
			l.statuses[code]++
		case isConnError(err):
			l.connErrs++
		default:
			l.failures = append(l.failures, err.Error())
		}
		l.mu.Unlock()
		if err == nil && code == http.StatusAccepted {
			l.acked.Add(1)
			time.Sleep(l.pause)
			return
		}
		if !l.retry {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// wait waits for the load to end; it fails the test if the load outlives its deadline.
func (l *load) wait(t *testing.T) {
	t.Helper()
	select {
	case <-l.done:
	case <-time.After(l.deadline + 2*requestTimeout):
		t.Fatalf("load %s did not end", l.idPrefix)
	}
}

// acknowledged returns the ids of the events answered 202.
func (l *load) acknowledged() map[string]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.ackedIDs)
}

// expectAnswers checks that the senders got no answer besides 202 and the
// allowed status codes, and no error but connection errors (no hang). It
// returns how many requests got a connection error, and how many of each
// allowed status.
func (l *load) expectAnswers(t *testing.T, allowed ...int) (connErrs int, statuses map[int]int) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for code, n := range l.statuses {
		if !slices.Contains(allowed, code) {
			t.Errorf("%d triggers answered %d", n, code)
		}
	}
	for _, f := range l.failures[:min(len(l.failures), 10)] {
		t.Errorf("trigger failed (request timeout %s): %s", requestTimeout, f)
	}
	return l.connErrs, maps.Clone(l.statuses)
}
