package activities_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/hookflow/hookflow/activities"
	"go.temporal.io/api/serviceerror"
)

// starter records the hook workflows it is asked to start, and answers
// each hook with the error its answers map gives it.
type starter struct {
	mu      sync.Mutex
	started []activities.HookDeliveryStart
	answers map[int64]error
}

func (s *starter) StartHookDelivery(_ context.Context, in activities.HookDeliveryStart) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.started = append(s.started, in)
	return s.answers[in.HookID]
}

func (s *starter) hooks() []int64 {
	var ids []int64
	for _, in := range s.started {
		ids = append(ids, in.HookID)
	}
	slices.Sort(ids)
	return ids
}

func TestStartHookDeliveriesStartsEveryHookOnce(t *testing.T) {
	in := activities.StartHookDeliveriesInput{Tenant: "t1", EventID: "e1", EventType: "Contact.Update", EventPK: 4}
	for id := int64(1); id <= 20; id++ {
		in.HookIDs = append(in.HookIDs, id)
	}
	s := &starter{answers: map[int64]error{
		// Started by an earlier try of the same activity.
		3: serviceerror.NewWorkflowExecutionAlreadyStarted("already started", "", "run"),
	}}
	p := &activities.Planner{Starter: s}
	if err := p.StartHookDeliveries(context.Background(), in); err != nil {
		t.Fatalf("StartHookDeliveries = %v, want nil: a workflow already started counts as started", err)
	}
	if got := s.hooks(); !slices.Equal(got, in.HookIDs) {
		t.Errorf("started hooks %v, want each of %v once", got, in.HookIDs)
	}
	want := activities.HookDeliveryStart{Tenant: "t1", EventID: "e1", EventType: "Contact.Update", EventPK: 4}
	for _, got := range s.started {
		want.HookID = got.HookID
		if got != want {
			t.Errorf("start %+v, want %+v", got, want)
		}
	}
}

func TestStartHookDeliveriesFailsWhenAStartFails(t *testing.T) {
	down := serviceerror.NewUnavailable("frontend down")
	s := &starter{answers: map[int64]error{2: down}}
	p := &activities.Planner{Starter: s}
	err := p.StartHookDeliveries(context.Background(), activities.StartHookDeliveriesInput{Tenant: "t1", EventID: "e1", HookIDs: []int64{1, 2}})
	if !errors.Is(err, down) {
		t.Errorf("StartHookDeliveries = %v, want the failed start's error, so the activity is retried", err)
	}
}
