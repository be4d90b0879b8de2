package worker

import (
	"sync"
	"time"
)

// starters runs the dispatcher's starts, each at once on a goroutine of its
// own, reusing goroutines that finished a start. A start's call into the
// Temporal client runs deep (interceptors, gRPC), so a new goroutine grows
// its stack several times over on the way: a third of a start's CPU in a
// profile at 200 events/s (docs/bench/issue13.md, tenth pass). A goroutine
// kept from an earlier start has grown it already.
type starters struct {
	jobs chan func() // unbuffered: a send succeeds only if a starter is idle
	quit chan struct{}
	wg   sync.WaitGroup
	idle time.Duration // how long an idle starter is kept
}

func newStarters(idle time.Duration) *starters {
	return &starters{jobs: make(chan func()), quit: make(chan struct{}), idle: idle}
}

// run runs job now: on an idle starter if there is one, else on a new one.
// It never waits for another job to finish. Not safe after stop.
func (p *starters) run(job func()) {
	select {
	case p.jobs <- job:
	default:
		p.wg.Add(1)
		go p.loop(job)
	}
}

// loop runs job, then the jobs handed to it, until it has been idle for
// p.idle or the pool stops.
func (p *starters) loop(job func()) {
	defer p.wg.Done()
	idle := time.NewTimer(p.idle)
	defer idle.Stop()
	for {
		job()
		idle.Reset(p.idle)
		select {
		case job = <-p.jobs:
		case <-idle.C:
			return
		case <-p.quit:
			return
		}
	}
}

// stop waits for the jobs running and lets the idle starters go.
func (p *starters) stop() {
	close(p.quit)
	p.wg.Wait()
}
