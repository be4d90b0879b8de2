package activities

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/hookflow/hookflow/internal/filter"
	"github.com/hookflow/hookflow/internal/payload"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/temporal"
)

// Planner finds the hooks an event reaches and turns each into deliveries:
// one per chunk of records, or one per record for one-record formats.
type Planner struct {
	Store  planStore
	Retry  RetryPolicy
	Now    func() time.Time
	Events *EventCache // shared with the worker's Sender: one decoded copy per event
	// Planning, when set, is told the workflow id of each event whose first
	// plan begins: the dispatcher that started it measures how far the
	// engine is behind by it.
	Planning func(workflowID string)
}

type planStore interface {
	eventLoader
	Hook(ctx context.Context, tenant string, id int64) (*models.Hook, error)
	MatchHooks(ctx context.Context, tenant string, event models.Pattern, aliases []string, before time.Time, afterID int64, limit int) ([]models.Hook, error)
	PlanDeliveries(ctx context.Context, ds []models.Delivery) error
	HookDeliveries(ctx context.Context, eventPK, hookID int64, offset, limit int) ([]models.Delivery, error)
	ReopenDelivery(ctx context.Context, id int64, gen int, workflowID string, now time.Time) (bool, error)
	ReopenFailed(ctx context.Context, q store.RecoverQuery, now time.Time) ([]int64, error)
}

// NewPlanner returns a Planner over s that hands out retry policy r.
func NewPlanner(s planStore, r RetryPolicy) *Planner {
	return &Planner{Store: s, Retry: r, Now: time.Now, Events: NewEventCache(EventCacheBytes)}
}

// RetryPolicy is the delivery retry schedule from configuration. It travels
// in plans (recorded in history) because workflows may not read configuration.
type RetryPolicy struct {
	InitialInterval time.Duration
	Backoff         float64
	MaxInterval     time.Duration
	MaxAttempts     int
	// AttemptTimeout bounds one attempt: the request timeout plus recording
	// it. It is also how long Temporal waits before retrying an attempt whose
	// worker died, so it should stay close to the request timeout.
	AttemptTimeout time.Duration
}

// Fan-out limits that keep every workflow history small.
const (
	// FanoutPage is how many hooks one run of the event workflow handles
	// before it continues as new.
	FanoutPage = 500
	// InlineHooks and InlineDeliveries bound the deliveries the event workflow
	// sends itself; larger fan-outs get one child workflow per hook. A
	// delivery that succeeds at once costs its history one marker, so a
	// hundred hooks fit one workflow, and one workflow per event (not per
	// hook) is what lets a fan-out to 100 hooks keep up with its events.
	InlineHooks      = 100
	InlineDeliveries = 500
	// DeliveryPage is how many deliveries one hook workflow run sends before it
	// continues as new (only one-record formats with thousands of records get there).
	DeliveryPage = 500
	// InlineFilterWork bounds the filter work (filter.Apply's units) the
	// event workflow's plan spends on its hooks; hooks past it are planned
	// by child workflows of their own, each with its own filter budget, so
	// one plan never runs long whatever the hooks' filters.
	InlineFilterWork = 2 * filter.Budget
	// RecoverPage is how many deliveries a recover run sends again at once
	// before it continues as new: a receiver that just came back gets a
	// steady stream, not the whole backlog at once.
	RecoverPage = 100
)

// PlanEventInput names an event and where fan-out resumes.
type PlanEventInput struct {
	EventPK     int64
	WorkflowID  string
	AfterHookID int64
}

// EventPlan is what the event workflow must do.
type EventPlan struct {
	Hooks []HookPlan
	// NextAfterHookID, when non-zero, is where the next run resumes: more hooks matched.
	NextAfterHookID int64
}

// HookPlan is one matched hook. Planned hooks come with their deliveries;
// the others are planned by a child workflow of their own.
type HookPlan struct {
	HookID     int64
	Planned    bool
	Deliveries []int64 // in seq order
	Total      int     // deliveries this hook has for the event
	ChunkDelay time.Duration
	// RequestsPerChunk is how many requests share one chunk's send time:
	// chunk_size for one-record formats, else 1. Zero means 1.
	RequestsPerChunk int
	Retry            RetryPolicy
	// Failed says why the hook's deliveries could not be planned: its filter
	// needs more than its budget, or its stored options cannot be read. The
	// event shows it as one failed delivery of the hook; retrying cannot help.
	Failed string
}

// Due returns when the delivery at seq goes out: chunk N of the hook,
// N × chunk delay after the first.
func (hp HookPlan) Due(first time.Time, seq int) time.Time {
	return first.Add(time.Duration(seq/max(hp.RequestsPerChunk, 1)) * hp.ChunkDelay)
}

// PlanEvent matches hooks for an event and, when the fan-out is small, plans
// their deliveries too, so the common case needs one workflow and no children.
func (p *Planner) PlanEvent(ctx context.Context, in PlanEventInput) (EventPlan, error) {
	if p.Planning != nil && in.AfterHookID == 0 {
		p.Planning(in.WorkflowID)
	}
	ev, err := p.Events.load(ctx, p.Store, in.EventPK)
	if err != nil {
		return EventPlan{}, err
	}
	et, err := models.ParseEventType(ev.Type)
	if err != nil {
		return EventPlan{}, temporal.NewNonRetryableApplicationError("event type", ErrTypeBadPayload, err)
	}
	hooks, err := p.Store.MatchHooks(ctx, ev.Tenant, et, ev.Aliases(), ev.ReceivedAt, in.AfterHookID, FanoutPage+1)
	if err != nil {
		return EventPlan{}, err
	}
	plan := EventPlan{}
	if len(hooks) > FanoutPage {
		hooks = hooks[:FanoutPage]
		plan.NextAfterHookID = hooks[len(hooks)-1].ID
	}
	inline := in.AfterHookID == 0 && plan.NextAfterHookID == 0 && len(hooks) <= InlineHooks
	planned, work := 0, int64(0)
	for i := range hooks {
		h := &hooks[i]
		if !filter.Accepts(h.Options.V, entityOf(ev.Type), ev.CustomEntity, ev.SkipKey) {
			continue
		}
		hp := HookPlan{HookID: h.ID, Retry: p.Retry}
		if inline && work <= InlineFilterWork {
			// A hook whose deliveries do not fit goes to a child workflow,
			// which plans it and pages through them.
			var spent int64
			if hp, spent, err = p.planHook(ctx, ev, h, in.WorkflowID, 0, InlineDeliveries-planned, true); err != nil {
				return EventPlan{}, err
			}
			planned, work = planned+len(hp.Deliveries), work+spent
		}
		plan.Hooks = append(plan.Hooks, hp)
	}
	return plan, nil
}

// PlanHookInput names one hook of one event and the page of its deliveries wanted.
type PlanHookInput struct {
	EventPK    int64
	HookID     int64
	WorkflowID string
	Offset     int
}

// PlanHook plans one hook's deliveries for an event (idempotently) and
// returns the page of them from in.Offset.
func (p *Planner) PlanHook(ctx context.Context, in PlanHookInput) (HookPlan, error) {
	ev, err := p.Events.load(ctx, p.Store, in.EventPK)
	if err != nil {
		return HookPlan{}, err
	}
	h, err := p.Store.Hook(ctx, "", in.HookID)
	if errors.Is(err, store.ErrNotFound) {
		return HookPlan{HookID: in.HookID, Planned: true}, nil // deleted since it matched: nothing to send
	}
	if err != nil {
		return HookPlan{}, err
	}
	hp, _, err := p.planHook(ctx, ev, h, in.WorkflowID, in.Offset, DeliveryPage, false)
	return hp, err
}

// planHook creates the hook's deliveries for the event, unless they exist,
// and returns limit of them from offset, with the filter work it spent. With
// onlyIfFits it plans nothing when there are more than limit, and returns a
// plan with Planned false. A hook whose filter cannot be evaluated gets a
// plan that failed (planFailed).
func (p *Planner) planHook(ctx context.Context, ev *loadedEvent, h *models.Hook, workflowID string, offset, limit int, onlyIfFits bool) (HookPlan, int64, error) {
	if err := h.Unreadable(); err != nil {
		hp, err := p.planFailed(ctx, ev, h, workflowID, "hook "+strconv.FormatInt(h.ID, 10)+": "+err.Error())
		return hp, 0, err
	}
	records, work, err := filter.Apply(h.Options.V, entityOf(ev.Type), ev.CustomEntity, ev.Body)
	if err != nil {
		hp, err := p.planFailed(ctx, ev, h, workflowID, "hook "+strconv.FormatInt(h.ID, 10)+": "+err.Error())
		return hp, work, err
	}
	hp, err := p.planRecords(ctx, ev, h, records, workflowID, offset, limit, onlyIfFits)
	return hp, work, err
}

// planFailed records that the hook's deliveries of the event could not be
// planned: one delivery that failed at once, with the reason, so the event
// (GET /v1/events/{id}) and the hook's deliveries show it. It carries no
// records (Count 0) and is never sent, redelivered or recovered.
func (p *Planner) planFailed(ctx context.Context, ev *loadedEvent, h *models.Hook, workflowID, reason string) (HookPlan, error) {
	now := p.Now().UTC()
	d := models.Delivery{
		Tenant: ev.Tenant, EventPK: ev.PK, EventID: ev.ID, HookID: h.ID, Records: models.JSON[[]int]{V: []int{}},
		Status: models.DeliveryFailed, LastError: reason, WorkflowID: workflowID, CreatedAt: now, UpdatedAt: now, CompletedAt: &now,
	}
	if err := p.Store.PlanDeliveries(ctx, []models.Delivery{d}); err != nil {
		return HookPlan{}, err
	}
	return HookPlan{HookID: h.ID, Planned: true, Retry: p.Retry, Failed: reason}, nil
}

// planRecords cuts the records that passed the hook's filter into deliveries.
func (p *Planner) planRecords(ctx context.Context, ev *loadedEvent, h *models.Hook, records []models.Record, workflowID string, offset, limit int, onlyIfFits bool) (HookPlan, error) {
	per, perChunk := h.Options.V.EffectiveChunkSize(), 1
	if payload.OneRecordPerRequest(h.Format) {
		per, perChunk = 1, per
	}
	count := (len(records) + per - 1) / per
	hp := HookPlan{HookID: h.ID, Total: count, ChunkDelay: time.Duration(h.Options.V.ChunkDelay) * time.Second,
		RequestsPerChunk: perChunk, Retry: p.Retry}
	if onlyIfFits && count > limit {
		return HookPlan{HookID: h.ID, Retry: p.Retry}, nil
	}
	hp.Planned = true
	if count == 0 {
		return hp, nil
	}
	if offset == 0 {
		now := p.Now().UTC()
		ds := make([]models.Delivery, count)
		for seq := range ds {
			chunk := records[seq*per : min((seq+1)*per, len(records))]
			idx := make([]int, len(chunk))
			for i, r := range chunk {
				idx[i] = r.Index
			}
			ds[seq] = models.Delivery{
				Tenant: ev.Tenant, EventPK: ev.PK, EventID: ev.ID, HookID: h.ID, Seq: seq, Count: count,
				Records: models.JSON[[]int]{V: idx}, Status: models.DeliveryPending,
				WorkflowID: workflowID, CreatedAt: now, UpdatedAt: now,
			}
		}
		if err := p.Store.PlanDeliveries(ctx, ds); err != nil {
			return HookPlan{}, err
		}
	}
	ds, err := p.Store.HookDeliveries(ctx, ev.PK, h.ID, offset, limit)
	if err != nil {
		return HookPlan{}, err
	}
	for _, d := range ds {
		hp.Deliveries = append(hp.Deliveries, d.ID)
	}
	return hp, nil
}

// entityOf returns the entity of an event name as sent: "Contact" of "Contact.Update".
func entityOf(eventType string) string {
	for i := 0; i < len(eventType); i++ {
		if eventType[i] == '.' {
			return eventType[:i]
		}
	}
	return eventType
}

// RedeliveryPlan is what a redelivery or recover run sends: deliveries made
// pending again, with the retry policy they are sent with.
type RedeliveryPlan struct {
	Deliveries []int64
	Retry      RetryPolicy
}

// PlanRedeliveryInput names one delivery to send again, as its redelivery
// number Generation, by the workflow WorkflowID.
type PlanRedeliveryInput struct {
	DeliveryID int64
	Generation int
	WorkflowID string
}

// PlanRedelivery makes one ended delivery pending again. The plan is empty
// when another redelivery of the same generation got there first.
func (p *Planner) PlanRedelivery(ctx context.Context, in PlanRedeliveryInput) (RedeliveryPlan, error) {
	ok, err := p.Store.ReopenDelivery(ctx, in.DeliveryID, in.Generation, in.WorkflowID, p.Now().UTC())
	if err != nil || !ok {
		return RedeliveryPlan{Retry: p.Retry}, err
	}
	return RedeliveryPlan{Deliveries: []int64{in.DeliveryID}, Retry: p.Retry}, nil
}

// PlanRecoveryInput names a hook, the time from which its failed and skipped
// deliveries are sent again, and the page to plan.
type PlanRecoveryInput struct {
	HookID     int64
	Since      time.Time
	AfterID    int64
	WorkflowID string
}

// PlanRecovery makes the next RecoverPage of the hook's failed and skipped
// deliveries since in.Since pending again, in id order.
func (p *Planner) PlanRecovery(ctx context.Context, in PlanRecoveryInput) (RedeliveryPlan, error) {
	ids, err := p.Store.ReopenFailed(ctx, store.RecoverQuery{
		HookID: in.HookID, Since: in.Since, AfterID: in.AfterID, Limit: RecoverPage, WorkflowID: in.WorkflowID,
	}, p.Now().UTC())
	return RedeliveryPlan{Deliveries: ids, Retry: p.Retry}, err
}
