package store

import (
	"context"
	"fmt"

	"github.com/hookflow/hookflow/models"
	"gorm.io/gorm"
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

// CreateEvents stores a batch of events in one transaction, each unless an
// event with its tenant and id exists (then it is filled from the stored row,
// as CreateEvent does). It reports, per event, whether it was new.
func (s *Store) CreateEvents(ctx context.Context, es []*models.Event) ([]bool, error) {
	created := make([]bool, len(es))
	err := s.tx(ctx, func(tx *gorm.DB) error {
		for i, e := range es {
			res := tx.Clauses(onConflictDoNothing).Create(e)
			if res.Error != nil {
				return fmt.Errorf("insert event %q: %w", e.ID, res.Error)
			}
			if created[i] = res.RowsAffected == 1; created[i] {
				continue
			}
			var stored models.Event
			if err := tx.Where("tenant = ? AND id = ?", e.Tenant, e.ID).Take(&stored).Error; err != nil {
				return fmt.Errorf("load event %q: %w", e.ID, err)
			}
			*e = stored
		}
		return nil
	})
	return created, err
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
