package main

import (
	"slices"
	"time"
)

// scenario is one shape of load (issue 8's list).
type scenario struct {
	about         string
	hooks         int           // hooks the events reach
	otherHooks    int           // hooks subscribed to other events: matching must not scan them
	records       int           // records per event
	chunkSize     int           // 0: hookflow's default (100)
	events        int           // fixed number of events; 0: send for -duration
	receiverDelay time.Duration // how long the receiver takes to answer
	bare          bool          // the bare engine (ceiling.go), not hookflow
	ordering      string        // the hooks' ordering: "" (none) or "fifo"
	rateLimit     int           // the hooks' rate_limit; 0: none
}

var scenarios = map[string]scenario{
	"one-hook":       {about: "events of one record to one hook", hooks: 1, records: 1},
	"fanout-10":      {about: "each event to 10 hooks", hooks: 10, records: 1},
	"fanout-100":     {about: "each event to 100 hooks", hooks: 100, records: 1},
	"fanout-1000":    {about: "each event to 1,000 hooks: a workflow per hook, two plan pages", hooks: 1000, records: 1},
	"chunked-10k":    {about: "one event of 10,000 records chunked by 100", hooks: 1, records: 10000, chunkSize: 100, events: 1},
	"match-5-of-10":  {about: "5 of 10 hooks match each event", hooks: 5, otherHooks: 5, records: 1},
	"match-5-of-10k": {about: "5 of 10,000 hooks match each event", hooks: 5, otherHooks: 9995, records: 1},
	"slow-receiver":  {about: "one hook whose receiver answers in 200 ms", hooks: 1, records: 1, receiverDelay: 200 * time.Millisecond},
	"ceiling":        {about: "the bare engine alone: per event one workflow of two local activities (see ceiling.go)", hooks: 1, records: 1, bare: true},
	"overload":       {about: "one hook offered 3× the engine's capacity (measured first unless -rate), then the drain", hooks: 1, records: 1},
	"burst":          {about: "10,000 events of one record to one hook, as fast as the client sends", hooks: 1, records: 1, events: 10000},
	"fifo":           {about: "events of one record to one fifo hook: one request at a time, in the events' order", hooks: 1, records: 1, ordering: "fifo"},
	"rate-limited":   {about: "1,000 events of one record to one hook with rate_limit 100, sent at once", hooks: 1, records: 1, rateLimit: 100, events: 1000},
}

func scenarioNames() []string {
	var names []string
	for n := range scenarios {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// requestsPerEvent is how many deliveries one event makes to one hook.
func (s scenario) requestsPerEvent() int {
	size := s.chunkSize
	if size == 0 {
		size = 100
	}
	return (s.records + size - 1) / size
}
