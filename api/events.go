package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/workflows"
	"go.temporal.io/sdk/client"
)

type eventStore interface {
	AdmitEvents(ctx context.Context, es []*models.Event) ([]bool, error)
	Event(ctx context.Context, tenant, id string) (*models.Event, error)
	EventQueued(ctx context.Context, pk int64) (bool, error)
}

// workflowStarter is the part of the Temporal client the API uses.
type workflowStarter interface {
	ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error)
}

// startTimeout bounds how long a redelivery or recovery waits for Temporal
// to record its workflow.
const startTimeout = 10 * time.Second

// errTemporalDown marks a failure to reach Temporal: the API answers 503.
var errTemporalDown = errors.New("temporal unavailable")

// SkipKeyHeader carries the trigger's skip key (loop prevention, docs/spec.md §4).
const SkipKeyHeader = "Webhook-Skip-Key"

// triggerRequest is the body of POST /v1/events (docs/spec.md §4).
type triggerRequest struct {
	ID           string           `json:"id"`
	Event        string           `json:"event"`
	OccurredAt   string           `json:"occurred_at"`
	Records      []map[string]any `json:"records"`
	Data         map[string]any   `json:"data"`
	Changes      [][]string       `json:"changes"`
	Previous     []map[string]any `json:"previous"`
	Actor        string           `json:"actor"`
	CustomEntity string           `json:"custom_entity"`
	Tenant       string           `json:"tenant"`
}

// triggerAnswer is the 202 body.
type triggerAnswer struct {
	EventID    string `json:"event_id"`
	WorkflowID string `json:"workflow_id"`
	Duplicate  bool   `json:"duplicate"`
}

func (s *Server) createEvent(c *gin.Context) error {
	var req triggerRequest
	if err := decodeJSON(c, s.maxBody, &req); err != nil {
		return err
	}
	t, err := Tenant(c, req.Tenant)
	if err != nil {
		return err
	}
	ev, err := s.eventFrom(&req, t, c.GetHeader(SkipKeyHeader))
	if err != nil {
		return err
	}
	ans, err := s.accept(c.Request.Context(), ev)
	if err != nil {
		return err
	}
	if !ans.Duplicate {
		s.metrics.EventReceived(ev.Tenant, ev.Type)
	}
	c.JSON(http.StatusAccepted, ans)
	return nil
}

// accept admits the event: stored and queued for its workflow in one
// transaction, durable when it returns. A dispatcher in a worker starts the
// workflow (docs/architecture.md); nothing else is on a trigger's path, so
// a trigger is accepted whether or not Temporal answers. A repeated id
// finds the stored event: at most one event, and one workflow, per id.
func (s *Server) accept(ctx context.Context, ev *models.Event) (triggerAnswer, error) {
	created, err := s.store.AdmitEvents(ctx, []*models.Event{ev})
	if err != nil {
		return triggerAnswer{}, err
	}
	s.admitted()
	return triggerAnswer{EventID: ev.ID, WorkflowID: ev.WorkflowID, Duplicate: !created[0]}, nil
}

// eventFrom validates a trigger and builds the event to store.
func (s *Server) eventFrom(req *triggerRequest, tenant, skipKey string) (*models.Event, error) {
	var v models.ValidationError
	if et, err := models.ParseEventType(req.Event); err != nil {
		v.Add("event", "must name an entity and an action such as Contact.Update: "+err.Error())
	} else if models.IsStateEvent(et) {
		v.Add("event", "webhook.started, webhook.stopped and webhook.errors are emitted by hookflow when a hook changes state")
	}
	records := req.Records
	switch {
	case req.Data != nil && records != nil:
		v.Add("data", "give records or data, not both")
	case req.Data != nil:
		records = []map[string]any{req.Data}
	case len(records) == 0:
		v.Add("records", "must hold at least one record (or give data for one)")
	}
	if len(records) > s.maxRecords {
		return nil, tooLarge(fmt.Sprintf("records: %d records is more than the limit of %d", len(records), s.maxRecords))
	}
	for i, r := range records {
		if r == nil {
			v.Add("records["+strconv.Itoa(i)+"]", "must be an object")
		}
	}
	if req.Changes != nil && len(req.Changes) != len(records) {
		v.Add("changes", "must have one entry per record")
	}
	if req.Previous != nil && len(req.Previous) != len(records) {
		v.Add("previous", "must have one entry per record")
	}
	id := req.ID
	if id == "" {
		id = newEventID()
	} else if !validEventID(id) {
		v.Add("id", "must be 1 to 255 characters of letters, digits and - _ . : @ + = ~ (such as a UUID or evt_123)")
	}
	if len(req.Actor) > 255 {
		v.Add("actor", "is longer than 255 characters")
	}
	if req.CustomEntity != "" && !printable(req.CustomEntity) {
		v.Add("custom_entity", "must be 1 to 255 printable characters")
	}
	if len(skipKey) > 255 {
		v.Add(SkipKeyHeader, "is longer than 255 characters")
	}
	now := s.Now()
	occurred := now
	if req.OccurredAt != "" {
		t, err := parseRFC3339(req.OccurredAt)
		if err != nil {
			v.Add("occurred_at", "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
		}
		occurred = t.UTC()
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(models.EventBody{Records: records, Changes: req.Changes, Previous: req.Previous})
	if err != nil {
		return nil, fmt.Errorf("encode event body: %w", err)
	}
	return &models.Event{
		ID: id, Tenant: tenant, Type: req.Event, OccurredAt: occurred, ReceivedAt: now,
		Actor: req.Actor, CustomEntity: req.CustomEntity, SkipKey: skipKey,
		RecordCount: len(records), Body: body, WorkflowID: workflows.FanoutWorkflowID(tenant, id),
	}, nil
}

func newEventID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "evt_" + hex.EncodeToString(b)
}

// validEventID reports whether s may be an event id: 1 to 255 ASCII
// letters, digits and - _ . : @ + = ~, as Svix restricts its event ids. An id
// becomes part of the event's workflow id (workflows.FanoutWorkflowID), which
// Temporal sends in gRPC headers (ASCII only), and of its URL
// (/v1/events/{id}, where "/" could not be addressed). Without "/" no event's
// workflow id can equal another's hook workflow id (event/t/c1/hook/4).
func validEventID(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.:@+=~", c) >= 0) {
			return false
		}
	}
	return true
}

// printable reports whether s is 1 to 255 bytes of printable characters.
func printable(s string) bool {
	return s != "" && len(s) <= 255 && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}

// eventResponse is GET /v1/events/{id}: the event, the hooks it reached and
// where each delivery stands.
type eventResponse struct {
	ID           string             `json:"id"`
	Tenant       string             `json:"tenant"`
	Event        string             `json:"event"`
	OccurredAt   time.Time          `json:"occurred_at"`
	ReceivedAt   time.Time          `json:"received_at"`
	Actor        string             `json:"actor,omitempty"`
	CustomEntity string             `json:"custom_entity,omitempty"`
	RecordCount  int                `json:"record_count"`
	WorkflowID   string             `json:"workflow_id"`
	Status       string             `json:"status"`
	Hooks        []int64            `json:"hooks"`
	Deliveries   []deliveryResponse `json:"deliveries"`
	// DeliveriesTruncated says the list stops at maxEventDeliveries; page
	// through GET /v1/hooks/{id}/deliveries for the rest.
	DeliveriesTruncated bool `json:"deliveries_truncated,omitempty"`
}

const maxEventDeliveries = 1000

// Event statuses: queued until a dispatcher has started the event's
// workflow, then started; its deliveries say how each hook was served.
const (
	eventQueued  = "queued"
	eventStarted = "started"
)

func (s *Server) getEvent(c *gin.Context) error {
	t, err := Tenant(c, "")
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	ev, err := s.store.Event(ctx, t, c.Param("id"))
	if err != nil {
		return err
	}
	queued, err := s.store.EventQueued(ctx, ev.PK)
	if err != nil {
		return err
	}
	ds, err := s.store.Deliveries(ctx, store.DeliveryQuery{Tenant: t, EventPK: ev.PK, Limit: maxEventDeliveries + 1})
	if err != nil {
		return err
	}
	out := eventResponse{
		ID: ev.ID, Tenant: ev.Tenant, Event: ev.Type, OccurredAt: ev.OccurredAt, ReceivedAt: ev.ReceivedAt,
		Actor: ev.Actor, CustomEntity: ev.CustomEntity, RecordCount: ev.RecordCount, WorkflowID: ev.WorkflowID,
		Status: map[bool]string{true: eventQueued, false: eventStarted}[queued],
		Hooks:  []int64{}, Deliveries: []deliveryResponse{}, DeliveriesTruncated: len(ds) > maxEventDeliveries,
	}
	ds = ds[:min(len(ds), maxEventDeliveries)]
	seen := map[int64]bool{}
	for i := len(ds) - 1; i >= 0; i-- { // oldest first reads naturally for one event
		d := &ds[i]
		out.Deliveries = append(out.Deliveries, newDeliveryResponse(d))
		if !seen[d.HookID] {
			seen[d.HookID] = true
			out.Hooks = append(out.Hooks, d.HookID)
		}
	}
	c.JSON(http.StatusOK, out)
	return nil
}
