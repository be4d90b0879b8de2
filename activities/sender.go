package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookflow/hookflow/internal/egress"
	"github.com/hookflow/hookflow/internal/filter"
	"github.com/hookflow/hookflow/internal/metrics"
	"github.com/hookflow/hookflow/internal/payload"
	"github.com/hookflow/hookflow/internal/plan"
	"github.com/hookflow/hookflow/internal/receiverauth"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/semaphore"
)

// Sender makes delivery attempts: one signed HTTP request per activity
// attempt, recorded before it returns. Temporal's retry policy schedules the
// next attempt. It is safe for concurrent use.
type Sender struct {
	Store sendStore
	// Receivers sends each request with the hook's receiver credentials,
	// through the SSRF-guarded clients.
	Receivers *receiverauth.Authenticator
	// MaxRetryAfter caps how long a receiver's Retry-After may delay the next attempt.
	MaxRetryAfter time.Duration
	Now           func() time.Time
	Metrics       *metrics.Metrics // nil records nothing
	Events        *EventCache      // shared with the worker's Planner: one decoded copy per event
	// inflight bounds the bytes of request bodies being rendered and sent
	// at once: a worker runs hundreds of attempts together, and each body
	// can be as large as its event.
	inflight *semaphore.Weighted
}

// MaxInflightBytes bounds the request bodies one worker holds at once.
const MaxInflightBytes = 32 << 20

type sendStore interface {
	eventLoader
	Delivery(ctx context.Context, tenant string, id int64) (*models.Delivery, error)
	Hook(ctx context.Context, tenant string, id int64) (*models.Hook, error)
	RecordAttempt(ctx context.Context, deliveryID int64, o store.AttemptOutcome) (*models.Delivery, error)
	FinishDelivery(ctx context.Context, id int64, status models.DeliveryStatus, reason string, now time.Time) error
	ClaimSend(ctx context.Context, hookID int64, now time.Time, interval time.Duration) (bool, time.Time, error)
	HoldPace(ctx context.Context, hookID int64, until time.Time) error
}

// MaxGateWait is the longest an attempt waits at its hook's rate-limit gate
// before it hands the wait back to its workflow (a durable timer).
const MaxGateWait = 2 * time.Second

// NewSender returns a Sender over s sending through receivers.
func NewSender(s sendStore, receivers *receiverauth.Authenticator, maxRetryAfter time.Duration) *Sender {
	return &Sender{Store: s, Receivers: receivers, MaxRetryAfter: maxRetryAfter, Now: time.Now,
		Events: NewEventCache(EventCacheBytes), inflight: semaphore.NewWeighted(MaxInflightBytes)}
}

// SendInput names the delivery to attempt.
type SendInput struct {
	DeliveryID int64
}

// SendResult is how a delivery ended when the activity succeeded.
type SendResult struct {
	Status     models.DeliveryStatus // succeeded or skipped
	StatusCode int
	Attempt    int
}

// SendWebhook makes one attempt of a delivery. A delivery whose hook is no
// longer Active ends as skipped without a request. A non-2xx answer or a
// network error is returned as a retryable error (with the receiver's
// Retry-After as the next delay); 410 Gone and refused targets are not retryable.
func (s *Sender) SendWebhook(ctx context.Context, in SendInput) (SendResult, error) {
	d, err := s.Store.Delivery(ctx, "", in.DeliveryID)
	if err != nil {
		return SendResult{}, notFoundIsFinal(err)
	}
	if !d.Status.Open() {
		// Already ended (a duplicate run after a crash): at-least-once is kept.
		return SendResult{Status: d.Status, StatusCode: d.LastStatusCode, Attempt: d.Attempts}, nil
	}
	h, err := s.Store.Hook(ctx, "", d.HookID)
	if errors.Is(err, store.ErrNotFound) {
		return s.skip(ctx, d, "hook was deleted")
	}
	if err != nil {
		return SendResult{}, err
	}
	return s.SendPlanned(ctx, d, h)
}

// SendPlanned makes one attempt of delivery d, pending, to its hook h, both
// as just read: SendWebhook reads them, and an event's plan hands over the
// rows it has written and read (PlanAndSend).
func (s *Sender) SendPlanned(ctx context.Context, d *models.Delivery, h *models.Hook) (SendResult, error) {
	if h.State != models.StateActive {
		return s.skip(ctx, d, "hook is "+string(h.State))
	}
	if err := h.Unreadable(); err != nil { // its headers or load-only are unknown: send nothing
		return SendResult{}, temporal.NewNonRetryableApplicationError("hook "+strconv.FormatInt(h.ID, 10)+": "+err.Error(), ErrTypeBadPayload, nil)
	}
	if d.Count == 0 { // a plan that failed: there is no request (the API refuses to redeliver it)
		return SendResult{}, temporal.NewNonRetryableApplicationError("delivery has no request: "+d.LastError, ErrTypeBadPayload, nil)
	}
	ev, err := s.Events.load(ctx, s.Store, d.EventPK)
	if err != nil {
		return SendResult{}, err
	}
	// A delivery's body is at most its event's records plus the hook's properties.
	weight := min(ev.rawSize+sizeOf(h.Properties.V), MaxInflightBytes)
	if err := s.inflight.Acquire(ctx, weight); err != nil {
		return SendResult{}, temporal.NewApplicationError("the worker is sending too much at once; retrying", ErrTypeNetwork)
	}
	defer s.inflight.Release(weight)
	req, err := s.render(d, h, ev)
	if err != nil {
		return SendResult{}, err
	}
	if err := s.pass(ctx, h); err != nil {
		return SendResult{}, err
	}
	return s.attempt(ctx, d, h, req)
}

// pass waits at a rate-limited hook's gate until this request may start:
// at least one interval after the hook's previous request started, whichever
// worker made it. It waits here only when it is next (the gate opens within
// two intervals, and MaxGateWait): requests behind a lagging gate, or a
// receiver's Retry-After, get a Throttled error instead — no request was
// made — and their workflows reserve new slots, which queues them in order
// rather than having them all poll the gate. A request that passed but is
// about to start over plan.PaceSlack later passes once more; the second
// pass stands, so a slow database costs spacing, never progress.
func (s *Sender) pass(ctx context.Context, h *models.Hook) error {
	if h.RateLimit <= 0 {
		return nil
	}
	interval := plan.Interval(h.RateLimit)
	late := false
	for {
		claimed := s.Now().UTC()
		ok, at, err := s.Store.ClaimSend(ctx, h.ID, claimed, interval)
		if err != nil {
			return err
		}
		if ok && (late || s.Now().Sub(claimed) <= plan.PaceSlack) {
			return nil
		}
		if ok { // passed too late: the next request may already start on time
			late, at = true, claimed.Add(interval)
		}
		wait := at.Sub(s.Now())
		if wait > min(2*interval, MaxGateWait) {
			return temporal.NewApplicationErrorWithOptions("rate_limit: hook "+strconv.FormatInt(h.ID, 10)+" takes no request for "+wait.Round(time.Millisecond).String(),
				ErrTypeThrottled, temporal.ApplicationErrorOptions{NextRetryDelay: wait})
		}
		t := time.NewTimer(max(wait, time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (s *Sender) skip(ctx context.Context, d *models.Delivery, reason string) (SendResult, error) {
	if err := s.Store.FinishDelivery(ctx, d.ID, models.DeliverySkipped, reason, s.Now().UTC()); err != nil {
		return SendResult{}, err
	}
	s.Metrics.DeliveryEnded(models.DeliverySkipped)
	return SendResult{Status: models.DeliverySkipped, Attempt: d.Attempts}, nil
}

// render builds the request body and signature headers from the stored event.
func (s *Sender) render(d *models.Delivery, h *models.Hook, ev *loadedEvent) (*payload.Request, error) {
	records := make([]models.Record, 0, len(d.Records.V))
	for _, i := range d.Records.V {
		if i < 0 || i >= len(ev.Body.Records) {
			return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("record %d is not in event %s", i, ev.ID), ErrTypeBadPayload, nil)
		}
		records = append(records, ev.Body.At(i))
	}
	records = filter.Trim(h.Options.V, entityOf(ev.Type), ev.CustomEntity, records)
	msg := &payload.Message{
		DeliveryID: d.ID, Tenant: ev.Tenant, EventID: ev.ID, EventType: ev.Type, OccurredAt: ev.OccurredAt,
		Actor: ev.Actor, CustomEntity: ev.CustomEntity, Records: records,
		Chunk: payload.Chunk{Index: d.Seq, Count: d.Count},
	}
	req, err := payload.Render(h, msg, s.Now())
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("render delivery", ErrTypeBadPayload, err)
	}
	return req, nil
}

// attempt sends req once, records the attempt and classifies the outcome.
func (s *Sender) attempt(ctx context.Context, d *models.Delivery, h *models.Hook, p *payload.Request) (SendResult, error) {
	started := s.Now()
	status, excerpt, retryAfter, sendErr := s.post(ctx, h, p)
	took := s.Now().Sub(started)
	a := models.Attempt{StartedAt: started.UTC(), StatusCode: status, LatencyMS: took.Milliseconds(), ResponseExcerpt: excerpt}
	outcome, class := models.DeliverySucceeded, metrics.StatusClass(status)
	var result error
	var authErr *receiverauth.Error
	// Described, never sendErr.Error(): that names the target's URL and
	// resolved address, and this text reaches logs and the history.
	described := receiverauth.Describe(sendErr)
	switch {
	case errors.Is(sendErr, egress.ErrRefused):
		a.Error, class = described, metrics.ClassRefused
		result = temporal.NewNonRetryableApplicationError(a.Error, ErrTypeRefused, nil)
	case errors.As(sendErr, &authErr):
		// The credentials could not be used, or the receiver refused its TLS
		// client certificate: retried, as the owner may fix them (or the
		// token endpoint recover) meanwhile.
		a.Error, class = described, metrics.ClassAuth
		result = temporal.NewApplicationError(a.Error, ErrTypeAuth)
	case sendErr != nil:
		a.Error, class = described, metrics.ClassNetwork
		result = temporal.NewApplicationError(a.Error, ErrTypeNetwork)
	case status == http.StatusGone:
		a.Error = "target answered 410 Gone: the receiver asks for no more deliveries"
		result = temporal.NewNonRetryableApplicationError(a.Error, ErrTypeGone, nil)
	case status < 200 || status > 299:
		a.Error = "target answered " + strconv.Itoa(status) + " " + http.StatusText(status)
		if status == http.StatusTooManyRequests && retryAfter > 0 && h.RateLimit > 0 {
			// The receiver wants less: every request to the hook waits, not this one only.
			if err := s.Store.HoldPace(ctx, h.ID, s.Now().Add(min(retryAfter, s.MaxRetryAfter)).UTC()); err != nil {
				activity.GetLogger(ctx).Warn("could not hold the hook's pace", "hook_id", h.ID, "err", err)
			}
		}
		result = temporal.NewApplicationErrorWithOptions(a.Error, ErrTypeHTTPStatus,
			temporal.ApplicationErrorOptions{NextRetryDelay: min(retryAfter, s.MaxRetryAfter)})
	}
	if result != nil {
		outcome = models.DeliveryPending // the workflow ends it as failed when retries run out
	}
	if _, err := s.Store.RecordAttempt(ctx, d.ID, store.AttemptOutcome{Attempt: a, Status: outcome}); err != nil {
		return SendResult{}, fmt.Errorf("record attempt: %w", err)
	}
	// A failed attempt is news; a successful one is in the database and the
	// metrics already, and at full rate a line each costs more than it tells.
	logAttempt := activity.GetLogger(ctx).Debug
	if result != nil {
		logAttempt = activity.GetLogger(ctx).Info
	}
	logAttempt("delivery attempt", "delivery_id", d.ID, "hook_id", h.ID, "event_id", d.EventID,
		"attempt", activity.GetInfo(ctx).Attempt, "status", status, "err", a.Error)
	s.observe(ctx, d, class, started, took)
	if result != nil {
		return SendResult{}, result
	}
	s.Metrics.DeliveryEnded(models.DeliverySucceeded)
	return SendResult{Status: models.DeliverySucceeded, StatusCode: status, Attempt: d.Attempts + 1}, nil
}

// observe records an attempt's metrics. Queue lag is taken on the first
// attempt of a hook's first delivery only: later chunks wait for their
// chunk_delay on purpose, and retries for their backoff.
func (s *Sender) observe(ctx context.Context, d *models.Delivery, class string, started time.Time, took time.Duration) {
	s.Metrics.AttemptMade(class, took)
	if s.Metrics == nil || d.Attempts > 0 || d.Seq > 0 {
		return
	}
	if ev, err := s.Events.load(ctx, s.Store, d.EventPK); err == nil { // cached by render
		s.Metrics.QueueLag(started.Sub(ev.ReceivedAt))
	}
}

// Response bodies are read this far: enough for the excerpt and to reuse the
// connection, never so much that a hostile receiver can exhaust memory.
const maxDrain = 64 << 10

// post sends one request. It returns the status code, an excerpt of the
// response, the Retry-After delay for 429/503, and a transport error.
func (s *Sender) post(ctx context.Context, h *models.Hook, p *payload.Request) (int, string, time.Duration, error) {
	reply, err := payload.Send(ctx, s.Receivers, h, p, maxDrain)
	if errors.Is(err, payload.ErrUnsendable) {
		return 0, "", 0, fmt.Errorf("%w: %w: %w", egress.ErrRefused, egress.ErrInvalidTarget, err)
	}
	if err != nil {
		return 0, "", 0, err
	}
	excerpt := string(reply.Body[:min(len(reply.Body), models.MaxResponseExcerpt)])
	var retryAfter time.Duration
	if reply.StatusCode == http.StatusTooManyRequests || reply.StatusCode == http.StatusServiceUnavailable {
		retryAfter = parseRetryAfter(reply.Header.Get("Retry-After"), s.Now())
	}
	return reply.StatusCode, strings.ToValidUTF8(excerpt, "\uFFFD"), retryAfter, nil
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func notFoundIsFinal(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeNotFound, err)
	}
	return err
}
