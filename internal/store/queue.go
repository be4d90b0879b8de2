package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/hookflow/hookflow/models"
	"gorm.io/gorm/clause"
)

// queueRow is an event whose workflow has not started yet (durable
// admission, docs/architecture.md). Dispatchers take rows in turn order,
// and delete a row once its event's workflow has started.
type queueRow struct {
	EventPK      int64 `gorm:"column:event_pk;primaryKey"`
	Tenant       string
	Turn         int64
	QueuedAt     time.Time
	ClaimedUntil *time.Time
}

func (queueRow) TableName() string { return "event_queue" }

// queuedColumns are what starting an event's workflow needs: all but the body.
var queuedColumns = []string{"pk", "id", "tenant", "type", "occurred_at", "received_at", "actor",
	"custom_entity", "skip_key", "record_count", "workflow_id", "about_hook_id"}

// ClaimEvents leases up to limit queued events until until, in turn order,
// skipping rows another dispatcher holds (on PostgreSQL rows it is claiming
// right now too: FOR UPDATE SKIP LOCKED). A claim whose lease ran out (its
// dispatcher died) is claimable again. The events come without their body.
// The limit is written into the statement: bound as a parameter, SQLite
// prepared the statement anew at every claim (a sixth of a claim's CPU,
// BenchmarkClaimEvents); so each limit is a statement of its own to the
// connections' statement caches, and callers keep to a few.
func (s *Store) ClaimEvents(ctx context.Context, limit int, now, until time.Time) ([]models.Event, error) {
	if limit < 1 {
		return nil, nil
	}
	lock := ""
	if s.dialect == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var claimed []queueRow
	err := s.write(ctx).Raw(`UPDATE event_queue SET claimed_until = ? WHERE event_pk IN (
		SELECT event_pk FROM event_queue WHERE claimed_until IS NULL OR claimed_until < ?
		ORDER BY turn, event_pk LIMIT `+strconv.Itoa(limit)+lock+`) RETURNING event_pk, turn`, until, now).Find(&claimed).Error
	if err != nil {
		return nil, fmt.Errorf("claim queued events: %w", wrapUnavailable(err))
	}
	if len(claimed) == 0 {
		return nil, nil
	}
	slices.SortFunc(claimed, func(a, b queueRow) int {
		return cmp.Or(cmp.Compare(a.Turn, b.Turn), cmp.Compare(a.EventPK, b.EventPK))
	})
	pks := make([]int64, len(claimed))
	for i, c := range claimed {
		pks[i] = c.EventPK
	}
	var evs []models.Event
	if err := s.db.WithContext(ctx).Select(queuedColumns).Where(s.in("pk", pks)).Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("load claimed events: %w", wrapUnavailable(err))
	}
	order := make(map[int64]int, len(pks))
	for i, pk := range pks {
		order[pk] = i
	}
	slices.SortFunc(evs, func(a, b models.Event) int { return cmp.Compare(order[a.PK], order[b.PK]) })
	return evs, nil
}

// ReleaseEvents hands claimed events back to the queue, claimable again at
// retryAt: their start failed and will be tried again.
func (s *Store) ReleaseEvents(ctx context.Context, pks []int64, retryAt time.Time) error {
	if err := s.write(ctx).Model(&queueRow{}).Where(s.in("event_pk", pks)).Update("claimed_until", retryAt).Error; err != nil {
		return fmt.Errorf("release queued events: %w", wrapUnavailable(err))
	}
	return nil
}

// DequeueEvents removes events whose workflows have started from the queue.
func (s *Store) DequeueEvents(ctx context.Context, pks []int64) error {
	if err := s.write(ctx).Where(s.in("event_pk", pks)).Delete(&queueRow{}).Error; err != nil {
		return fmt.Errorf("dequeue events: %w", wrapUnavailable(err))
	}
	return nil
}

// EventQueued reports whether an event still waits for its workflow to start.
func (s *Store) EventQueued(ctx context.Context, pk int64) (bool, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&queueRow{}).Where("event_pk = ?", pk).Count(&n).Error; err != nil {
		return false, fmt.Errorf("read event queue: %w", wrapUnavailable(err))
	}
	return n > 0, nil
}

// QueueStats counts the events waiting for their workflow to start and
// tells when the oldest was admitted (zero when none waits): the lowest key,
// as keys grow with admission.
func (s *Store) QueueStats(ctx context.Context) (queued int64, oldest time.Time, err error) {
	db := s.db.WithContext(ctx)
	if err := db.Model(&queueRow{}).Count(&queued).Error; err != nil {
		return 0, time.Time{}, fmt.Errorf("count event queue: %w", wrapUnavailable(err))
	}
	var head []queueRow
	if err := db.Order("event_pk").Limit(1).Find(&head).Error; err != nil {
		return 0, time.Time{}, fmt.Errorf("read event queue: %w", wrapUnavailable(err))
	}
	if len(head) > 0 {
		oldest = head[0].QueuedAt
	}
	return queued, oldest, nil
}

// in is the condition "column IN pks". On SQLite its text is the same
// whatever the number of pks (they go as one JSON array), so the statement
// a connection prepared for one claim serves the next (stmtcache); an IN
// list's text changes with its length. pgx caches PostgreSQL's either way.
func (s *Store) in(column string, pks []int64) clause.Expression {
	if s.dialect != "sqlite" {
		return clause.Expr{SQL: "? IN ?", Vars: []any{clause.Column{Name: column}, pks}}
	}
	return clause.Expr{SQL: "? IN (SELECT value FROM json_each(?))", Vars: []any{clause.Column{Name: column}, models.JSON[[]int64]{V: pks}}}
}
