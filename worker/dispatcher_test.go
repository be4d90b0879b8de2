package worker

import (
	"slices"
	"testing"
	"time"
)

// A claim is never larger than the starts free, nor than maxClaim, and is
// one of a few sizes; with none free (the bound shrank while the
// dispatcher gathered free starts) there is no claim, and no panic.
func TestClaimSize(t *testing.T) {
	for _, tt := range []struct{ free, want int }{
		{-1, 0}, {0, 0}, {1, 1}, {2, 2}, {3, 2}, {8, 8}, {12, 8}, {63, 32}, {64, 64}, {65, 64}, {512, 64},
	} {
		if got := claimSize(tt.free); got != tt.want {
			t.Errorf("claimSize(%d) = %d, want %d", tt.free, got, tt.want)
		}
	}
	sizes := map[int]bool{}
	for free := range 1000 {
		sizes[claimSize(free)] = true
	}
	if len(sizes) != 8 { // 0 and the seven powers of two up to 64
		t.Errorf("claim sizes %v, want 0 and seven powers of two", sizes)
	}
}

// Without a backlog, started events leave the queue at once, with those
// started meanwhile; while a backlog waits, the dequeue also waits a little
// for more, so one statement takes several.
func TestGatherStarted(t *testing.T) {
	d := &Dispatcher{started: make(chan int64, 8)}
	d.started <- 2
	d.started <- 3
	begun := time.Now()
	if got := d.gatherStarted([]int64{1}); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("without a backlog: %v, want [1 2 3]", got)
	}
	if took := time.Since(begun); took >= dequeueGather {
		t.Errorf("without a backlog the dequeue waited %v", took)
	}

	d.backlog.Store(true)
	d.started <- 5
	begun = time.Now()
	if got := d.gatherStarted([]int64{4}); !slices.Equal(got, []int64{4, 5}) {
		t.Errorf("with a backlog: %v, want [4 5]", got)
	}
	if took := time.Since(begun); took < dequeueGather {
		t.Errorf("with a backlog the dequeue waited %v for more, want %v", took, dequeueGather)
	}

	close(d.started) // the dispatcher stopping: no wait
	if got := d.gatherStarted([]int64{6}); !slices.Equal(got, []int64{6}) {
		t.Errorf("once stopped: %v, want [6]", got)
	}
}
