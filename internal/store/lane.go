package store

import (
	"context"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/models"
)

// A fifo hook's deliveries are sent by its lane, one at a time, in the
// order of their events (docs/architecture.md, "Ordered hooks"). The lane
// keeps no order of its own: the database's open deliveries of the hook,
// sorted by their event's acceptance, are the lane, so a killed worker or
// a second one cannot reorder it.

// MarkPlanned records that an event's plan has written its deliveries: a
// lane no longer waits for it.
func (s *Store) MarkPlanned(ctx context.Context, eventPK int64, now time.Time) error {
	err := s.write(ctx).Exec(`UPDATE events SET planned_at = ? WHERE pk = ? AND planned_at IS NULL`, now, eventPK).Error
	if err != nil {
		return fmt.Errorf("mark event #%d planned: %w", eventPK, wrapUnavailable(err))
	}
	return nil
}

// LaneHead is what a lane sends next.
type LaneHead struct {
	DeliveryID int64
	// WorkflowID is the workflow sending the delivery: the lane's, or an
	// event's or redelivery's that planned it before the hook was fifo.
	WorkflowID string
	// Behind is an older event of the tenant that is not planned yet: it
	// may reach the hook, and then goes first. nil when there is none.
	Behind *UnplannedEvent
}

// UnplannedEvent is an event whose workflow has not planned it yet.
type UnplannedEvent struct {
	PK         int64
	WorkflowID string
}

// LaneHead returns the hook's open delivery whose event was accepted first
// (received time, then event id, then seq), or nil when it has none; only
// the workflow's deliveries when workflowID is not "".
func (s *Store) LaneHead(ctx context.Context, hookID int64, workflowID string) (*LaneHead, error) {
	var rows []struct {
		ID         int64
		WorkflowID string
		EventPK    int64
	}
	err := s.db.WithContext(ctx).Raw(`SELECT d.id, d.workflow_id, d.event_pk
		FROM deliveries d JOIN events e ON e.pk = d.event_pk
		WHERE d.hook_id = ? AND d.status IN ? AND (? = '' OR d.workflow_id = ?)
		ORDER BY e.received_at, e.id, d.seq LIMIT 1`, hookID, models.OpenStatuses, workflowID, workflowID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("lane head of hook %d: %w", hookID, wrapUnavailable(err))
	}
	if len(rows) == 0 {
		return nil, nil
	}
	r := rows[0]
	var older []UnplannedEvent
	err = s.db.WithContext(ctx).Raw(`SELECT o.pk, o.workflow_id FROM events o JOIN events h ON h.pk = ?
		WHERE o.tenant = h.tenant AND o.planned_at IS NULL
		  AND (o.received_at < h.received_at OR (o.received_at = h.received_at AND o.id < h.id)) LIMIT 1`,
		r.EventPK).Scan(&older).Error
	if err != nil {
		return nil, fmt.Errorf("unplanned events before the lane of hook %d: %w", hookID, wrapUnavailable(err))
	}
	head := &LaneHead{DeliveryID: r.ID, WorkflowID: r.WorkflowID}
	if len(older) > 0 {
		head.Behind = &older[0]
	}
	return head, nil
}

// AdoptDelivery hands an open delivery from the workflow from, which ended
// without finishing it (terminated in the Temporal UI, say), to the lane
// workflowID, which sends it. It reports false when the delivery is no
// longer open or no longer from's.
func (s *Store) AdoptDelivery(ctx context.Context, id int64, from, workflowID string, now time.Time) (bool, error) {
	res := s.write(ctx).Model(&models.Delivery{}).
		Where("id = ? AND workflow_id = ? AND status IN ?", id, from, models.OpenStatuses).
		Updates(map[string]any{"workflow_id": workflowID, "updated_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("adopt delivery %d: %w", id, wrapUnavailable(res.Error))
	}
	return res.RowsAffected > 0, nil
}

// SkipLane ends every open delivery the lane workflowID holds for the hook
// as skipped, with reason: the hook is off, and recover sends them again.
func (s *Store) SkipLane(ctx context.Context, hookID int64, workflowID, reason string, now time.Time) (int64, error) {
	res := s.write(ctx).Model(&models.Delivery{}).
		Where("hook_id = ? AND status IN ? AND workflow_id = ?", hookID, models.OpenStatuses, workflowID).
		Updates(map[string]any{"status": models.DeliverySkipped, "last_error": reason, "updated_at": now, "completed_at": now})
	if res.Error != nil {
		return 0, fmt.Errorf("skip the lane of hook %d: %w", hookID, wrapUnavailable(res.Error))
	}
	return res.RowsAffected, nil
}

// ReopenLane makes every failed or skipped delivery of the hook that
// recover takes (recoverable; q.Limit and q.AfterID are ignored) pending again in the lane
// q.WorkflowID, at once: the lane sends them in their events' order, which
// pages by id would not keep. It returns how many it reopened.
func (s *Store) ReopenLane(ctx context.Context, q RecoverQuery, now time.Time) (int64, error) {
	res := recoverable(s.write(ctx).Model(&models.Delivery{}), "", q).Where("status IN ?", resendable).
		Updates(reopened(q.WorkflowID, now))
	if res.Error != nil {
		return 0, fmt.Errorf("reopen the lane of hook %d: %w", q.HookID, wrapUnavailable(res.Error))
	}
	return res.RowsAffected, nil
}
