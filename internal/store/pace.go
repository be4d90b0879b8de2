package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/models"
)

// A rate-limited hook's pace lives in one row of hook_pace, shared by every
// worker (docs/architecture.md, "Rate limits"). Times are Unix
// microseconds: the same integer arithmetic on PostgreSQL and SQLite.

// ReserveSlot hands out the next send time of a hook whose requests are
// interval apart: max(now, the last one handed out + interval, the gate), in one
// atomic statement, so workers reserving at once get distinct slots. When
// the slot is later than now the delivery shows as throttled until it is
// sent.
func (s *Store) ReserveSlot(ctx context.Context, hookID, deliveryID int64, now time.Time, interval time.Duration) (time.Time, error) {
	var next int64
	n, iv := now.UnixMicro(), interval.Microseconds()
	greatest := "MAX" // SQLite's scalar max
	if s.dialect == "postgres" {
		greatest = "GREATEST"
	}
	// Never before the gate either: a slot the gate would refuse is wasted.
	err := s.write(ctx).Raw(`INSERT INTO hook_pace (hook_id, slot_at, gate_at) VALUES (?, ?, 0)
		ON CONFLICT (hook_id) DO UPDATE SET slot_at = `+greatest+`(hook_pace.slot_at, hook_pace.gate_at, ?) + ?
		RETURNING slot_at`, hookID, n+iv, n, iv).Scan(&next).Error
	if err != nil {
		return time.Time{}, fmt.Errorf("reserve a slot of hook %d: %w", hookID, wrapUnavailable(err))
	}
	slot := time.UnixMicro(next - iv).UTC()
	if slot.After(now) {
		err := s.write(ctx).Model(&models.Delivery{}).Where("id = ? AND status = ?", deliveryID, models.DeliveryPending).
			Updates(map[string]any{"status": models.DeliveryThrottled, "updated_at": now}).Error
		if err != nil {
			return time.Time{}, fmt.Errorf("mark delivery %d throttled: %w", deliveryID, wrapUnavailable(err))
		}
	}
	return slot, nil
}

// ClaimSend is the gate a rate-limited hook's request passes just before it
// starts: it opens when the previous request started at least interval ago
// (and no Retry-After holds the hook), and closes again for interval. A
// request late for its slot thus never starts closer than interval to the
// next one. When the gate is shut it reports when it opens.
func (s *Store) ClaimSend(ctx context.Context, hookID int64, now time.Time, interval time.Duration) (bool, time.Time, error) {
	n := now.UnixMicro()
	res := s.write(ctx).Exec(`INSERT INTO hook_pace (hook_id, slot_at, gate_at) VALUES (?, 0, ?)
		ON CONFLICT (hook_id) DO UPDATE SET gate_at = ? WHERE hook_pace.gate_at <= ?`,
		hookID, n+interval.Microseconds(), n+interval.Microseconds(), n)
	if res.Error != nil {
		return false, time.Time{}, fmt.Errorf("claim a send of hook %d: %w", hookID, wrapUnavailable(res.Error))
	}
	if res.RowsAffected == 1 {
		return true, now, nil
	}
	var gate []int64
	if err := s.db.WithContext(ctx).Raw(`SELECT gate_at FROM hook_pace WHERE hook_id = ?`, hookID).Scan(&gate).Error; err != nil {
		return false, time.Time{}, fmt.Errorf("read the pace of hook %d: %w", hookID, wrapUnavailable(err))
	}
	if len(gate) == 0 {
		return false, time.Time{}, errors.New("hook_pace row vanished") // the hook was deleted meanwhile
	}
	return false, time.UnixMicro(gate[0]).UTC(), nil
}

// HoldPace keeps every request to a hook from starting before until (a
// receiver's Retry-After on a 429): slots handed out later start after it,
// and the gate stays shut until then for slots handed out before.
func (s *Store) HoldPace(ctx context.Context, hookID int64, until time.Time) error {
	u := until.UnixMicro()
	err := s.write(ctx).Exec(`INSERT INTO hook_pace (hook_id, slot_at, gate_at) VALUES (?, ?, ?)
		ON CONFLICT (hook_id) DO UPDATE SET
		  slot_at = CASE WHEN hook_pace.slot_at > ? THEN hook_pace.slot_at ELSE ? END,
		  gate_at = CASE WHEN hook_pace.gate_at > ? THEN hook_pace.gate_at ELSE ? END`,
		hookID, u, u, u, u, u, u).Error
	if err != nil {
		return fmt.Errorf("hold the pace of hook %d: %w", hookID, wrapUnavailable(err))
	}
	return nil
}
