package main

import "testing"

func TestMedianTakesEachFigureMiddle(t *testing.T) {
	rs := []*result{
		{AcceptedPerS: 100, P99ms: 900, Delivered: 10, Undelivered: 0},
		{AcceptedPerS: 300, P99ms: 100, Delivered: 30, Undelivered: 2},
		{AcceptedPerS: 200, P99ms: 500, Delivered: 20, Undelivered: 1},
	}
	m := median(rs)
	if m.AcceptedPerS != 200 || m.P99ms != 500 || m.Delivered != 20 || m.Undelivered != 1 {
		t.Errorf("median = %+v", m)
	}
}

func TestRequestsPerEvent(t *testing.T) {
	for _, c := range []struct {
		sc   scenario
		want int
	}{
		{scenarios["one-hook"], 1},
		{scenarios["chunked-10k"], 100},
		{scenario{records: 250, chunkSize: 50}, 5},
		{scenario{records: 101}, 2},
	} {
		if got := c.sc.requestsPerEvent(); got != c.want {
			t.Errorf("%+v: requestsPerEvent = %d, want %d", c.sc, got, c.want)
		}
	}
}
