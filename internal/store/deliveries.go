package store

import (
	"context"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/models"
	"gorm.io/gorm"
)

// planBatch is the most deliveries one INSERT writes (bind-parameter limits).
const planBatch = 500

// PlanDeliveries inserts the deliveries of one hook for one event, skipping
// any that exist (unique on event, hook and seq), so planning is idempotent.
func (s *Store) PlanDeliveries(ctx context.Context, ds []models.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	insert := func(db *gorm.DB) error { return db.Clauses(onConflictDoNothing).CreateInBatches(ds, planBatch).Error }
	var err error
	if len(ds) > planBatch { // several statements: all or none
		err = s.tx(ctx, insert)
	} else {
		err = insert(s.write(ctx))
	}
	if err != nil {
		return fmt.Errorf("plan deliveries: %w", wrapUnavailable(err))
	}
	return nil
}

// HookDeliveries returns the deliveries of hook for event in seq order,
// limit of them from offset.
func (s *Store) HookDeliveries(ctx context.Context, eventPK, hookID int64, offset, limit int) ([]models.Delivery, error) {
	var ds []models.Delivery
	err := s.db.WithContext(ctx).Where("event_pk = ? AND hook_id = ? AND seq >= ?", eventPK, hookID, offset).
		Order("seq").Limit(limit).Find(&ds).Error
	if err != nil {
		return nil, fmt.Errorf("load deliveries: %w", wrapUnavailable(err))
	}
	return ds, nil
}

// Delivery loads a delivery of tenant ("" = any tenant).
func (s *Store) Delivery(ctx context.Context, tenant string, id int64) (*models.Delivery, error) {
	q := s.db.WithContext(ctx).Where("id = ?", id)
	if tenant != "" {
		q = q.Where("tenant = ?", tenant)
	}
	var d models.Delivery
	if err := q.Take(&d).Error; err != nil {
		return nil, notFound(err, "delivery %d", id)
	}
	return &d, nil
}

// Attempts lists the attempts of a delivery, oldest first.
func (s *Store) Attempts(ctx context.Context, deliveryID int64) ([]models.Attempt, error) {
	var as []models.Attempt
	if err := s.db.WithContext(ctx).Where("delivery_id = ?", deliveryID).Order("number").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("load attempts: %w", wrapUnavailable(err))
	}
	return as, nil
}

// DeliveryQuery selects a page of deliveries, newest first.
type DeliveryQuery struct {
	Tenant   string // "" = every tenant
	HookID   int64
	EventPK  int64
	Status   models.DeliveryStatus
	Since    time.Time // created at or after
	Until    time.Time // created before
	BeforeID int64     // cursor: ids below this one
	Limit    int
}

// Deliveries lists deliveries by descending id.
func (s *Store) Deliveries(ctx context.Context, q DeliveryQuery) ([]models.Delivery, error) {
	db := newestFirst(s.db.WithContext(ctx), q.Tenant, q.HookID, q.BeforeID, q.Limit)
	if q.EventPK != 0 {
		db = db.Where("event_pk = ?", q.EventPK)
	}
	if q.Status != "" {
		db = db.Where("status = ?", q.Status)
	}
	if !q.Since.IsZero() {
		db = db.Where("created_at >= ?", q.Since)
	}
	if !q.Until.IsZero() {
		db = db.Where("created_at < ?", q.Until)
	}
	var ds []models.Delivery
	if err := db.Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("list deliveries: %w", wrapUnavailable(err))
	}
	return ds, nil
}

// AttemptOutcome is what one try of a delivery came to.
type AttemptOutcome struct {
	Attempt models.Attempt        // Number is assigned here
	Status  models.DeliveryStatus // pending while retries remain
}

// RecordAttempt stores one try, advances the delivery and keeps the hook's
// failure count: reset by a success, raised (with failing_since) by a failure.
// It returns the delivery as updated. Every delivery attempt runs it, so
// its statements are written out rather than built by GORM per call.
func (s *Store) RecordAttempt(ctx context.Context, deliveryID int64, o AttemptOutcome) (*models.Delivery, error) {
	var d models.Delivery
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// One statement counts the attempt and reads the delivery back
		// (RETURNING), rather than a read before the write.
		now := o.Attempt.StartedAt
		var completedAt *time.Time
		if !o.Status.Open() {
			completedAt = &now
		}
		res := tx.Raw(`UPDATE deliveries SET attempts = attempts + 1, last_status_code = ?, last_error = ?, status = ?,
			updated_at = ?, completed_at = ? WHERE id = ? RETURNING *`,
			o.Attempt.StatusCode, o.Attempt.Error, o.Status, now, completedAt, deliveryID).Find(&d)
		if res.Error != nil {
			return fmt.Errorf("update delivery: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("delivery %d: %w", deliveryID, ErrNotFound)
		}
		a := o.Attempt
		err := tx.Exec(`INSERT INTO attempts (delivery_id, number, started_at, status_code, latency_ms, error, response_excerpt)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, deliveryID, d.Attempts, a.StartedAt, a.StatusCode, a.LatencyMS, a.Error, a.ResponseExcerpt).Error
		if err != nil {
			return fmt.Errorf("insert attempt: %w", err)
		}
		if o.Status == models.DeliverySucceeded {
			// Only a hook that was failing is written: a healthy hook's row is
			// not rewritten (nor locked, on PostgreSQL) by every delivery.
			return tx.Exec(`UPDATE hooks SET error_count = 0, failing_since = NULL
				WHERE id = ? AND (error_count <> 0 OR failing_since IS NOT NULL)`, d.HookID).Error
		}
		return tx.Exec(`UPDATE hooks SET error_count = error_count + 1, failing_since = COALESCE(failing_since, ?), last_error = ?
			WHERE id = ?`, now, a.Error, d.HookID).Error
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// FinishDelivery ends a pending delivery as status with a reason (skipped
// because the hook is off, or failed once retries ran out). A delivery that
// already ended keeps its status.
func (s *Store) FinishDelivery(ctx context.Context, id int64, status models.DeliveryStatus, reason string, now time.Time) error {
	return finishDelivery(s.write(ctx), id, status, reason, now)
}

func finishDelivery(db *gorm.DB, id int64, status models.DeliveryStatus, reason string, now time.Time) error {
	err := db.Model(&models.Delivery{}).
		Where("id = ? AND status IN ?", id, models.OpenStatuses).
		Updates(map[string]any{"status": status, "last_error": reason, "updated_at": now, "completed_at": now}).Error
	if err != nil {
		return fmt.Errorf("finish delivery %d: %w", id, wrapUnavailable(err))
	}
	return nil
}

// FailDelivery marks a delivery failed for good and, in the same
// transaction, moves its hook to TooManyErrors on behalf of transition,
// reporting whether this transition did (see disableHook): no reader sees
// the failure that turned a hook off with the hook still Active.
func (s *Store) FailDelivery(ctx context.Context, id, hookID int64, reason, transition string, now time.Time) (disabled bool, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := finishDelivery(tx, id, models.DeliveryFailed, reason, now); err != nil {
			return err
		}
		disabled, err = disableHook(tx, hookID, transition, now)
		return err
	})
	return disabled, err
}

// reopened are the columns of a delivery sent again by workflowID: pending
// once more, its attempts and their numbering kept.
func reopened(workflowID string, now time.Time) map[string]any {
	return map[string]any{"status": models.DeliveryPending, "redeliveries": gorm.Expr("redeliveries + 1"),
		"workflow_id": workflowID, "updated_at": now, "completed_at": nil}
}

// ReopenDelivery makes an ended delivery pending again as its redelivery
// number gen (one more than the Redeliveries its caller read), sent by
// workflowID. It reports false when the delivery is pending or another
// redelivery got there first. Asked again by the same workflow before
// anything was sent, it reports true, so a retried activity goes on.
func (s *Store) ReopenDelivery(ctx context.Context, id int64, gen int, workflowID string, now time.Time) (bool, error) {
	res := s.write(ctx).Model(&models.Delivery{}).
		Where("id = ? AND status NOT IN ? AND redeliveries = ?", id, models.OpenStatuses, gen-1).Updates(reopened(workflowID, now))
	if res.Error != nil {
		return false, fmt.Errorf("reopen delivery %d: %w", id, wrapUnavailable(res.Error))
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	var ours int64
	err := s.write(ctx).Model(&models.Delivery{}).
		Where("id = ? AND status IN ? AND redeliveries = ? AND workflow_id = ?", id, models.OpenStatuses, gen, workflowID).Count(&ours).Error
	if err != nil {
		return false, fmt.Errorf("reopen delivery %d: %w", id, wrapUnavailable(err))
	}
	return ours == 1, nil
}

// RecoverQuery selects a page of the deliveries a recover run sends again.
type RecoverQuery struct {
	HookID     int64
	Since      time.Time // created, or ended, at or after
	AfterID    int64     // the page starts after this delivery, in recover order
	Limit      int
	WorkflowID string // the recover run
}

// resendable are the statuses recover sends again.
var resendable = []models.DeliveryStatus{models.DeliveryFailed, models.DeliverySkipped}

// recoverable narrows db to the deliveries of q's hook that recover takes,
// whatever their status, with column names prefixed by t ("d." or ""):
// those created or ended since q.Since — ended since, too, as the delivery
// whose failures turned the hook off was created before its first failed
// attempt, the time the TooManyErrors mail offers as since — and not a
// plan that failed (count 0, the hook's filter), which has no request.
func recoverable(db *gorm.DB, t string, q RecoverQuery) *gorm.DB {
	return db.Where(t+"hook_id = ? AND ("+t+"created_at >= ? OR "+t+"completed_at >= ?) AND "+t+"count > 0", q.HookID, q.Since, q.Since)
}

// recoverOrder is the order recover sends a hook's deliveries in: the
// order their events were accepted (received time, then the event's pk,
// which the database hands out on acceptance), then each event's chunks in
// seq order. Delivery ids alone would follow the order events were
// planned, which concurrent workflows do not keep.
const recoverOrder = "e.received_at, e.pk, d.seq, d.id"

// ReopenFailed makes the next page of a hook's failed and skipped deliveries
// pending again for the recover run q.WorkflowID and returns their ids, in
// recover order (recoverOrder). Deliveries this run reopened on an earlier
// try of the same page come back too, so a retried activity loses none.
// The cursor is the delivery q.AfterID itself: were it deleted meanwhile
// (retention, past HOOKFLOW_RETENTION) the page is empty and the run ends,
// so recover from a time within the retention.
func (s *Store) ReopenFailed(ctx context.Context, q RecoverQuery, now time.Time) ([]int64, error) {
	var ids []int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		page := recoverable(tx.Table("deliveries AS d").Joins("JOIN events AS e ON e.pk = d.event_pk"), "d.", q).
			Where("d.status IN ? OR (d.status IN ? AND d.workflow_id = ?)", resendable, models.OpenStatuses, q.WorkflowID)
		if q.AfterID != 0 {
			page = page.Where("("+recoverOrder+") > (SELECT e.received_at, e.pk, d.seq, d.id FROM deliveries AS d "+
				"JOIN events AS e ON e.pk = d.event_pk WHERE d.id = ?)", q.AfterID)
		}
		if err := page.Order(recoverOrder).Limit(q.Limit).Pluck("d.id", &ids).Error; err != nil || len(ids) == 0 {
			return err
		}
		return tx.Model(&models.Delivery{}).Where("id IN ? AND status NOT IN ?", ids, models.OpenStatuses).
			Updates(reopened(q.WorkflowID, now)).Error
	})
	if err != nil {
		return nil, fmt.Errorf("reopen failed deliveries of hook %d: %w", q.HookID, err)
	}
	return ids, nil
}
