package activities

import (
	"context"
	"time"

	"github.com/hookflow/hookflow/internal/store"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// PrunePage is how many rows one retention page deletes: one statement,
// tens of milliseconds long (BenchmarkDeleteExpiredPage), so deliveries writing meanwhile wait for one page at
// most (SQLite has one writer; PostgreSQL locks only the rows deleted).
const PrunePage = 500

// Pruner deletes what is older than the retention (HOOKFLOW_RETENTION).
type Pruner struct {
	Store     pruneStore
	Retention time.Duration
	Now       func() time.Time // injected: tests move the clock
	Page      int              // rows per page; 0 = PrunePage
}

type pruneStore interface {
	DeleteExpiredPage(ctx context.Context, kind store.Expired, cutoff time.Time, limit int) (store.Pruned, error)
}

// PruneInput asks for one retention pass. It has no fields yet: the
// retention is the worker's setting, so a changed HOOKFLOW_RETENTION takes
// effect at the next pass without touching the schedule.
type PruneInput struct{}

// PruneResult is what a retention pass deleted, and before when.
type PruneResult struct {
	Cutoff time.Time
	store.Pruned
}

// DeleteExpired deletes every event (with its deliveries and attempts),
// notification and request bin older than the retention, a page at a time,
// heartbeating between pages. What is in flight is kept (store.ExpiredEvents).
// It is idempotent: a retried pass deletes what the last one left.
func (p *Pruner) DeleteExpired(ctx context.Context, _ PruneInput) (PruneResult, error) {
	if p.Retention <= 0 { // a cutoff of now would delete everything that ended
		return PruneResult{}, temporal.NewNonRetryableApplicationError("no retention set", ErrTypeNoRetention, nil)
	}
	res := PruneResult{Cutoff: p.Now().UTC().Add(-p.Retention)}
	page := p.Page
	if page <= 0 {
		page = PrunePage
	}
	for _, kind := range store.ExpiredKinds {
		for {
			if err := ctx.Err(); err != nil { // the heartbeat timed out or the worker stops
				return res, err
			}
			n, err := p.Store.DeleteExpiredPage(ctx, kind, res.Cutoff, page)
			if err != nil {
				return res, err
			}
			res.Add(n)
			activity.RecordHeartbeat(ctx, res.Pruned)
			if n.Total() == 0 {
				break
			}
		}
	}
	activity.GetLogger(ctx).Info("retention pass", "cutoff", res.Cutoff, "events", res.Events, "deliveries", res.Deliveries,
		"notifications", res.Notifications, "bins", res.Bins, "bin_requests", res.BinRequests)
	return res, nil
}
