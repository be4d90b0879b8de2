package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/workflows"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// lifecycleStore is what turning hooks on and sending deliveries again need.
type lifecycleStore interface {
	SetHookState(ctx context.Context, id int64, from, to models.HookState, now time.Time) (bool, error)
	Notifications(ctx context.Context, q store.NotificationQuery) ([]models.Notification, error)
}

// What a hook owner does once a receiver failed (docs/spec.md §7, docs/failures.md):
// test the target, activate the hook, recover what it missed, redeliver one
// delivery.

func errConflict(message string) error { return NewError(http.StatusConflict, "conflict", message) }

// start starts a workflow on the task queue, bounded in time like a
// trigger's. An id that is already running (or, with a reject-duplicate
// policy, ran) is no error: the caller asked for what exists.
func (s *Server) start(ctx context.Context, opts client.StartWorkflowOptions, workflow any, in any) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	opts.TaskQueue = s.taskQueue
	_, err := s.temporal.ExecuteWorkflow(ctx, opts, workflow, in)
	if err != nil && !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return fmt.Errorf("%w: start workflow %s: %w", errTemporalDown, opts.ID, err)
	}
	return nil
}

// transitionAt names a state change a user made at t: the id of its
// state-change event derives from it.
func transitionAt(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// tellStateChange emits the state-change event of h moving to state to.
// The state change stands even when the event cannot be started; that is
// logged, not answered as an error.
func (s *Server) tellStateChange(ctx context.Context, h *models.Hook, to models.HookState, transition string) {
	ev, err := models.NewStateEvent(h, to, transition, s.Now())
	if err == nil {
		ev.WorkflowID = workflows.FanoutWorkflowID(h.Tenant, ev.ID)
		_, err = s.accept(ctx, ev)
	}
	if err != nil {
		s.log.Error("could not emit the state-change event", "hook_id", h.ID, "state", to, "err", err)
	}
}

// SaveHook saves a user's edit of h (PUT, PATCH, SuperOffice's SaveWebhook)
// that started from state from. When the edit changes the state it emits
// the state-change event.
func (s *Server) SaveHook(ctx context.Context, h *models.Hook, from models.HookState) error {
	to := h.State
	if err := s.store.UpdateHook(ctx, h, from); err != nil {
		return err
	}
	if to != from {
		s.tellStateChange(ctx, h, to, transitionAt(h.Updated))
	}
	return nil
}

// activateHook turns a hook Active again with its failure count reset, and
// emits webhook.started. Activating an Active hook changes nothing.
func (s *Server) activateHook(c *gin.Context) error {
	h, err := s.loadHook(c)
	if err != nil {
		return err
	}
	ctx, now := c.Request.Context(), s.Now()
	changed, err := s.store.SetHookState(ctx, h.ID, "", models.StateActive, now)
	if err != nil {
		return err
	}
	if h, err = s.store.Hook(ctx, h.Tenant, h.ID); err != nil {
		return err
	}
	if changed {
		s.tellStateChange(ctx, h, models.StateActive, transitionAt(now))
	}
	c.JSON(http.StatusOK, newHookResponse(h, false))
	return nil
}

// requireActive refuses to send a hook's deliveries again while it is off:
// they would only end skipped again.
func requireActive(h *models.Hook) error {
	if h.State == models.StateActive {
		return nil
	}
	return errConflict(fmt.Sprintf("hook %d is %s: activate it first (POST /v1/hooks/%d/activate)", h.ID, h.State, h.ID))
}

type recoverRequest struct {
	Since string `json:"since"`
}

type redeliveryAnswer struct {
	WorkflowID string     `json:"workflow_id"`
	HookID     int64      `json:"hook_id"`
	DeliveryID int64      `json:"delivery_id,omitempty"`
	Since      *time.Time `json:"since,omitempty"`
}

// recoverHook starts the workflow that sends every failed or skipped
// delivery of the hook created since "since" again, once each, with the
// same ids. The workflow id derives from hook and since: asking again while
// it runs starts nothing; asking again later sends what failed since.
func (s *Server) recoverHook(c *gin.Context) error {
	h, err := s.loadHook(c)
	if err != nil {
		return err
	}
	var req recoverRequest
	if err := DecodeJSON(c, &req); err != nil {
		return err
	}
	if req.Since == "" {
		return models.Invalid("since", "is required: the RFC 3339 time to recover from, such as 2026-01-02T15:04:05Z")
	}
	since, err := parseRFC3339(req.Since)
	if err != nil {
		return models.Invalid("since", "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
	}
	if err := requireActive(h); err != nil {
		return err
	}
	since = since.UTC()
	id := workflows.RecoverWorkflowID(h.Tenant, h.ID, since)
	err = s.start(c.Request.Context(), client.StartWorkflowOptions{
		ID:                       id,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    hookAttributes(h.Tenant, h.ID),
	}, workflows.Recover, workflows.RecoverInput{Tenant: h.Tenant, HookID: h.ID, Since: since})
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, redeliveryAnswer{WorkflowID: id, HookID: h.ID, Since: &since})
	return nil
}

// redeliver sends one ended delivery again with the same id. The workflow
// id names the delivery's next redelivery number, so requests made before
// it starts (a double click) share one redelivery.
func (s *Server) redeliver(c *gin.Context) error {
	id, err := PathID(c)
	if err != nil {
		return err
	}
	t, err := Tenant(c, "")
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	d, err := s.store.Delivery(ctx, t, id)
	if err != nil {
		return err
	}
	if d.Status.Open() {
		if running := workflows.RedeliverWorkflowID(d.Tenant, d.ID, d.Redeliveries); d.WorkflowID == running {
			c.JSON(http.StatusAccepted, redeliveryAnswer{WorkflowID: running, HookID: d.HookID, DeliveryID: d.ID})
			return nil
		}
		return errConflict(fmt.Sprintf("delivery %d is pending: workflow %s is still sending it", d.ID, d.WorkflowID))
	}
	if d.Count == 0 {
		return errConflict(fmt.Sprintf("delivery %d has no request to send: %s; fix the hook and send the event again", d.ID, d.LastError))
	}
	h, err := s.store.Hook(ctx, d.Tenant, d.HookID)
	if errors.Is(err, store.ErrNotFound) {
		err = errConflict(fmt.Sprintf("delivery %d cannot be sent again: its hook %d was deleted", d.ID, d.HookID))
	}
	if err != nil {
		return err
	}
	if err := requireActive(h); err != nil {
		return err
	}
	wid := workflows.RedeliverWorkflowID(d.Tenant, d.ID, d.Redeliveries+1)
	err = s.start(ctx, client.StartWorkflowOptions{
		ID:                       wid,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    hookAttributes(d.Tenant, d.HookID),
	}, workflows.Redeliver, workflows.RedeliverInput{Tenant: d.Tenant, DeliveryID: d.ID, Generation: d.Redeliveries + 1})
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, redeliveryAnswer{WorkflowID: wid, HookID: d.HookID, DeliveryID: d.ID})
	return nil
}

// hookAttributes let the Temporal UI find a redelivery among the hook's workflows.
func hookAttributes(tenant string, hookID int64) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(workflows.AttrTenant.ValueSet(tenant),
		workflows.AttrHookIDs.ValueSet([]string{strconv.FormatInt(hookID, 10)}))
}

// testAnswer is what one test request came to.
type testAnswer struct {
	OK         bool   `json:"ok"`
	StatusCode int    `json:"status_code,omitempty"`
	LatencyMS  int64  `json:"latency_ms"`
	Response   string `json:"response,omitempty"` // the first 1 KiB of the body
	Error      string `json:"error,omitempty"`    // why there was no answer
}

// testHook sends one signed test request (event webhook.test, sample record
// {"id": 0}) to the hook's target now, whatever the hook's state, and
// answers what came back. Nothing is stored.
func (s *Server) testHook(c *gin.Context) error {
	h, err := s.loadHook(c)
	if err != nil {
		return err
	}
	tester, err := s.Tester()
	if err != nil {
		return err
	}
	r, err := tester.TestHook(c.Request.Context(), h)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, testAnswer{OK: r.OK(), StatusCode: r.StatusCode, LatencyMS: r.Latency.Milliseconds(), Response: r.Body, Error: r.Error})
	return nil
}
