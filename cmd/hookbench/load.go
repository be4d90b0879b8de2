package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// client talks to the hookflow API, or round several (-apis).
type client struct {
	base  string
	bases []string
	next  atomic.Int64
	key   string
	http  *http.Client
}

func (c *client) do(ctx context.Context, method, path string, body any, out any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	base := c.base
	if len(c.bases) > 0 {
		base = c.bases[int(c.next.Add(1))%len(c.bases)]
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		_ = json.Unmarshal(data, out)
	}
	return resp.StatusCode, nil
}

// setup creates the scenario's hooks: those the events reach, and the
// others, each subscribed to an event type of its own, as many tenants'
// integrations would be.
func setup(ctx context.Context, c *client, sc scenario, target string) error {
	options := map[string]any{}
	if sc.chunkSize > 0 {
		options["chunk_size"] = sc.chunkSize
	}
	extra := map[string]any{}
	if sc.ordering != "" {
		extra["ordering"] = sc.ordering
	}
	if sc.rateLimit > 0 {
		extra["rate_limit"] = sc.rateLimit
	}
	if err := createHooks(ctx, c, sc.hooks, target, options, extra, func(int) string { return "Bench.Event" }); err != nil {
		return err
	}
	return createHooks(ctx, c, sc.otherHooks, target, nil, nil, func(i int) string { return fmt.Sprintf("Other%d.Event", i) })
}

// createHooks creates n hooks, 16 requests at a time, with the fields of
// extra besides.
func createHooks(ctx context.Context, c *client, n int, target string, options, extra map[string]any, event func(int) string) error {
	sem := make(chan struct{}, 16)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			body := map[string]any{"name": "bench " + strconv.Itoa(i), "events": []string{event(i)}, "target_url": target, "options": options}
			maps.Copy(body, extra)
			if code, err := c.do(ctx, "POST", "/v1/hooks", body, nil); err != nil || code != http.StatusCreated {
				errs <- fmt.Errorf("create hook: status %d, %v", code, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// loadResult counts what the API answered.
type loadResult struct {
	sent, accepted, errors int64
	elapsed                time.Duration
	statuses               map[int]int64
	answers                []time.Duration // how long each trigger took to be answered
}

// send fires triggers: at o.rate per second (open loop) or as fast as
// o.concurrency allows, for o.duration or sc.events events.
func send(ctx context.Context, c *client, o options, sc scenario, rcv *receiver, runID string) loadResult {
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	records := make([]map[string]any, sc.records)
	for i := range records {
		records[i] = map[string]any{"id": i, "name": "record " + strconv.Itoa(i), "email1": "bench@example.com"}
	}
	var seq, sent, accepted, errs atomic.Int64
	var mu sync.Mutex
	statuses := map[int]int64{}
	var answers []time.Duration
	tokens := make(chan struct{}, o.concurrency)
	go pace(ctx, o.rate, tokens)
	began := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < o.concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range tokens {
				n := seq.Add(1)
				if sc.events > 0 && n > int64(sc.events) {
					cancel()
					return
				}
				batchSize := max(o.batch, 1)
				events := make([]map[string]any, batchSize)
				now := time.Now()
				for i := range events {
					id := fmt.Sprintf("%s-%d-%d", runID, n, i)
					rcv.sent(id, now)
					events[i] = map[string]any{"id": id, "event": "Bench.Event", "records": records}
				}
				var code int
				var err error
				asked := time.Now()
				if o.batch > 0 {
					code, err = c.do(context.WithoutCancel(ctx), "POST", "/v1/events/batch", map[string]any{"events": events}, nil)
				} else {
					code, err = c.do(context.WithoutCancel(ctx), "POST", "/v1/events", events[0], nil)
				}
				took := time.Since(asked)
				sent.Add(int64(batchSize))
				mu.Lock()
				statuses[code]++
				answers = append(answers, took)
				mu.Unlock()
				if err == nil && (code == http.StatusAccepted || code == http.StatusOK) {
					accepted.Add(int64(batchSize))
				} else {
					errs.Add(int64(batchSize))
				}
			}
		}()
	}
	wg.Wait()
	return loadResult{sent: sent.Load(), accepted: accepted.Load(), errors: errs.Load(), elapsed: time.Since(began), statuses: statuses, answers: answers}
}

// pace hands out one token per event: at rate per second, or unthrottled.
func pace(ctx context.Context, rate float64, tokens chan<- struct{}) {
	defer close(tokens)
	if rate <= 0 {
		for {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}
	interval := time.Duration(float64(time.Second) / rate)
	next := time.Now()
	for {
		if d := time.Until(next); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return
			}
		}
		select {
		case tokens <- struct{}{}:
		case <-ctx.Done():
			return
		}
		next = next.Add(interval)
	}
}
