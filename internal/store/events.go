package store

import (
	"context"
	"fmt"

	"github.com/hookflow/hookflow/models"
)

// CreateEvent inserts e unless an event with the same tenant and id exists.
// It reports whether e was new; either way e is filled from the stored row,
// so a repeated trigger answers with the first one's ids.
func (s *Store) CreateEvent(ctx context.Context, e *models.Event) (created bool, err error) {
	res := s.write(ctx).Clauses(onConflictDoNothing).Create(e)
	if res.Error != nil {
		return false, fmt.Errorf("insert event: %w", wrapUnavailable(res.Error))
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	stored, err := s.Event(ctx, e.Tenant, e.ID)
	if err != nil {
		return false, err
	}
	*e = *stored
	return false, nil
}

// Event loads an event by tenant and id.
func (s *Store) Event(ctx context.Context, tenant, id string) (*models.Event, error) {
	var e models.Event
	if err := s.db.WithContext(ctx).Where("tenant = ? AND id = ?", tenant, id).Take(&e).Error; err != nil {
		return nil, notFound(err, "event %q", id)
	}
	return &e, nil
}

// EventByPK loads an event by its internal key.
func (s *Store) EventByPK(ctx context.Context, pk int64) (*models.Event, error) {
	var e models.Event
	if err := s.db.WithContext(ctx).Where("pk = ?", pk).Take(&e).Error; err != nil {
		return nil, notFound(err, "event #%d", pk)
	}
	return &e, nil
}
