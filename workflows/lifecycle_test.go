package workflows_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/plan"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/workflows"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

var gone = temporal.NewNonRetryableApplicationError("gone", activities.ErrTypeGone, nil)

// told records what a workflow did after a failure turned a hook off.
type told struct {
	events  []activities.StateEventInput
	fanouts []string // workflow ids of fan-outs started as children: none, the dispatcher starts them
	mails   []activities.NotifyInput
}

// expectTelling mocks the activities that tell about a TooManyErrors
// transition, and records any child fan-out.
func expectTelling(t *testing.T, env *testsuite.TestWorkflowEnvironment) *told {
	var r *activities.Recorder
	var n *activities.Notifier
	got := &told{}
	env.OnActivity(r.RecordStateEvent, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.StateEventInput) error {
			got.events = append(got.events, in)
			return nil
		}).Maybe()
	env.OnWorkflow(workflows.Fanout, mock.Anything, mock.Anything).Return(
		func(ctx workflow.Context, in workflows.FanoutInput) error {
			got.fanouts = append(got.fanouts, workflow.GetInfo(ctx).WorkflowExecution.ID)
			return nil
		}).Maybe()
	env.OnActivity(n.NotifyDisabled, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.NotifyInput) error {
			got.mails = append(got.mails, in)
			return nil
		}).Maybe()
	return got
}

// When several deliveries of a hook fail at once, the one failure that turned
// the hook off (FailDelivery says which) sends one mail and admits one
// webhook.errors event, keyed by its transition, for a dispatcher to start:
// no child workflow, whose start would race this workflow's completion.
func TestDisabledHookIsToldOnce(t *testing.T) {
	env := newEnv(t)
	var p *activities.Planner
	var s *activities.Sender
	var r *activities.Recorder
	env.OnActivity(p.PlanHook, mock.Anything, mock.Anything).Return(
		plan.Hook{HookID: 7, Planned: true, Deliveries: []int64{1, 2, 3}, Total: 3, Retry: retry}, nil)
	env.OnActivity(s.SendWebhook, mock.Anything, mock.Anything).Return(activities.SendResult{}, gone)
	env.OnActivity(r.FailDelivery, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FailInput) (activities.FailResult, error) {
			return activities.FailResult{HookID: 7, Tenant: "t1", Disabled: in.DeliveryID == 2, Transition: "2.0"}, nil
		})
	got := expectTelling(t, env)
	env.ExecuteWorkflow(workflows.HookDelivery, workflows.HookDeliveryInput{Tenant: "t1", EventID: "e1", EventPK: 1, HookID: 7})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	wantEvent := activities.StateEventInput{HookID: 7, To: models.StateTooManyErrors, Transition: "2.0",
		WorkflowID: workflows.FanoutWorkflowID("t1", "webhook-7-errors-2.0")}
	if len(got.events) != 1 || got.events[0] != wantEvent {
		t.Errorf("state events = %+v, want %+v", got.events, wantEvent)
	}
	if len(got.fanouts) != 0 {
		t.Errorf("child fan-outs = %v, want none: the dispatcher starts %s", got.fanouts, wantEvent.WorkflowID)
	}
	if want := (activities.NotifyInput{HookID: 7, DeliveryID: 2, Transition: "2.0"}); len(got.mails) != 1 || got.mails[0] != want {
		t.Errorf("mails = %+v, want %+v", got.mails, want)
	}
}

// A redelivery runs the same send path: retried by policy, and failed for
// good it ends failed and turns the hook off again, with its own transition.
func TestRedeliverUsesTheSendPath(t *testing.T) {
	tests := []struct {
		name      string
		plan      []int64
		sends     []error
		wantSends int
		wantFail  bool
	}{
		{"sent again", []int64{5}, []error{nil}, 1, false},
		{"retried then sent", []int64{5}, []error{temporal.NewApplicationError("503", activities.ErrTypeHTTPStatus), nil}, 2, false},
		{"fails again and disables", []int64{5}, []error{gone}, 1, true},
		{"another redelivery got there first", nil, nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			var p *activities.Planner
			var s *activities.Sender
			var r *activities.Recorder
			env.OnActivity(p.PlanRedelivery, mock.Anything, mock.Anything).Return(
				func(_ context.Context, in activities.PlanRedeliveryInput) (plan.Redelivery, error) {
					if want := workflows.RedeliverWorkflowID("t1", 5, 3); in.WorkflowID != want || in.Generation != 3 || in.DeliveryID != 5 {
						t.Errorf("PlanRedelivery(%+v), want delivery 5 generation 3 by %s", in, want)
					}
					return plan.Redelivery{Deliveries: tt.plan, Retry: retry}, nil
				})
			sends := 0
			env.OnActivity(s.SendWebhook, mock.Anything, mock.Anything).Return(
				func(_ context.Context, in activities.SendInput) (activities.SendResult, error) {
					sends++
					return activities.SendResult{}, tt.sends[sends-1]
				}).Maybe()
			failed := 0
			env.OnActivity(r.FailDelivery, mock.Anything, mock.Anything).Return(
				func(context.Context, activities.FailInput) (activities.FailResult, error) {
					failed++
					return activities.FailResult{HookID: 7, Tenant: "t1", Disabled: true, Transition: "5.3"}, nil
				}).Maybe()
			got := expectTelling(t, env)
			env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflows.RedeliverWorkflowID("t1", 5, 3)})
			env.ExecuteWorkflow(workflows.Redeliver, workflows.RedeliverInput{Tenant: "t1", DeliveryID: 5, Generation: 3})
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			if sends != tt.wantSends || (failed == 1) != tt.wantFail || (len(got.mails) == 1) != tt.wantFail {
				t.Errorf("%d sends, %d failures, mails %+v; want %d sends, failure %v", sends, failed, got.mails, tt.wantSends, tt.wantFail)
			}
		})
	}
}

// Recover sends a page of failed deliveries, each once, and continues as new
// after the page's last id; a short page is the last.
func TestRecoverPagesThroughFailures(t *testing.T) {
	for _, n := range []int{plan.RecoverPage, 3} {
		env := newEnv(t)
		var p *activities.Planner
		var s *activities.Sender
		page := make([]int64, n)
		for i := range page {
			page[i] = int64(100 + i)
		}
		env.OnActivity(p.PlanRecovery, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.PlanRecoveryInput) (plan.Redelivery, error) {
				if in.HookID != 7 || in.AfterID != 40 || in.WorkflowID == "" {
					t.Errorf("PlanRecovery(%+v)", in)
				}
				return plan.Redelivery{Deliveries: page, Retry: retry}, nil
			})
		var mu sync.Mutex // sends of one batch run on goroutines of their own
		sent := map[int64]int{}
		env.OnActivity(s.SendWebhook, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.SendInput) (activities.SendResult, error) {
				mu.Lock()
				defer mu.Unlock()
				sent[in.DeliveryID]++
				return activities.SendResult{}, nil
			})
		in := workflows.RecoverInput{Tenant: "t1", HookID: 7, AfterID: 40}
		env.ExecuteWorkflow(workflows.Recover, in)
		if len(sent) != n {
			t.Errorf("page of %d: sent %d deliveries", n, len(sent))
		}
		for id, times := range sent {
			if times != 1 {
				t.Errorf("delivery %d sent %d times", id, times)
			}
		}
		var cont *workflow.ContinueAsNewError
		err := env.GetWorkflowError()
		if full := n == plan.RecoverPage; full != errors.As(err, &cont) || (!full && err != nil) {
			t.Fatalf("page of %d: err = %v; want continue-as-new only after a full page", n, err)
		}
		if cont != nil {
			var next workflows.RecoverInput
			if err := converter.GetDefaultDataConverter().FromPayloads(cont.Input, &next); err != nil || next.AfterID != page[n-1] || next.HookID != 7 {
				t.Errorf("continued with %+v, %v; want after %d", next, err, page[n-1])
			}
		}
	}
}

func TestRedeliveryWorkflowIDs(t *testing.T) {
	if a, b := workflows.RedeliverWorkflowID("t1", 5, 1), workflows.RedeliverWorkflowID("t1", 5, 2); a == b || a != "redeliver/t1/5/1" {
		t.Errorf("RedeliverWorkflowID = %q, %q", a, b)
	}
	since, _ := time.Parse(time.RFC3339, "2026-01-02T03:04:05+02:00")
	if got := workflows.RecoverWorkflowID("t1", 7, since); got != "recover/t1/7/2026-01-02T01:04:05Z" {
		t.Errorf("RecoverWorkflowID = %q", got)
	}
}
