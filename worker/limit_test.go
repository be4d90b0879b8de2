package worker

import (
	"testing"
	"time"
)

// The bound widens while starts reach their plan in time, narrows by a third
// on a failure or a late plan (once per target interval), and stays within
// its limits.
func TestLimitIsAIMD(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLimit(4, 2, 6, 100*time.Millisecond, time.Second)
	l.now = func() time.Time { return now }
	if f := l.free(); f != 4 {
		t.Fatalf("free = %d, want 4", f)
	}
	l.take(4)
	if f := l.free(); f != 0 {
		t.Fatalf("free with 4 in flight = %d", f)
	}
	for range 4 { // +1/bound each: about a bound's worth widens it by one
		l.done(true, 10*time.Millisecond)
	}
	l.take(1)
	l.done(true, 10*time.Millisecond)
	if b, n := l.state(); b != 5 || n != 0 {
		t.Fatalf("after 5 quick starts bound %d, in flight %d; want 5, 0", b, n)
	}
	for range 100 {
		l.take(1)
		l.done(true, time.Millisecond)
	}
	if b, _ := l.state(); b != 6 {
		t.Errorf("bound = %d, want its maximum 6", b)
	}
	now = now.Add(time.Second)
	l.take(2)
	l.done(false, 0)
	l.done(true, time.Second) // late, but within the same interval: no second cut
	if b, _ := l.state(); b != 4 {
		t.Errorf("after a failure bound = %d, want 6×2/3 = 4", b)
	}
	for range 5 {
		now = now.Add(time.Second)
		l.take(1)
		l.done(false, 0)
	}
	if b, _ := l.state(); b != 2 {
		t.Errorf("after failures bound = %d, want its minimum 2", b)
	}
	l.take(1)
	l.done(true, 0) // unknown latency (ran elsewhere): no change
	if b, n := l.state(); b != 2 || n != 0 {
		t.Errorf("bound %d, in flight %d; want 2, 0", b, n)
	}
}

// When every start is slow (a busy machine, a distant server), "late" is
// relative to the quickest recent starts, up to a ceiling.
func TestLimitToleratesAUniformlySlowEngine(t *testing.T) {
	l := newLimit(4, 2, 64, 100*time.Millisecond, time.Second)
	for range 20 {
		l.take(1)
		l.done(true, 300*time.Millisecond)
	}
	if b, _ := l.state(); b <= 4 {
		t.Errorf("starts of a steady 300 ms left the bound at %d, want it widened", b)
	}
	if late := l.late(); late != 900*time.Millisecond {
		t.Errorf("late = %s, want 3 × 300 ms", late)
	}
	l.floor = 2 * time.Second
	if late := l.late(); late != time.Second {
		t.Errorf("late = %s, want the 1 s ceiling", late)
	}
}
