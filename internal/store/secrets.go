package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hookflow/hookflow/internal/seal"
	"github.com/hookflow/hookflow/models"
	"gorm.io/gorm"
)

// A hook's secrets — its signing secret, the previous one during a rotation,
// its receiver credentials — are sealed (internal/seal) before any write and
// opened after every read. Each sealed value is bound to its hook id and
// column, so a value copied into another row does not open.

// sealedColumns are the columns of hooks that hold sealed values.
var sealedColumns = []string{"secret", "previous_secret", "receiver_auth"}

// sealedValues are the sealed columns' values, for an update; a map writes
// empty strings too, which a struct update would skip.
func sealedValues(v models.SealedSecrets) map[string]any {
	return map[string]any{"secret": v.Secret, "previous_secret": v.PreviousSecret, "receiver_auth": v.ReceiverAuth}
}

func aad(hookID int64, column string) string {
	return "hooks/" + strconv.FormatInt(hookID, 10) + "/" + column
}

// sealHook sets h.Sealed from h's secrets under the newest key; h.ID must be set.
func (s *Store) sealHook(h *models.Hook) error {
	auth := ""
	if h.ReceiverAuth != nil {
		b, err := json.Marshal(h.ReceiverAuth)
		if err != nil {
			return fmt.Errorf("encode receiver_auth of hook %d: %w", h.ID, err)
		}
		auth = string(b)
	}
	h.Sealed = models.SealedSecrets{
		Secret:         s.seal(h.Secret, h.ID, "secret"),
		PreviousSecret: s.seal(h.PreviousSecret, h.ID, "previous_secret"),
		ReceiverAuth:   s.seal(auth, h.ID, "receiver_auth"),
	}
	return nil
}

// seal seals v; an empty value stays empty (there is nothing to hide).
func (s *Store) seal(v string, hookID int64, column string) string {
	if v == "" {
		return ""
	}
	return s.keys.Seal(v, aad(hookID, column))
}

// openHook sets h's secrets from h.Sealed.
func (s *Store) openHook(h *models.Hook) error {
	var auth string
	var err error
	if h.Secret, err = s.open(h.Sealed.Secret, h.ID, "secret"); err == nil {
		if h.PreviousSecret, err = s.open(h.Sealed.PreviousSecret, h.ID, "previous_secret"); err == nil {
			auth, err = s.open(h.Sealed.ReceiverAuth, h.ID, "receiver_auth")
		}
	}
	if err != nil {
		return err
	}
	h.ReceiverAuth = nil
	if auth != "" {
		h.ReceiverAuth = &models.ReceiverAuth{}
		if err := json.Unmarshal([]byte(auth), h.ReceiverAuth); err != nil {
			return fmt.Errorf("decode receiver_auth of hook %d: %w", h.ID, err)
		}
	}
	return nil
}

// open opens a sealed column. A value that is not sealed was written before
// encryption at rest (or by an older hookflow during an upgrade): it is read
// as it is, and sealed by the next SealPlaintext or Reseal.
func (s *Store) open(v string, hookID int64, column string) (string, error) {
	if !seal.Sealed(v) {
		return v, nil
	}
	plain, err := s.keys.Open(v, aad(hookID, column))
	if err != nil {
		return "", fmt.Errorf("open %s of hook %d: %w", column, hookID, err)
	}
	return plain, nil
}

func (s *Store) openHooks(hs []models.Hook) error {
	for i := range hs {
		if err := s.openHook(&hs[i]); err != nil {
			return err
		}
	}
	return nil
}

// ErrKeyMissing means hooks are sealed with a key HOOKFLOW_ENCRYPTION_KEYS
// no longer holds.
var ErrKeyMissing = errors.New("hooks are sealed with a key that HOOKFLOW_ENCRYPTION_KEYS does not hold")

// CheckKeys fails, naming the key ids, when a hook holds a value sealed
// with a key the keyring lacks: every process checks at start, so a key
// dropped too early stops it with one clear line instead of failing
// deliveries one by one.
func (s *Store) CheckKeys(ctx context.Context) error {
	ids, err := s.sealingKeys(ctx)
	if err != nil {
		return err
	}
	var missing []string
	for _, id := range ids {
		if !s.keys.Has(id) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w (key id %s; this list holds %s): put the key back, newest first, and drop it only after `hookflow secrets rotate-key`",
			ErrKeyMissing, strings.Join(missing, ", "), strings.Join(s.keys.IDs(), ", "))
	}
	return nil
}

// sealingKeys returns the ids of the keys the hooks' values are sealed with.
func (s *Store) sealingKeys(ctx context.Context) ([]string, error) {
	var ids []string
	for _, col := range sealedColumns {
		var got []string
		// substr counts from 1 in SQLite and PostgreSQL alike; the key id follows the prefix.
		q := "SELECT DISTINCT substr(" + col + ", ?, 8) FROM hooks WHERE substr(" + col + ", 1, ?) = ?"
		if err := s.db.WithContext(ctx).Raw(q, len(seal.Prefix)+1, len(seal.Prefix), seal.Prefix).Scan(&got).Error; err != nil {
			return nil, fmt.Errorf("read sealing keys: %w", wrapUnavailable(err))
		}
		for _, id := range got {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// ResealPage is how many hooks SealPlaintext and Reseal read and rewrite at a time.
const ResealPage = 500

// ResealResult counts what a sealing pass did.
type ResealResult struct {
	Sealed  int // hooks rewritten under the newest key
	Skipped int // hooks changed by someone else during the pass, left as they were saved
	Left    int // hooks still holding a value not sealed with the newest key after the pass
}

// SealPlaintext seals the secrets of hooks that hold them in clear: rows
// written before encryption at rest existed. hookflow migrate runs it after
// the schema migrations, so an upgrade encrypts existing secrets; running it
// again finds nothing to do.
func (s *Store) SealPlaintext(ctx context.Context) (ResealResult, error) {
	return s.reseal(ctx, func(col string) (string, []any) {
		return "(" + col + " <> '' AND substr(" + col + ", 1, ?) <> ?)", []any{len(seal.Prefix), seal.Prefix}
	})
}

// Reseal rewrites, a page at a time, every hook holding a value that is not
// sealed with the newest key (sealed with an older key, or in clear): the
// second step of a key rotation (hookflow secrets rotate-key).
func (s *Store) Reseal(ctx context.Context) (ResealResult, error) {
	current := seal.Prefix + s.keys.CurrentID() + ":"
	return s.reseal(ctx, func(col string) (string, []any) {
		return "(" + col + " <> '' AND substr(" + col + ", 1, ?) <> ?)", []any{len(current), current}
	})
}

// reseal rewrites the hooks where stale(column) holds for some sealed
// column. Each row is updated only if it is still as read, so an edit made
// meanwhile (already sealed by its writer) is never overwritten.
func (s *Store) reseal(ctx context.Context, stale func(col string) (string, []any)) (ResealResult, error) {
	var conds []string
	var args []any
	for _, col := range sealedColumns {
		c, a := stale(col)
		conds, args = append(conds, c), append(args, a...)
	}
	where := strings.Join(conds, " OR ")
	var res ResealResult
	for after := int64(0); ; {
		var page []models.Hook
		err := s.db.WithContext(ctx).Where("id > ?", after).Where(where, args...).Order("id").Limit(ResealPage).Find(&page).Error
		if err != nil {
			return res, fmt.Errorf("read hooks to seal: %w", wrapUnavailable(err))
		}
		if len(page) == 0 {
			break
		}
		err = s.tx(ctx, func(tx *gorm.DB) error {
			for i := range page {
				h := &page[i]
				was := h.Sealed
				if err := s.openHook(h); err != nil {
					return err
				}
				if err := s.sealHook(h); err != nil {
					return err
				}
				r := tx.Model(&models.Hook{}).Where("id = ? AND secret = ? AND previous_secret = ? AND receiver_auth = ?",
					h.ID, was.Secret, was.PreviousSecret, was.ReceiverAuth).
					Updates(sealedValues(h.Sealed))
				if r.Error != nil {
					return fmt.Errorf("seal hook %d: %w", h.ID, r.Error)
				}
				if r.RowsAffected == 1 {
					res.Sealed++
				} else {
					res.Skipped++
				}
			}
			return nil
		})
		if err != nil {
			return res, err
		}
		after = page[len(page)-1].ID
	}
	var left int64
	if err := s.db.WithContext(ctx).Model(&models.Hook{}).Where(where, args...).Count(&left).Error; err != nil {
		return res, fmt.Errorf("count hooks left to seal: %w", wrapUnavailable(err))
	}
	res.Left = int(left)
	return res, nil
}
