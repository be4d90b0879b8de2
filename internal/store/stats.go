package store

import (
	"context"
	"fmt"

	"github.com/hookflow/hookflow/models"
)

// CountHooksByState counts every tenant's hooks per state, for the
// hookflow_hooks gauge; states without hooks are absent.
func (s *Store) CountHooksByState(ctx context.Context) (map[models.HookState]int, error) {
	var rows []struct {
		State models.HookState
		N     int
	}
	if err := s.db.WithContext(ctx).Model(&models.Hook{}).Select("state, count(*) AS n").Group("state").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count hooks: %w", wrapUnavailable(err))
	}
	counts := make(map[models.HookState]int, len(rows))
	for _, r := range rows {
		counts[r.State] = r.N
	}
	return counts, nil
}
