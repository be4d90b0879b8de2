package store

import (
	"context"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/models"
)

// CreateNotification stores n unless a notification with its key exists, and
// returns the stored one: a retried sender finds the row (and whether it was
// sent) instead of making a second.
func (s *Store) CreateNotification(ctx context.Context, n *models.Notification) (*models.Notification, error) {
	if err := s.db.WithContext(ctx).Clauses(onConflictDoNothing).Create(n).Error; err != nil {
		return nil, fmt.Errorf("insert notification: %w", wrapUnavailable(err))
	}
	var stored models.Notification
	if err := s.db.WithContext(ctx).Where("key = ?", n.Key).Take(&stored).Error; err != nil {
		return nil, notFound(err, "notification %q", n.Key)
	}
	return &stored, nil
}

// MarkNotification records how sending went: sentAt when the mail server
// took it, else the error.
func (s *Store) MarkNotification(ctx context.Context, id int64, sentAt *time.Time, errMsg string) error {
	err := s.db.WithContext(ctx).Model(&models.Notification{}).Where("id = ?", id).
		Updates(map[string]any{"sent_at": sentAt, "error": errMsg}).Error
	if err != nil {
		return fmt.Errorf("mark notification %d: %w", id, wrapUnavailable(err))
	}
	return nil
}

// NotificationQuery selects a page of notifications, newest first.
type NotificationQuery struct {
	Tenant   string // "" = every tenant
	HookID   int64
	BeforeID int64 // cursor: ids below this one
	Limit    int
}

// Notifications lists notifications by descending id.
func (s *Store) Notifications(ctx context.Context, q NotificationQuery) ([]models.Notification, error) {
	db := s.db.WithContext(ctx).Order("id DESC").Limit(q.Limit)
	if q.Tenant != "" {
		db = db.Where("tenant = ?", q.Tenant)
	}
	if q.HookID != 0 {
		db = db.Where("hook_id = ?", q.HookID)
	}
	if q.BeforeID != 0 {
		db = db.Where("id < ?", q.BeforeID)
	}
	var ns []models.Notification
	if err := db.Find(&ns).Error; err != nil {
		return nil, fmt.Errorf("list notifications: %w", wrapUnavailable(err))
	}
	return ns, nil
}
