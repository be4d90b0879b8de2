package activities

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/hookflow/hookflow/internal/filter"
	"github.com/hookflow/hookflow/internal/metrics"
	"github.com/hookflow/hookflow/internal/payload"
	"github.com/hookflow/hookflow/internal/plan"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/temporal"
)

// Planner finds the hooks an event reaches and turns each into deliveries:
// one per chunk of records, or one per record for one-record formats.
type Planner struct {
	Store  planStore
	Retry  plan.Retry
	Now    func() time.Time
	Events *EventCache // shared with the worker's Sender: one decoded copy per event
	// Planning, when set, is told the workflow id of each event whose first
	// plan begins: the dispatcher that started it measures how far the
	// engine is behind by it.
	Planning func(workflowID string)
	// Lanes wakes the lane of a fifo hook that has deliveries to send
	// (signal-with-start); nil wakes none (tests of the plan alone).
	Lanes LaneKicker
	// Metrics counts the deliveries a plan ends at once: skipped for a
	// TooManyErrors hook, failed when a hook's plan fails. nil counts none.
	Metrics *metrics.Metrics
	// Workflows tells a lane whether the workflow it waits for still runs
	// (lane.go); nil takes every workflow to run (tests of the plan alone).
	Workflows WorkflowChecker
	// Starter starts the workflow of each hook of a large fan-out
	// (StartHookDeliveries).
	Starter HookDeliveryStarter
	// Send makes a delivery's first attempt with its plan (PlanAndSend);
	// nil makes none there (tests of the plan alone). *Sender is one.
	Send   firstSender
	owners ownerChecks
}

// firstSender makes a delivery's first attempt: from the rows the plan has
// just written and read, or by the delivery's id.
type firstSender interface {
	SendPlanned(ctx context.Context, d *models.Delivery, h *models.Hook) (SendResult, error)
	SendWebhook(ctx context.Context, in SendInput) (SendResult, error)
}

// LaneKicker wakes a fifo hook's lane workflow, starting it if it is not
// running. Waking a lane that has nothing new to send is harmless.
type LaneKicker interface {
	KickLane(ctx context.Context, tenant string, hookID int64) error
}

type planStore interface {
	eventLoader
	Hook(ctx context.Context, tenant string, id int64) (*models.Hook, error)
	MatchHooksToPlan(ctx context.Context, tenant string, event models.Pattern, aliases []string, before time.Time, afterID int64, limit int) ([]models.Hook, error)
	PlanDeliveries(ctx context.Context, ds []models.Delivery) error
	HookDeliveries(ctx context.Context, eventPK, hookID int64, offset, limit int) ([]models.Delivery, error)
	ReopenDelivery(ctx context.Context, id int64, gen int, workflowID string, now time.Time) (bool, error)
	ReopenFailed(ctx context.Context, q store.RecoverQuery, now time.Time) ([]int64, error)
	ReopenLane(ctx context.Context, q store.RecoverQuery, now time.Time) (int64, error)
	MarkPlanned(ctx context.Context, eventPK int64, now time.Time) error
	Delivery(ctx context.Context, tenant string, id int64) (*models.Delivery, error)
	LaneHead(ctx context.Context, hookID int64, workflowID string) (*store.LaneHead, error)
	AdoptDelivery(ctx context.Context, id int64, from, workflowID string, now time.Time) (bool, error)
	EventQueued(ctx context.Context, pk int64) (bool, error)
	SkipLane(ctx context.Context, hookID int64, workflowID, reason string, now time.Time) (int64, error)
}

// NewPlanner returns a Planner over s that hands out retry policy r.
func NewPlanner(s planStore, r plan.Retry) *Planner {
	return &Planner{Store: s, Retry: r, Now: time.Now, Events: NewEventCache(EventCacheBytes)}
}

// PlanEventInput names an event and where fan-out resumes.
type PlanEventInput struct {
	EventPK     int64
	WorkflowID  string
	AfterHookID int64
}

// PlanEvent matches hooks for an event and, when the fan-out is small, plans
// their deliveries too, so the common case needs one workflow and no more.
func (p *Planner) PlanEvent(ctx context.Context, in PlanEventInput) (plan.Event, error) {
	ep, _, err := p.planEvent(ctx, in)
	return ep, err
}

// ready is a delivery planned just now, with its hook, as the plan wrote and
// read them: its first attempt needs no second read of either.
type ready struct {
	delivery models.Delivery
	hook     *models.Hook
}

// planEvent is PlanEvent, which also returns the rows of the deliveries it
// created, in the order of the plan's hooks.
func (p *Planner) planEvent(ctx context.Context, in PlanEventInput) (plan.Event, []ready, error) {
	if p.Planning != nil && in.AfterHookID == 0 {
		p.Planning(in.WorkflowID)
	}
	ev, err := p.Events.load(ctx, p.Store, in.EventPK)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NonRetryable() {
		// An event that cannot be read reaches no hook: no lane may wait for it.
		if err := p.Store.MarkPlanned(ctx, in.EventPK, p.Now().UTC()); err != nil {
			return plan.Event{}, nil, err
		}
	}
	if err != nil {
		return plan.Event{}, nil, err
	}
	et, err := models.ParseEventType(ev.Type)
	if err != nil {
		// It reaches no hook: no lane waits for it.
		if err := p.Store.MarkPlanned(ctx, ev.PK, p.Now().UTC()); err != nil {
			return plan.Event{}, nil, err
		}
		return plan.Event{}, nil, temporal.NewNonRetryableApplicationError("event type", ErrTypeBadPayload, err)
	}
	hooks, err := p.Store.MatchHooksToPlan(ctx, ev.Tenant, et, ev.Aliases(), ev.ReceivedAt, in.AfterHookID, plan.FanoutPage+1)
	if err != nil {
		return plan.Event{}, nil, err
	}
	out := plan.Event{}
	if len(hooks) > plan.FanoutPage {
		hooks = hooks[:plan.FanoutPage]
		out.NextAfterHookID = hooks[len(hooks)-1].ID
	}
	inline := in.AfterHookID == 0 && out.NextAfterHookID == 0 && len(hooks) <= plan.InlineHooks
	planned, work := 0, int64(0)
	var laned []int64
	var created []ready
	for i := range hooks {
		h := &hooks[i]
		if !filter.Accepts(h.Options.V, entityOf(ev.Type), ev.CustomEntity, ev.SkipKey) {
			continue
		}
		hp := plan.Hook{HookID: h.ID, Retry: p.Retry, RateLimit: h.RateLimit}
		if h.FIFO() {
			// Planned here whatever the fan-out, so that the event is
			// planned for its lanes once this plan ends; the lane pages.
			var spent int64
			if hp, spent, err = p.planLane(ctx, ev, h); err != nil {
				return plan.Event{}, nil, err
			}
			work += spent
			if h.State == models.StateActive { // a TooManyErrors hook's were recorded skipped
				laned = append(laned, h.ID)
			}
		} else if inline && work <= plan.InlineFilterWork {
			// A hook whose deliveries do not fit gets a workflow of its
			// own (StartHookDeliveries), which plans it and pages through them.
			hkp, err := p.planHook(ctx, ev, h, in.WorkflowID, 0, plan.InlineDeliveries-planned, true)
			if err != nil {
				return plan.Event{}, nil, err
			}
			hp, planned, work = hkp.Hook, planned+len(hkp.Deliveries), work+hkp.work
			for _, d := range hkp.created {
				created = append(created, ready{delivery: d, hook: h})
			}
		}
		if hp.Planned && hp.Failed == "" && len(hp.Deliveries) == 0 && h.State != models.StateActive {
			// Recorded as skipped (planRecords): nothing to send, and the
			// workflow does not name the hook.
			continue
		}
		out.Hooks = append(out.Hooks, hp)
	}
	if out.NextAfterHookID == 0 {
		if err := p.Store.MarkPlanned(ctx, ev.PK, p.Now().UTC()); err != nil {
			return plan.Event{}, nil, err
		}
	}
	for _, id := range laned {
		if err := p.kick(ctx, ev.Tenant, id); err != nil {
			return plan.Event{}, nil, err
		}
	}
	return out, created, nil
}

// planLane plans a fifo hook's deliveries of the event for its lane, which
// reads them from the database: the plan carries none.
func (p *Planner) planLane(ctx context.Context, ev *loadedEvent, h *models.Hook) (plan.Hook, int64, error) {
	hp, err := p.planHook(ctx, ev, h, plan.LaneWorkflowID(h.Tenant, h.ID), 0, 1, false)
	hp.Deliveries, hp.Laned = nil, true
	return hp.Hook, hp.work, err
}

func (p *Planner) kick(ctx context.Context, tenant string, hookID int64) error {
	if p.Lanes == nil {
		return nil
	}
	if err := p.Lanes.KickLane(ctx, tenant, hookID); err != nil {
		return fmt.Errorf("wake the lane of hook %d: %w", hookID, err)
	}
	return nil
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
func (p *Planner) PlanHook(ctx context.Context, in PlanHookInput) (plan.Hook, error) {
	ev, err := p.Events.load(ctx, p.Store, in.EventPK)
	if err != nil {
		return plan.Hook{}, err
	}
	h, err := p.Store.Hook(ctx, "", in.HookID)
	if errors.Is(err, store.ErrNotFound) {
		return plan.Hook{HookID: in.HookID, Planned: true}, nil // deleted since it matched: nothing to send
	}
	if err != nil {
		return plan.Hook{}, err
	}
	hp, err := p.planHook(ctx, ev, h, in.WorkflowID, in.Offset, plan.DeliveryPage, false)
	return hp.Hook, err
}

// hookPlan is a hook's plan, with the filter work planning it spent and,
// when its deliveries were created just now, their rows as inserted.
type hookPlan struct {
	plan.Hook
	work    int64
	created []models.Delivery
}

// planHook creates the hook's deliveries for the event, unless they exist,
// and returns limit of them from offset, with the filter work it spent. With
// onlyIfFits it plans nothing when there are more than limit, and returns a
// plan with Planned false. A hook whose filter cannot be evaluated gets a
// plan that failed (planFailed).
func (p *Planner) planHook(ctx context.Context, ev *loadedEvent, h *models.Hook, workflowID string, offset, limit int, onlyIfFits bool) (hookPlan, error) {
	if err := h.Unreadable(); err != nil {
		hp, err := p.planFailed(ctx, ev, h, workflowID, "hook "+strconv.FormatInt(h.ID, 10)+": "+err.Error())
		return hookPlan{Hook: hp}, err
	}
	records, work, err := filter.Apply(h.Options.V, entityOf(ev.Type), ev.CustomEntity, ev.Body)
	if err != nil {
		hp, err := p.planFailed(ctx, ev, h, workflowID, "hook "+strconv.FormatInt(h.ID, 10)+": "+err.Error())
		return hookPlan{Hook: hp, work: work}, err
	}
	hp, err := p.planRecords(ctx, ev, h, records, workflowID, offset, limit, onlyIfFits)
	hp.work = work
	return hp, err
}

// planFailed records that the hook's deliveries of the event could not be
// planned: one delivery that failed at once, with the reason, so the event
// (GET /v1/events/{id}) and the hook's deliveries show it. It carries no
// records (Count 0) and is never sent, redelivered or recovered.
func (p *Planner) planFailed(ctx context.Context, ev *loadedEvent, h *models.Hook, workflowID, reason string) (plan.Hook, error) {
	now := p.Now().UTC()
	d := models.Delivery{
		Tenant: ev.Tenant, EventPK: ev.PK, EventID: ev.ID, HookID: h.ID, Records: models.JSON[[]int]{V: []int{}},
		Status: models.DeliveryFailed, LastError: reason, WorkflowID: workflowID, CreatedAt: now, UpdatedAt: now, CompletedAt: &now,
	}
	ds := []models.Delivery{d}
	if err := p.Store.PlanDeliveries(ctx, ds); err != nil {
		return plan.Hook{}, err
	}
	p.countEnded(ds)
	return plan.Hook{HookID: h.ID, Planned: true, Retry: p.Retry, RateLimit: h.RateLimit, Failed: reason}, nil
}

// countEnded counts the deliveries just planned in a final status (skipped
// or failed at once), as the sender and recorder count those they end. One
// a retried plan found already stored (no id) was counted by the plan that
// stored it; a pending one is counted when it ends.
func (p *Planner) countEnded(ds []models.Delivery) {
	for i := range ds {
		if ds[i].ID != 0 && !ds[i].Status.Open() {
			p.Metrics.DeliveryEnded(ds[i].Status)
		}
	}
}

// missedReason is the last_error of a delivery planned while its hook was
// TooManyErrors: skipped without a request, sent by recover.
const missedReason = "hook was TooManyErrors when the event arrived"

// planRecords cuts the records that passed the hook's filter into
// deliveries. A hook that is TooManyErrors gets them as skipped, with no
// request made and none returned to send: activate and recover send them
// later, as they would have been (docs/failures.md).
func (p *Planner) planRecords(ctx context.Context, ev *loadedEvent, h *models.Hook, records []models.Record, workflowID string, offset, limit int, onlyIfFits bool) (hookPlan, error) {
	per, perChunk := h.Options.V.EffectiveChunkSize(), 1
	if payload.OneRecordPerRequest(h.Format) {
		per, perChunk = 1, per
	}
	count := (len(records) + per - 1) / per
	hp := plan.Hook{HookID: h.ID, Total: count, ChunkDelay: time.Duration(h.Options.V.ChunkDelay) * time.Second,
		RequestsPerChunk: perChunk, Retry: p.Retry, RateLimit: h.RateLimit}
	if onlyIfFits && count > limit {
		return hookPlan{Hook: plan.Hook{HookID: h.ID, Retry: p.Retry, RateLimit: h.RateLimit}}, nil
	}
	hp.Planned = true
	if count == 0 {
		return hookPlan{Hook: hp}, nil
	}
	missed := h.State == models.StateTooManyErrors
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
			if missed {
				ds[seq].Status, ds[seq].LastError, ds[seq].CompletedAt = models.DeliverySkipped, missedReason, &now
			}
		}
		if err := p.Store.PlanDeliveries(ctx, ds); err != nil {
			return hookPlan{}, err
		}
		p.countEnded(ds)
		if count <= limit && allCreated(ds) {
			// One INSERT numbers its rows in seq order, whatever order
			// RETURNING handed the ids back in.
			slices.SortFunc(ds, func(a, b models.Delivery) int { return cmp.Compare(a.ID, b.ID) })
			out := hookPlan{Hook: handOut(hp, ds, missed)}
			if !missed {
				out.created = ds
			}
			return out, nil
		}
	}
	// Planned by an earlier try of this plan, or a page of a larger plan.
	ds, err := p.Store.HookDeliveries(ctx, ev.PK, h.ID, offset, limit)
	if err != nil {
		return hookPlan{}, err
	}
	return hookPlan{Hook: handOut(hp, ds, missed)}, nil
}

// allCreated reports whether every delivery was inserted just now (each got
// its id; one that existed already gets none): they are then the hook's
// deliveries of the event, in seq order, and need not be read back.
func allCreated(ds []models.Delivery) bool {
	for i := range ds {
		if ds[i].ID == 0 {
			return false
		}
	}
	return true
}

// handOut adds the deliveries to send to the hook's plan.
func handOut(hp plan.Hook, ds []models.Delivery, missed bool) plan.Hook {
	for _, d := range ds {
		// A retried plan of a hook that turned TooManyErrors since its first
		// try still hands out the deliveries that try left pending: the
		// sender ends them as skipped, instead of leaving them pending forever.
		if !missed || d.Status == models.DeliveryPending {
			hp.Deliveries = append(hp.Deliveries, d.ID)
		}
	}
	return hp
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

// PlanRedeliveryInput names one delivery to send again, as its redelivery
// number Generation, by the workflow WorkflowID.
type PlanRedeliveryInput struct {
	DeliveryID int64
	Generation int
	WorkflowID string
}

// PlanRedelivery makes one ended delivery pending again. The plan is empty
// when another redelivery of the same generation got there first, or when
// the hook is fifo: its lane sends the delivery, in its event's place.
func (p *Planner) PlanRedelivery(ctx context.Context, in PlanRedeliveryInput) (plan.Redelivery, error) {
	h, err := p.hookOf(ctx, in.DeliveryID)
	if err != nil {
		return plan.Redelivery{}, err
	}
	workflowID := in.WorkflowID
	if h.FIFO() {
		workflowID = plan.LaneWorkflowID(h.Tenant, h.ID)
	}
	ok, err := p.Store.ReopenDelivery(ctx, in.DeliveryID, in.Generation, workflowID, p.Now().UTC())
	if err != nil || !ok {
		return plan.Redelivery{Retry: p.Retry}, err
	}
	if h.FIFO() {
		return plan.Redelivery{Retry: p.Retry}, p.kick(ctx, h.Tenant, h.ID)
	}
	return plan.Redelivery{Deliveries: []int64{in.DeliveryID}, Retry: p.Retry, HookID: h.ID, RateLimit: h.RateLimit}, nil
}

// hookOf loads the hook of a delivery (hookOrGone).
func (p *Planner) hookOf(ctx context.Context, deliveryID int64) (*models.Hook, error) {
	d, err := p.Store.Delivery(ctx, "", deliveryID)
	if err != nil {
		return nil, notFoundIsFinal(err)
	}
	return p.hookOrGone(ctx, d.Tenant, d.HookID)
}

// hookOrGone loads a hook; a deleted one reads as a hook with no ordering
// and no rate limit (the sender then skips its deliveries).
func (p *Planner) hookOrGone(ctx context.Context, tenant string, id int64) (*models.Hook, error) {
	h, err := p.Store.Hook(ctx, "", id)
	if errors.Is(err, store.ErrNotFound) {
		return &models.Hook{ID: id, Tenant: tenant}, nil
	}
	return h, err
}

// PlanRecoveryInput names a hook, the time from which its failed and skipped
// deliveries are sent again, and the page to plan.
type PlanRecoveryInput struct {
	HookID     int64
	Since      time.Time
	AfterID    int64
	WorkflowID string
}

// PlanRecovery makes the next plan.RecoverPage of the hook's failed and skipped
// deliveries since in.Since pending again, in id order. A fifo hook's are
// all reopened at once, in its lane, which sends them in their events'
// order; the plan is then empty.
func (p *Planner) PlanRecovery(ctx context.Context, in PlanRecoveryInput) (plan.Redelivery, error) {
	h, err := p.hookOrGone(ctx, "", in.HookID)
	if err != nil {
		return plan.Redelivery{}, err
	}
	q := store.RecoverQuery{HookID: in.HookID, Since: in.Since, AfterID: in.AfterID, Limit: plan.RecoverPage, WorkflowID: in.WorkflowID}
	if h.FIFO() {
		q.WorkflowID = plan.LaneWorkflowID(h.Tenant, h.ID)
		if _, err := p.Store.ReopenLane(ctx, q, p.Now().UTC()); err != nil {
			return plan.Redelivery{}, err
		}
		return plan.Redelivery{Retry: p.Retry}, p.kick(ctx, h.Tenant, h.ID)
	}
	ids, err := p.Store.ReopenFailed(ctx, q, p.Now().UTC())
	return plan.Redelivery{Deliveries: ids, Retry: p.Retry, HookID: in.HookID, RateLimit: h.RateLimit}, err
}
