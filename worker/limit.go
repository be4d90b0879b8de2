package worker

import (
	"sync"
	"time"
)

// limit is an adaptive bound on the events whose workflows are starting
// (from the start request until the event's plan begins in a worker): AIMD,
// as TCP paces a connection. Every start that reaches its plan in time
// widens the bound by about one per bound's worth of starts; a start that
// fails, or whose plan began late, narrows it by a third, at most once per
// target interval. So the bound settles where the engine (server,
// persistence, workers) just keeps up, and a load above that waits in the
// queue, in hookflow's database, instead of piling up in Temporal.
//
// "In time" is within target, or within three times the floor (the quickest
// recent starts) when the machine or the network makes every start slow:
// a slow engine needs more starts in flight for the same pace, not fewer.
// The floor is capped (ceiling) so a queue inside the engine, which raises
// every start's time, is never mistaken for a slow machine for long.
type limit struct {
	mu              sync.Mutex
	bound           float64
	min, max        float64
	target, ceiling time.Duration
	floor           time.Duration // a minimum of recent start times that slowly forgets
	inflight        int
	cut             time.Time // when the bound last narrowed
	freed           chan struct{}
	now             func() time.Time
}

func newLimit(initial, lo, hi int, target, ceiling time.Duration) *limit {
	return &limit{bound: float64(initial), min: float64(lo), max: float64(hi), target: target, ceiling: ceiling,
		freed: make(chan struct{}, 1), now: time.Now}
}

// late is how long a start may take before it counts as congestion.
func (l *limit) late() time.Duration {
	return min(max(l.target, 3*l.floor), l.ceiling)
}

// free is how many more starts the bound allows now.
func (l *limit) free() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return max(int(l.bound)-l.inflight, 0)
}

// take counts n starts in flight.
func (l *limit) take(n int) {
	l.mu.Lock()
	l.inflight += n
	l.mu.Unlock()
}

// done ends one start: ok says whether it succeeded, took how long it took
// to reach the event's plan (0: unknown, e.g. the workflow ran elsewhere).
func (l *limit) done(ok bool, took time.Duration) {
	l.mu.Lock()
	l.inflight--
	now := l.now()
	if took > 0 {
		if l.floor == 0 || took < l.floor {
			l.floor = took
		} else {
			l.floor += (took - l.floor) / 1000
		}
	}
	switch {
	case !ok || took > l.late():
		if now.Sub(l.cut) >= l.late() {
			l.bound = max(l.min, l.bound*2/3)
			l.cut = now
		}
	case took > 0:
		l.bound = min(l.max, l.bound+1/l.bound)
	}
	l.mu.Unlock()
	select {
	case l.freed <- struct{}{}:
	default:
	}
}

// state reports the bound and the starts in flight, for metrics.
func (l *limit) state() (bound, inflight int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int(l.bound), l.inflight
}
