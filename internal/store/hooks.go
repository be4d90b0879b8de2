package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/hookflow/hookflow/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// hookPattern is one indexed event pattern of a hook.
type hookPattern struct {
	HookID int64
	Tenant string
	Entity string
	Action string
}

// CreateHook inserts h and indexes its event patterns; h.ID is set. The
// secrets are sealed once the row has its id, which they are bound to.
func (s *Store) CreateHook(ctx context.Context, h *models.Hook) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		h.Sealed = models.SealedSecrets{}
		if err := tx.Create(h).Error; err != nil {
			return fmt.Errorf("insert hook: %w", err)
		}
		if err := s.sealHook(h); err != nil {
			return err
		}
		if err := tx.Model(h).Updates(sealedValues(h.Sealed)).Error; err != nil {
			return fmt.Errorf("seal hook %d: %w", h.ID, err)
		}
		return indexPatterns(tx, h)
	})
}

// editColumns are what a user's edit of a hook writes: its spec (every
// field of models.HookSpec, so a new one is written without being listed
// here), the edit's stamp, and the credentials, sealed, with the expiry of
// a rotated secret. Nothing else the server owns: the failure record the
// deliveries write, the registration, the state (written apart).
var editColumns = append(specFields(), "Updated", "UpdatedBy", "PreviousSecretExpires", "secret", "previous_secret", "receiver_auth")

// specFields names the fields of models.HookSpec.
func specFields() []string {
	var names []string
	for _, f := range reflect.VisibleFields(reflect.TypeFor[models.HookSpec]()) {
		names = append(names, f.Name)
	}
	return names
}

// UpdateHook saves a user's edit of h (editColumns) and re-indexes its
// patterns. from is the state the edit started from: the state is written
// only when the edit changes it, so an edit that races with a failure
// turning the hook off leaves it off. A hook set Active again starts with
// no failures, as activate does. h is reloaded as saved.
func (s *Store) UpdateHook(ctx context.Context, h *models.Hook, from models.HookState) error {
	if err := s.sealHook(h); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(h).Where("tenant = ?", h.Tenant).Select(editColumns).Updates(h)
		if res.Error != nil {
			return fmt.Errorf("update hook %d: %w", h.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if h.State != from {
			if err := tx.Model(&models.Hook{}).Where("id = ?", h.ID).Updates(stateColumns(h.State)).Error; err != nil {
				return fmt.Errorf("update hook %d state: %w", h.ID, err)
			}
		}
		if err := tx.Where("hook_id = ?", h.ID).Delete(&hookPattern{}).Error; err != nil {
			return fmt.Errorf("clear hook patterns: %w", err)
		}
		if err := indexPatterns(tx, h); err != nil {
			return err
		}
		if err := tx.First(h, h.ID).Error; err != nil {
			return err
		}
		return s.openHook(h)
	})
}

func indexPatterns(tx *gorm.DB, h *models.Hook) error {
	var rows []hookPattern
	seen := map[models.Pattern]bool{}
	for _, p := range h.Patterns() {
		if !seen[p] {
			seen[p] = true
			rows = append(rows, hookPattern{HookID: h.ID, Tenant: h.Tenant, Entity: p.Entity, Action: p.Action})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("index hook patterns: %w", err)
	}
	return nil
}

// Hook loads a hook of tenant; tenant "" loads it whatever its tenant
// (workers act for every tenant).
func (s *Store) Hook(ctx context.Context, tenant string, id int64) (*models.Hook, error) {
	q := s.db.WithContext(ctx).Where("id = ?", id)
	if tenant != "" {
		q = q.Where("tenant = ?", tenant)
	}
	var h models.Hook
	if err := q.Take(&h).Error; err != nil {
		return nil, notFound(err, "hook %d", id)
	}
	if err := s.openHook(&h); err != nil {
		return nil, err
	}
	return &h, nil
}

// HookQuery selects a page of hooks.
type HookQuery struct {
	Tenant  string // "" = every tenant
	State   models.HookState
	AfterID int64
	Limit   int
}

// Hooks lists hooks by ascending id.
func (s *Store) Hooks(ctx context.Context, q HookQuery) ([]models.Hook, error) {
	db := s.db.WithContext(ctx).Where("id > ?", q.AfterID).Order("id").Limit(q.Limit)
	if q.Tenant != "" {
		db = db.Where("tenant = ?", q.Tenant)
	}
	if q.State != "" {
		db = db.Where("state = ?", q.State)
	}
	var hs []models.Hook
	if err := db.Find(&hs).Error; err != nil {
		return nil, fmt.Errorf("list hooks: %w", wrapUnavailable(err))
	}
	if err := s.openHooks(hs); err != nil {
		return nil, err
	}
	return hs, nil
}

// DeleteHook removes a hook and its pattern index. Its deliveries stay in the
// log; pending ones end as skipped.
func (s *Store) DeleteHook(ctx context.Context, tenant string, id int64) error {
	res := s.write(ctx).Where("tenant = ?", tenant).Delete(&models.Hook{ID: id})
	if res.Error != nil {
		return fmt.Errorf("delete hook %d: %w", id, wrapUnavailable(res.Error))
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// MatchHooks returns the Active hooks of tenant with a pattern covering the
// event type, registered no later than before, with id > afterID, by id.
// Aliases are more entity names the event answers to (a state-change event's
// "webhook42"). It reads the pattern index, so its cost follows the matches,
// not the number of hooks.
func (s *Store) MatchHooks(ctx context.Context, tenant string, event models.Pattern, aliases []string, before time.Time, afterID int64, limit int) ([]models.Hook, error) {
	return s.matchHooks(ctx, []models.HookState{models.StateActive}, tenant, event, aliases, before, afterID, limit)
}

// MatchHooksToPlan is MatchHooks with the TooManyErrors hooks too: the
// planner records what such a hook misses as skipped deliveries, so recover
// can send them once the hook is Active again. Stopped hooks miss events by
// their owner's choice and are left out.
func (s *Store) MatchHooksToPlan(ctx context.Context, tenant string, event models.Pattern, aliases []string, before time.Time, afterID int64, limit int) ([]models.Hook, error) {
	return s.matchHooks(ctx, []models.HookState{models.StateActive, models.StateTooManyErrors}, tenant, event, aliases, before, afterID, limit)
}

func (s *Store) matchHooks(ctx context.Context, states []models.HookState, tenant string, event models.Pattern, aliases []string, before time.Time, afterID int64, limit int) ([]models.Hook, error) {
	// Drive the query from the pattern index and join the hooks it names.
	// Written as "id IN (subquery) ORDER BY id", SQLite walks every hook of
	// the table in id order and probes the subquery per row: 3× slower at
	// 10,000 hooks than at 10.
	// Every event's plan runs it, so the statement is written out rather
	// than built by GORM per call. The limit is written in, as GORM did:
	// bound as a parameter, it made each plan ~60 µs slower on SQLite
	// (BenchmarkPlanAndSend).
	var hs []models.Hook
	err := s.db.WithContext(ctx).Raw(`SELECT hooks.* FROM (SELECT DISTINCT hook_id FROM hook_patterns
		WHERE tenant = ? AND entity IN ? AND action IN ?) AS matched
		JOIN hooks ON hooks.id = matched.hook_id
		WHERE hooks.state IN ? AND hooks.registered <= ? AND hooks.id > ? ORDER BY hooks.id LIMIT `+strconv.Itoa(limit),
		tenant, append([]string{event.Entity, models.Wildcard}, aliases...), []string{event.Action, models.Wildcard},
		states, before, afterID).Find(&hs).Error
	if err != nil {
		return nil, fmt.Errorf("match hooks: %w", wrapUnavailable(err))
	}
	if err := s.openHooks(hs); err != nil {
		return nil, err
	}
	return hs, nil
}

// SetHookState moves a hook to state, from any state or, when from is
// non-empty, only from that one. It reports whether the row changed, so a
// transition (and its state event) happens once however many ask for it.
func (s *Store) SetHookState(ctx context.Context, id int64, from, to models.HookState, now time.Time) (bool, error) {
	q := s.write(ctx).Model(&models.Hook{}).Where("id = ?", id)
	if from != "" {
		q = q.Where("state = ?", from)
	} else {
		q = q.Where("state <> ?", to)
	}
	updates := stateColumns(to)
	updates["updated"] = now
	res := q.Updates(updates)
	if res.Error != nil {
		return false, fmt.Errorf("set hook %d state: %w", id, wrapUnavailable(res.Error))
	}
	return res.RowsAffected == 1, nil
}

// stateColumns are the columns a user's state change writes: the state,
// and for Active a clean failure record.
func stateColumns(to models.HookState) map[string]any {
	cols := map[string]any{"state": to}
	if to == models.StateActive {
		cols["error_count"], cols["failing_since"] = 0, nil
	}
	return cols
}

// disableHook moves an Active hook to TooManyErrors on behalf of
// transition (the failure that caused it) and reports whether it did. The
// update is conditional, so when many deliveries of the hook fail at once
// exactly one transition wins; asking again for the same transition reports
// true again, so a retried caller still sends the mail it owes.
func disableHook(db *gorm.DB, id int64, transition string, now time.Time) (bool, error) {
	res := db.Model(&models.Hook{}).
		Where("id = ? AND (state = ? OR (state = ? AND disabled_by = ?))", id, models.StateActive, models.StateTooManyErrors, transition).
		Updates(map[string]any{"state": models.StateTooManyErrors, "disabled_by": transition, "updated": now})
	if res.Error != nil {
		return false, fmt.Errorf("disable hook %d: %w", id, wrapUnavailable(res.Error))
	}
	return res.RowsAffected == 1, nil
}

func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return wrapUnavailable(s.write(ctx).Transaction(fn))
}

func notFound(err error, format string, args ...any) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrNotFound)
	}
	return fmt.Errorf("load %s: %w", fmt.Sprintf(format, args...), wrapUnavailable(err))
}

// onConflictDoNothing keeps the first row when an idempotent insert repeats.
var onConflictDoNothing = clause.OnConflict{DoNothing: true}
