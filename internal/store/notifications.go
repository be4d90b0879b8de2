package store

import (
	"context"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/models"
	"gorm.io/gorm"
)

// CreateNotification stores n unless a notification with its key exists, and
// returns the stored one: a retried sender finds the row (and whether it was
// sent) instead of making a second.
func (s *Store) CreateNotification(ctx context.Context, n *models.Notification) (*models.Notification, error) {
	if err := s.write(ctx).Clauses(onConflictDoNothing).Create(n).Error; err != nil {
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
	err := s.write(ctx).Model(&models.Notification{}).Where("id = ?", id).
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
	db := newestFirst(s.db.WithContext(ctx), q.Tenant, q.HookID, q.BeforeID, q.Limit)
	var ns []models.Notification
	if err := db.Find(&ns).Error; err != nil {
		return nil, fmt.Errorf("list notifications: %w", wrapUnavailable(err))
	}
	return ns, nil
}

// newestFirst selects a page of a log (deliveries, notifications) by
// descending id, of one tenant and hook when given, below the cursor beforeID.
func newestFirst(db *gorm.DB, tenant string, hookID, beforeID int64, limit int) *gorm.DB {
	db = db.Order("id DESC").Limit(limit)
	if tenant != "" {
		db = db.Where("tenant = ?", tenant)
	}
	if hookID != 0 {
		db = db.Where("hook_id = ?", hookID)
	}
	if beforeID != 0 {
		db = db.Where("id < ?", beforeID)
	}
	return db
}
