package store

import (
	"context"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/models"
)

// Expired names one kind of data a retention pass deletes.
type Expired string

// The kinds of data retention deletes, in the order a pass takes them.
const (
	// ExpiredEvents are events received before the cutoff, with their
	// deliveries and those deliveries' attempts. An event still in flight —
	// queued, or with a delivery that has not ended — is kept whatever its
	// age: it goes in a later pass, once it ended.
	ExpiredEvents Expired = "events"
	// ExpiredNotifications are the mails stored before the cutoff.
	ExpiredNotifications Expired = "notifications"
	// ExpiredBins are request bins created before the cutoff, with their
	// captured requests.
	ExpiredBins Expired = "bins"
)

// ExpiredKinds lists every kind, in the order a retention pass takes them.
var ExpiredKinds = []Expired{ExpiredEvents, ExpiredNotifications, ExpiredBins}

// Pruned counts the rows one or more retention pages deleted. Attempts go
// with their delivery and are not counted.
type Pruned struct {
	Events        int64
	Deliveries    int64
	Notifications int64
	Bins          int64
	BinRequests   int64
}

// Total is the number of rows counted.
func (p Pruned) Total() int64 {
	return p.Events + p.Deliveries + p.Notifications + p.Bins + p.BinRequests
}

// Add adds q's counts to p.
func (p *Pruned) Add(q Pruned) {
	p.Events += q.Events
	p.Deliveries += q.Deliveries
	p.Notifications += q.Notifications
	p.Bins += q.Bins
	p.BinRequests += q.BinRequests
}

// ended are the delivery statuses that mean nothing more will happen to a
// delivery unless a user sends it again. Any other status (pending, or one
// a later version adds) is in flight, and keeps its event.
var ended = []models.DeliveryStatus{models.DeliverySucceeded, models.DeliveryFailed, models.DeliverySkipped}

// expiredEvents selects the events received before the cutoff that are no
// longer in flight, oldest first. It walks events_received_at.
const expiredEvents = `SELECT e.pk FROM events AS e WHERE e.received_at < ?
	AND NOT EXISTS (SELECT 1 FROM event_queue AS q WHERE q.event_pk = e.pk)
	AND NOT EXISTS (SELECT 1 FROM deliveries AS d WHERE d.event_pk = e.pk AND d.status NOT IN ?)
	ORDER BY e.received_at, e.pk LIMIT ?`

// DeleteExpiredPage deletes one page of kind older than cutoff: at most
// limit rows of one table (plus the attempts of the deliveries deleted), in
// one statement, so no transaction holds the database for long and
// deliveries writing meanwhile wait for one page at most. Called again it
// deletes the next page; it counts nothing once kind holds nothing older.
//
// An event's deliveries go first, a page at a time, then the events whose
// deliveries are all gone; a bin's requests go before the bin. An event
// that went back in flight between the pages (a redelivery, a recover) is
// kept, with the deliveries it has left.
func (s *Store) DeleteExpiredPage(ctx context.Context, kind Expired, cutoff time.Time, limit int) (Pruned, error) {
	var p Pruned
	var err error
	switch kind {
	case ExpiredEvents:
		p, err = s.deleteExpiredEvents(ctx, cutoff, limit)
	case ExpiredNotifications:
		p.Notifications, err = s.exec(ctx, `DELETE FROM notifications WHERE id IN
			(SELECT id FROM notifications WHERE created_at < ? ORDER BY created_at LIMIT ?)`, cutoff, limit)
	case ExpiredBins:
		p, err = s.deleteExpiredBins(ctx, cutoff, limit)
	default:
		return Pruned{}, fmt.Errorf("delete expired %q: unknown kind", kind)
	}
	if err != nil {
		return Pruned{}, fmt.Errorf("delete expired %s: %w", kind, err)
	}
	return p, nil
}

func (s *Store) deleteExpiredEvents(ctx context.Context, cutoff time.Time, limit int) (Pruned, error) {
	var pks []int64
	if err := s.db.WithContext(ctx).Raw(expiredEvents, cutoff, ended, limit).Scan(&pks).Error; err != nil {
		return Pruned{}, wrapUnavailable(err)
	}
	if len(pks) == 0 {
		return Pruned{}, nil
	}
	n, err := s.exec(ctx, `DELETE FROM deliveries WHERE id IN
		(SELECT id FROM deliveries WHERE event_pk IN ? AND status IN ? LIMIT ?)`, pks, ended, limit)
	if err != nil || n > 0 {
		return Pruned{Deliveries: n}, err
	}
	// Every delivery of these events is gone: delete the events, unless one
	// went back in flight since they were selected.
	n, err = s.exec(ctx, `DELETE FROM events WHERE pk IN ?
		AND NOT EXISTS (SELECT 1 FROM event_queue AS q WHERE q.event_pk = events.pk)
		AND NOT EXISTS (SELECT 1 FROM deliveries AS d WHERE d.event_pk = events.pk)`, pks)
	return Pruned{Events: n}, err
}

func (s *Store) deleteExpiredBins(ctx context.Context, cutoff time.Time, limit int) (Pruned, error) {
	var ids []string
	err := s.db.WithContext(ctx).Raw(`SELECT id FROM bins WHERE created_at < ? ORDER BY created_at LIMIT ?`, cutoff, limit).
		Scan(&ids).Error
	if err != nil {
		return Pruned{}, wrapUnavailable(err)
	}
	if len(ids) == 0 {
		return Pruned{}, nil
	}
	n, err := s.exec(ctx, `DELETE FROM bin_requests WHERE id IN
		(SELECT id FROM bin_requests WHERE bin_id IN ? LIMIT ?)`, ids, limit)
	if err != nil || n > 0 {
		return Pruned{BinRequests: n}, err
	}
	n, err = s.exec(ctx, `DELETE FROM bins WHERE id IN ?`, ids)
	return Pruned{Bins: n}, err
}

// exec runs one statement on the writer and reports the rows it changed.
func (s *Store) exec(ctx context.Context, sql string, args ...any) (int64, error) {
	res := s.write(ctx).Exec(sql, args...)
	if res.Error != nil {
		return 0, wrapUnavailable(res.Error)
	}
	return res.RowsAffected, nil
}
