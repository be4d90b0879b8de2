package worker

import (
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Every start runs at once, however many are waiting on Temporal: a slow
// start never holds up the next one.
func TestStartersRunEveryJobAtOnce(t *testing.T) {
	p := newStarters(time.Minute)
	const n = 50
	var running atomic.Int32
	release := make(chan struct{})
	for range n {
		p.run(func() {
			running.Add(1)
			<-release
		})
	}
	for deadline := time.Now().Add(10 * time.Second); running.Load() < n && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if got := running.Load(); got != n {
		t.Fatalf("%d of %d blocked jobs running", got, n)
	}
	close(release)
	p.stop()
}

// Starts one after another reuse a goroutine (whose stack has grown)
// rather than each starting a new one.
func TestStartersReuseTheirGoroutines(t *testing.T) {
	p := newStarters(time.Minute)
	defer p.stop()
	seen := map[string]bool{}
	ids := make(chan string)
	const n = 100
	for range n {
		p.run(func() { ids <- goroutineID() })
		seen[<-ids] = true
		time.Sleep(time.Millisecond) // room for the starter to go idle
	}
	// One goroutine would do; a loaded machine may run the next start
	// before the last starter is idle again.
	if len(seen) > n/4 {
		t.Errorf("%d starts one after another ran on %d goroutines, want few", n, len(seen))
	}
}

// An idle starter leaves after its idle time.
func TestStartersLetIdleGoroutinesGo(t *testing.T) {
	p := newStarters(10 * time.Millisecond)
	p.run(func() {})
	exited := make(chan struct{})
	go func() { p.wg.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("an idle starter was still there after 10 s")
	}
	p.stop()
}

// goroutineID is the running goroutine's number, from its stack's header
// ("goroutine 7 [running]:").
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	return strings.Fields(string(buf))[1]
}
