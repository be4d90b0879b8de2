package store

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hookflow/hookflow/models"
	"gorm.io/gorm"
)

// binIDEncoding spells bin ids in lower-case base32: safe in a URL path and
// easy to read aloud.
var binIDEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newBinID returns 160 random bits as 32 characters. The id is the only
// credential of a bin's capture and view URLs, so it must be unguessable.
func newBinID() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return strings.ToLower(binIDEncoding.EncodeToString(b))
}

// CreateBin inserts b under a fresh random id; b.ID is set.
func (s *Store) CreateBin(ctx context.Context, b *models.Bin) error {
	b.ID = newBinID()
	if err := s.write(ctx).Create(b).Error; err != nil {
		return fmt.Errorf("insert bin: %w", wrapUnavailable(err))
	}
	return nil
}

// Bin loads a bin that has not expired at now: of tenant, or whatever its
// tenant when tenant is "" (the capture and view URLs, where the id is the credential).
func (s *Store) Bin(ctx context.Context, tenant, id string, now time.Time) (*models.Bin, error) {
	q := s.db.WithContext(ctx).Where("id = ? AND expires_at > ?", id, now)
	if tenant != "" {
		q = q.Where("tenant = ?", tenant)
	}
	var b models.Bin
	if err := q.Take(&b).Error; err != nil {
		return nil, notFound(err, "bin %s", id)
	}
	return &b, nil
}

// DeleteBin removes a bin of tenant and every request it captured.
func (s *Store) DeleteBin(ctx context.Context, tenant, id string) error {
	res := s.write(ctx).Where("tenant = ?", tenant).Delete(&models.Bin{ID: id})
	if res.Error != nil {
		return fmt.Errorf("delete bin: %w", wrapUnavailable(res.Error))
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// PurgeBins deletes the bins expired at now, with their requests, and
// reports how many. Expired bins are already invisible; this frees the space.
func (s *Store) PurgeBins(ctx context.Context, now time.Time) (int64, error) {
	res := s.write(ctx).Where("expires_at <= ?", now).Delete(&models.Bin{})
	if res.Error != nil {
		return 0, fmt.Errorf("purge bins: %w", wrapUnavailable(res.Error))
	}
	return res.RowsAffected, nil
}

// CaptureRequest stores r and drops its bin's oldest requests beyond the
// newest keep. A bin deleted meanwhile is ErrNotFound.
func (s *Store) CaptureRequest(ctx context.Context, r *models.BinRequest, keep int) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(r).Error; err != nil {
			return err
		}
		// The id of the newest request past the limit, if there is one; NULL
		// otherwise, and "id <= NULL" deletes nothing.
		cut := s.db.Model(&models.BinRequest{}).Select("id").Where("bin_id = ?", r.BinID).Order("id DESC").Offset(keep).Limit(1)
		return tx.Where("bin_id = ? AND id <= (?)", r.BinID, cut).Delete(&models.BinRequest{}).Error
	})
	if errors.Is(err, gorm.ErrForeignKeyViolated) {
		return fmt.Errorf("bin %s: %w", r.BinID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("capture request: %w", err)
	}
	return nil
}

// BinRequestQuery selects a page of a bin's requests, newest first.
type BinRequestQuery struct {
	BinID    string
	BeforeID int64 // 0: from the newest
	AfterID  int64 // only requests newer than this one (live views poll with it)
	Limit    int
}

// BinRequests lists a bin's requests, newest first.
func (s *Store) BinRequests(ctx context.Context, q BinRequestQuery) ([]models.BinRequest, error) {
	var rs []models.BinRequest
	if err := s.binRequests(ctx, q).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("list bin requests: %w", wrapUnavailable(err))
	}
	return rs, nil
}

// BinRequestSize is a captured request's id and stored bytes.
type BinRequestSize struct {
	ID   int64
	Size int64
}

// BinRequestSizes lists the ids and stored sizes (body, headers, path and
// query) of the requests BinRequests would list, without reading them, so a
// page can be cut to a byte budget before any body is loaded.
func (s *Store) BinRequestSizes(ctx context.Context, q BinRequestQuery) ([]BinRequestSize, error) {
	var out []BinRequestSize
	err := s.binRequests(ctx, q).Model(&models.BinRequest{}).
		Select("id, octet_length(body) + octet_length(headers) + octet_length(path) + octet_length(query) AS size").
		Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("size bin requests: %w", wrapUnavailable(err))
	}
	return out, nil
}

func (s *Store) binRequests(ctx context.Context, q BinRequestQuery) *gorm.DB {
	db := s.db.WithContext(ctx).Where("bin_id = ? AND id > ?", q.BinID, q.AfterID).Order("id DESC").Limit(q.Limit)
	if q.BeforeID > 0 {
		db = db.Where("id < ?", q.BeforeID)
	}
	return db
}

// CountBinRequests counts the requests a bin holds.
func (s *Store) CountBinRequests(ctx context.Context, binID string) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&models.BinRequest{}).Where("bin_id = ?", binID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count bin requests: %w", wrapUnavailable(err))
	}
	return n, nil
}
