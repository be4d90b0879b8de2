package workflows_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/plan"
	"github.com/hookflow/hookflow/workflows"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

var retry = plan.Retry{InitialInterval: time.Second, Backoff: 2, MaxInterval: time.Minute, MaxAttempts: 4, AttemptTimeout: 10 * time.Second}

// newEnv returns a test environment with every activity registered, so
// local activities resolve to the mocks.
func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Planner{})
	env.RegisterActivity(&activities.Sender{})
	env.RegisterActivity(&activities.Recorder{})
	env.RegisterActivity(&activities.Notifier{})
	env.RegisterWorkflow(workflows.HookDelivery)
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

func planned(hookID int64, delay time.Duration, deliveries ...int64) plan.Hook {
	return plan.Hook{HookID: hookID, Planned: true, Deliveries: deliveries, Total: len(deliveries), ChunkDelay: delay, Retry: retry}
}

func TestFanoutSendsSmallFanoutItself(t *testing.T) {
	tests := []struct {
		name      string
		sends     []error // what successive SendWebhook calls of delivery 1 return
		wantCalls int
		wantFail  bool
	}{
		{"first try", []error{nil}, 1, false},
		{"retries then succeeds", []error{temporal.NewApplicationError("503", activities.ErrTypeHTTPStatus), temporal.NewApplicationError("503", activities.ErrTypeHTTPStatus), nil}, 3, false},
		{"410 is not retried", []error{temporal.NewNonRetryableApplicationError("gone", activities.ErrTypeGone, nil)}, 1, true},
		{"refused target is not retried", []error{temporal.NewApplicationError("refused", activities.ErrTypeRefused)}, 1, true},
		{"retries run out", []error{
			temporal.NewApplicationError("a", activities.ErrTypeNetwork), temporal.NewApplicationError("b", activities.ErrTypeNetwork),
			temporal.NewApplicationError("c", activities.ErrTypeNetwork), temporal.NewApplicationError("d", activities.ErrTypeNetwork),
		}, 4, true},
	}
	// Each case runs twice: with two hooks, whose deliveries the workflow
	// sends itself, and with one hook of one delivery, whose first attempt
	// the plan's local activity makes (PlanAndSend), the workflow taking
	// the delivery on from what it reports.
	for _, tt := range tests {
		for _, withPlan := range []bool{false, true} {
			name := tt.name
			if withPlan {
				name += ", first attempt with the plan"
			}
			t.Run(name, func(t *testing.T) {
				env := newEnv(t)
				var p *activities.Planner
				var s *activities.Sender
				var r *activities.Recorder
				var mu sync.Mutex // activities run on goroutines of their own
				calls := map[int64]int{}
				plans := activities.PlanAndSendResult{Plan: plan.Event{Hooks: []plan.Hook{planned(7, 0, 1), planned(8, 0, 2)}}}
				if withPlan {
					first, err := activities.NewFirstAttempt(1, tt.sends[0])
					if err != nil {
						t.Fatal(err)
					}
					plans = activities.PlanAndSendResult{Plan: plan.Event{Hooks: []plan.Hook{planned(7, 0, 1)}}, First: first}
					calls[1] = 1
				}
				env.OnActivity(p.PlanAndSend, mock.Anything, mock.Anything).Return(plans, nil).Once()
				env.OnActivity(s.SendWebhook, mock.Anything, mock.Anything).Return(
					func(_ context.Context, in activities.SendInput) (activities.SendResult, error) {
						mu.Lock()
						defer mu.Unlock()
						calls[in.DeliveryID]++
						if in.DeliveryID == 1 {
							return activities.SendResult{}, tt.sends[calls[1]-1]
						}
						return activities.SendResult{}, nil
					}).Maybe()
				var failed []int64
				env.OnActivity(r.FailDelivery, mock.Anything, mock.Anything).Return(
					func(_ context.Context, in activities.FailInput) (activities.FailResult, error) {
						mu.Lock()
						defer mu.Unlock()
						failed = append(failed, in.DeliveryID)
						if in.Reason == "" {
							t.Error("FailDelivery got no reason")
						}
						return activities.FailResult{HookID: 7}, nil // the hook-disabled path has its own test
					}).Maybe()
				env.ExecuteWorkflow(workflows.Fanout, workflows.FanoutInput{Tenant: "t1", EventID: "e1", EventPK: 1})
				if err := env.GetWorkflowError(); err != nil {
					t.Fatalf("Fanout: %v", err)
				}
				wantOther := 1 // delivery 2, of the second hook
				if withPlan {
					wantOther = 0 // no second hook
				}
				if calls[1] != tt.wantCalls || calls[2] != wantOther {
					t.Errorf("sends = %v, want delivery 1 sent %d times and delivery 2 %d", calls, tt.wantCalls, wantOther)
				}
				if got := len(failed) == 1 && failed[0] == 1; got != tt.wantFail || (!tt.wantFail && len(failed) != 0) {
					t.Errorf("FailDelivery calls = %v, want failure of delivery 1: %v", failed, tt.wantFail)
				}
			})
		}
	}
}

// Chunk N goes out N × chunk_delay after the first, on timers.
func TestChunksAreSpacedByTheHookDelay(t *testing.T) {
	env := newEnv(t)
	var p *activities.Planner
	var s *activities.Sender
	env.OnActivity(p.PlanAndSend, mock.Anything, mock.Anything).Return(activities.PlanAndSendResult{Plan: plan.Event{
		Hooks: []plan.Hook{planned(7, 5*time.Minute, 10, 11, 12)},
	}}, nil)
	start := env.Now()
	var mu sync.Mutex
	sentAt := map[int64]time.Duration{}
	env.OnActivity(s.SendWebhook, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendInput) (activities.SendResult, error) {
			mu.Lock()
			defer mu.Unlock()
			sentAt[in.DeliveryID] = env.Now().Sub(start)
			return activities.SendResult{}, nil
		})
	env.ExecuteWorkflow(workflows.Fanout, workflows.FanoutInput{Tenant: "t1", EventID: "e1", EventPK: 1})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	want := map[int64]time.Duration{10: 0, 11: 5 * time.Minute, 12: 10 * time.Minute}
	for id, at := range want {
		if got := sentAt[id]; got.Round(time.Second) != at {
			t.Errorf("delivery %d sent at +%s, want +%s", id, got, at)
		}
	}
}

// A large fan-out starts one workflow per hook, through an activity, and
// continues as new per page.
func TestLargeFanoutStartsAWorkflowPerHookAndContinuesAsNew(t *testing.T) {
	env := newEnv(t)
	var p *activities.Planner
	env.OnActivity(p.PlanAndSend, mock.Anything, mock.Anything).Return(activities.PlanAndSendResult{Plan: plan.Event{
		Hooks:           []plan.Hook{{HookID: 7, Retry: retry}, {HookID: 9, Retry: retry}},
		NextAfterHookID: 9,
	}}, nil)
	var starts []activities.StartHookDeliveriesInput
	env.OnActivity(p.StartHookDeliveries, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.StartHookDeliveriesInput) error {
			starts = append(starts, in)
			return nil
		})
	if err := env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(workflows.AttrEventType.ValueSet("Contact.Update"))); err != nil {
		t.Fatal(err)
	}
	env.ExecuteWorkflow(workflows.Fanout, workflows.FanoutInput{Tenant: "t1", EventID: "e1", EventPK: 1})
	var cont *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &cont) {
		t.Fatalf("Fanout error = %v, want continue-as-new", err)
	}
	want := activities.StartHookDeliveriesInput{Tenant: "t1", EventID: "e1", EventType: "Contact.Update", EventPK: 1, HookIDs: []int64{7, 9}}
	if len(starts) != 1 || !reflect.DeepEqual(starts[0], want) {
		t.Errorf("hook workflows started = %+v, want one call for %+v", starts, want)
	}
}

// A hook's run pages through its deliveries, continuing as new between pages
// with the first chunk's time, so spacing holds across pages.
func TestHookDeliveryPages(t *testing.T) {
	env := newEnv(t)
	var p *activities.Planner
	var s *activities.Sender
	env.OnActivity(p.PlanHook, mock.Anything, mock.Anything).Return(
		plan.Hook{HookID: 7, Planned: true, Deliveries: []int64{1, 2}, Total: 5, Retry: retry}, nil)
	var sent atomic.Int32
	env.OnActivity(s.SendWebhook, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.SendInput) (activities.SendResult, error) {
			sent.Add(1)
			return activities.SendResult{}, nil
		})
	env.ExecuteWorkflow(workflows.HookDelivery, workflows.HookDeliveryInput{Tenant: "t1", EventID: "e1", EventPK: 1, HookID: 7})
	var cont *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &cont) {
		t.Fatalf("HookDelivery error = %v, want continue-as-new", err)
	}
	if sent.Load() != 2 {
		t.Errorf("sent %d deliveries before continuing, want 2", sent.Load())
	}
}

func TestWorkflowIDsAreStablePerTrigger(t *testing.T) {
	if a, b := workflows.FanoutWorkflowID("t1", "e1"), workflows.FanoutWorkflowID("t1", "e1"); a != b || a != "event/t1/e1" {
		t.Errorf("FanoutWorkflowID = %q, %q", a, b)
	}
	if workflows.FanoutWorkflowID("t1", "e1") == workflows.FanoutWorkflowID("t2", "e1") {
		t.Error("two tenants' events share a workflow id")
	}
	if got := workflows.HookDeliveryWorkflowID("t1", "e1", 42); got != "event/t1/e1/hook/42" {
		t.Errorf("HookDeliveryWorkflowID = %q", got)
	}
}

// One-record formats send each record of chunk N as its own request, all at
// chunk N's time.
func TestOneRecordRequestsKeepTheChunkPace(t *testing.T) {
	env := newEnv(t)
	var p *activities.Planner
	var s *activities.Sender
	hp := planned(7, time.Minute, 1, 2, 3, 4, 5)
	hp.RequestsPerChunk = 2
	env.OnActivity(p.PlanAndSend, mock.Anything, mock.Anything).Return(activities.PlanAndSendResult{Plan: plan.Event{Hooks: []plan.Hook{hp}}}, nil)
	start := env.Now()
	var mu sync.Mutex
	sentAt := map[int64]time.Duration{}
	env.OnActivity(s.SendWebhook, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendInput) (activities.SendResult, error) {
			mu.Lock()
			defer mu.Unlock()
			sentAt[in.DeliveryID] = env.Now().Sub(start).Round(time.Second)
			return activities.SendResult{}, nil
		})
	env.ExecuteWorkflow(workflows.Fanout, workflows.FanoutInput{Tenant: "t1", EventID: "e1", EventPK: 1})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	want := map[int64]time.Duration{1: 0, 2: 0, 3: time.Minute, 4: time.Minute, 5: 2 * time.Minute}
	for id, at := range want {
		if sentAt[id] != at {
			t.Errorf("delivery %d sent at +%s, want +%s", id, sentAt[id], at)
		}
	}
}

// A hook whose plan failed (its filter needs more than its budget) makes
// the event's workflow fail, without a retry, after the other hooks'
// deliveries are sent: the failure shows in the Temporal UI (issue 14: the
// plan retried forever instead).
func TestPlanFailureFailsTheWorkflowAfterTheOthers(t *testing.T) {
	env := newEnv(t)
	var p *activities.Planner
	var s *activities.Sender
	failed := plan.Hook{HookID: 8, Planned: true, Retry: retry, Failed: "hook 8: the hook's filter needs more work than one event may take"}
	env.OnActivity(p.PlanAndSend, mock.Anything, mock.Anything).Return(activities.PlanAndSendResult{Plan: plan.Event{
		Hooks: []plan.Hook{planned(7, 0, 1), failed}}}, nil).Once()
	env.OnActivity(s.SendWebhook, mock.Anything, mock.Anything).Return(activities.SendResult{}, nil).Once()
	env.ExecuteWorkflow(workflows.Fanout, workflows.FanoutInput{Tenant: "t1", EventID: "e1", EventPK: 1})
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != activities.ErrTypePlanFailed || !appErr.NonRetryable() {
		t.Fatalf("Fanout error = %v; want a non-retryable %s", err, activities.ErrTypePlanFailed)
	}

	env = newEnv(t)
	env.OnActivity(p.PlanHook, mock.Anything, mock.Anything).Return(failed, nil).Once()
	env.ExecuteWorkflow(workflows.HookDelivery, workflows.HookDeliveryInput{Tenant: "t1", EventID: "e1", EventPK: 1, HookID: 8})
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != activities.ErrTypePlanFailed {
		t.Fatalf("HookDelivery error = %v; want %s", err, activities.ErrTypePlanFailed)
	}
}
