package workflows_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/plan"
	"github.com/hookflow/hookflow/workflows"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
)

// The lane sends what NextInLane names, one at a time: it waits when told
// to, sends a delivery only after the one before ended, and ends when the
// hook is off.
func TestLaneSendsOneAtATimeInItsOrder(t *testing.T) {
	env := newEnv(t)
	var p *activities.Planner
	var s *activities.Sender
	steps := []activities.LaneStep{
		{DeliveryID: 1, Retry: retry},
		{Wait: true}, // an older event is not planned yet
		{DeliveryID: 2, Retry: retry},
		{DeliveryID: 3, Retry: retry},
		{Done: true},
	}
	n := 0
	env.OnActivity(p.NextInLane, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.NextInLaneInput) (activities.LaneStep, error) {
			if in.WorkflowID != workflows.LaneWorkflowID("t1", 9) && in.WorkflowID != "default-test-workflow-id" {
				t.Errorf("NextInLane asked for lane %q", in.WorkflowID)
			}
			n++
			return steps[n-1], nil
		})
	var sent []int64
	inFlight := 0
	env.OnActivity(s.SendWebhook, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendInput) (activities.SendResult, error) {
			inFlight++
			defer func() { inFlight-- }()
			if inFlight > 1 {
				t.Error("two sends at once")
			}
			sent = append(sent, in.DeliveryID)
			if in.DeliveryID == 2 && len(sent) == 2 { // the head fails once, then succeeds
				return activities.SendResult{}, temporal.NewApplicationError("503", activities.ErrTypeHTTPStatus)
			}
			return activities.SendResult{}, nil
		})
	env.ExecuteWorkflow(workflows.Lane, workflows.LaneInput{HookID: 9})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("Lane: %v", err)
	}
	if want := []int64{1, 2, 2, 3}; !slices.Equal(sent, want) {
		t.Errorf("sent %v, want %v", sent, want)
	}
	if n != len(steps) {
		t.Errorf("NextInLane called %d times, want %d", n, len(steps))
	}
}

// An idle lane waits for a wake-up; idle again after the wait, it ends.
func TestIdleLaneEnds(t *testing.T) {
	env := newEnv(t)
	var p *activities.Planner
	n := 0
	env.OnActivity(p.NextInLane, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.NextInLaneInput) (activities.LaneStep, error) {
			n++
			return activities.LaneStep{}, nil
		})
	env.ExecuteWorkflow(workflows.Lane, workflows.LaneInput{HookID: 9})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("Lane: %v", err)
	}
	if n != 2 {
		t.Errorf("NextInLane called %d times, want 2 (idle, then idle after the wait)", n)
	}
}

// A rate-limited delivery waits for its slot on a timer before each
// attempt; a shut gate (Throttled) is no attempt; retries reserve again.
func TestPacedDeliveryWaitsForItsSlots(t *testing.T) {
	env := newEnv(t)
	var p *activities.Planner
	var s *activities.Sender
	var r *activities.Recorder
	h := planned(7, 0, 1)
	h.RateLimit = 5
	env.OnActivity(p.PlanAndSend, mock.Anything, mock.Anything).Return(activities.PlanAndSendResult{Plan: plan.Event{Hooks: []plan.Hook{h}}}, nil)
	start := env.Now()
	slots := 0
	env.OnActivity(r.ReserveSlot, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.SlotInput) (activities.Slot, error) {
			slots++
			return activities.Slot{At: env.Now().Add(3 * time.Second)}, nil
		})
	var sentAt []time.Duration
	env.OnActivity(s.SendWebhook, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.SendInput) (activities.SendResult, error) {
			sentAt = append(sentAt, env.Now().Sub(start))
			switch len(sentAt) {
			case 1:
				return activities.SendResult{}, temporal.NewApplicationErrorWithOptions("rate_limit", activities.ErrTypeThrottled,
					temporal.ApplicationErrorOptions{NextRetryDelay: 10 * time.Second})
			case 2:
				return activities.SendResult{}, temporal.NewApplicationError("503", activities.ErrTypeHTTPStatus)
			}
			return activities.SendResult{}, nil
		})
	env.ExecuteWorkflow(workflows.Fanout, workflows.FanoutInput{Tenant: "t1", EventID: "e1", EventPK: 1})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("Fanout: %v", err)
	}
	// slot at 3s (throttled: wait 10s), slot 3s later (503), 1s backoff, slot 3s later.
	want := []time.Duration{3 * time.Second, 16 * time.Second, 20 * time.Second}
	if slots != 3 || len(sentAt) != 3 {
		t.Fatalf("%d slots and sends at %v; want 3 and %v", slots, sentAt, want)
	}
	for i := range want {
		if sentAt[i] < want[i] || sentAt[i] > want[i]+time.Second {
			t.Errorf("attempt %d at %s, want about %s", i+1, sentAt[i], want[i])
		}
	}
}
