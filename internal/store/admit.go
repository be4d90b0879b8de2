package store

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/hookflow/hookflow/models"
	"gorm.io/gorm"
)

// Group commit of admissions. Triggers arrive one per request, many at once;
// each admitted alone costs a transaction of two statements per event, all
// through SQLite's one writer (on PostgreSQL, a commit's fsync each). The
// committer takes every admission waiting when it is free and commits them
// together: one INSERT per table per batch, one commit. A request waits for
// its batch's commit, so a 202 still means stored; a batch that fails is
// retried request by request, so one request's error is its own.

// maxAdmitBatch bounds the events of one commit: SQLite's and PostgreSQL's
// bind-parameter limits (13 per event), and the time a batch holds the writer.
const maxAdmitBatch = 1000

type admission struct {
	ctx     context.Context
	es      []*models.Event
	created []bool
	err     error
	done    chan struct{}
}

// committer batches admissions; it runs from the first admission until
// the store closes.
type committer struct {
	once sync.Once
	// mu orders queueing against stop: an admission is queued only while
	// the committer still runs, so none is left in the queue unanswered.
	mu     sync.RWMutex
	closed bool
	queue  chan *admission
	quit   chan struct{} // closed by stop
	wg     sync.WaitGroup
}

func newCommitter() *committer {
	return &committer{queue: make(chan *admission, 256), quit: make(chan struct{})}
}

// AdmitEvents stores events and queues each new one for its workflow, all in
// one transaction: when it returns nil every event is durable and will be
// started. An event whose tenant and id exist already is not stored again
// (nor queued again): it is filled from the stored row and reported false,
// so a repeated trigger answers with the first one's ids. Concurrent calls
// share a transaction (group commit).
func (s *Store) AdmitEvents(ctx context.Context, es []*models.Event) ([]bool, error) {
	if len(es) == 0 {
		return nil, nil
	}
	c := s.admit
	a := &admission{ctx: ctx, es: es, done: make(chan struct{})}
	if err := c.submit(a, func() { s.commitAdmissions() }); err != nil {
		return nil, err
	}
	// Once queued it is committed or not; the caller learns which.
	<-a.done
	return a.created, a.err
}

// submit hands a to the committer, started by the first admission.
func (c *committer) submit(a *admission, run func()) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return fmt.Errorf("admit events: %w: the store is closed", ErrUnavailable)
	}
	c.once.Do(func() {
		c.wg.Add(1)
		go func() { defer c.wg.Done(); run() }()
	})
	select {
	case c.queue <- a:
		return nil
	case <-a.ctx.Done():
		return fmt.Errorf("admit events: %w", a.ctx.Err())
	}
}

// stop ends the committer after the admissions queued so far; later ones
// are refused.
func (c *committer) stop() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.quit)
	}
	c.mu.Unlock()
	c.wg.Wait()
}

func (s *Store) commitAdmissions() {
	c := s.admit
	for {
		var first *admission
		select {
		case first = <-c.queue:
		case <-c.quit:
			for { // answer what was queued before the close
				select {
				case a := <-c.queue:
					s.commitBatch([]*admission{a})
				default:
					return
				}
			}
		}
		batch, n := []*admission{first}, len(first.es)
	more:
		for n < maxAdmitBatch {
			select {
			case a := <-c.queue:
				batch, n = append(batch, a), n+len(a.es)
			default:
				break more
			}
		}
		s.commitBatch(batch)
	}
}

// commitBatch commits a batch's admissions in one transaction, or, if that
// fails and the batch has several, each on its own.
func (s *Store) commitBatch(batch []*admission) {
	live := batch[:0:0]
	for _, a := range batch {
		if err := a.ctx.Err(); err != nil { // the caller is gone: nothing stored
			a.err = fmt.Errorf("admit events: %w", err)
			close(a.done)
			continue
		}
		live = append(live, a)
	}
	if len(live) == 0 {
		return
	}
	var es []*models.Event
	for _, a := range live {
		es = append(es, a.es...)
	}
	created, err := s.admitTx(context.WithoutCancel(live[0].ctx), es)
	if err != nil && len(live) > 1 {
		for _, a := range live {
			a.created, a.err = s.admitTx(context.WithoutCancel(a.ctx), a.es)
			close(a.done)
		}
		return
	}
	for _, a := range live {
		if err != nil {
			a.err = err
		} else {
			a.created, created = created[:len(a.es):len(a.es)], created[len(a.es):]
		}
		close(a.done)
	}
}

// eventColumns are what admission writes of an event.
const eventColumns = "id, tenant, type, occurred_at, received_at, actor, custom_entity, skip_key, record_count, body, workflow_id, about_hook_id"

// admitTx inserts es (one statement, each new event once), fills those that
// existed from their stored rows, and queues the new ones (one statement).
func (s *Store) admitTx(ctx context.Context, es []*models.Event) ([]bool, error) {
	created := make([]bool, len(es))
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var sql strings.Builder
		sql.WriteString("INSERT INTO events (" + eventColumns + ") VALUES ")
		args := make([]any, 0, 12*len(es))
		for i, e := range es {
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, e.ID, e.Tenant, e.Type, e.OccurredAt, e.ReceivedAt, e.Actor, e.CustomEntity,
				e.SkipKey, e.RecordCount, e.Body, e.WorkflowID, e.AboutHookID)
		}
		sql.WriteString(" ON CONFLICT DO NOTHING RETURNING pk, tenant, id")
		var rows []struct {
			PK         int64
			Tenant, ID string
		}
		if err := tx.Raw(sql.String(), args...).Find(&rows).Error; err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
		type key struct{ tenant, id string }
		pks := make(map[key]int64, len(rows))
		for _, r := range rows {
			pks[key{r.Tenant, r.ID}] = r.PK
		}
		var existing []int
		for i, e := range es {
			pk, ok := pks[key{e.Tenant, e.ID}]
			switch {
			case ok:
				e.PK, created[i] = pk, true
				delete(pks, key{e.Tenant, e.ID}) // a repeat within the batch is not new
			default:
				existing = append(existing, i)
			}
		}
		for _, i := range existing {
			var stored models.Event
			if err := tx.Where("tenant = ? AND id = ?", es[i].Tenant, es[i].ID).Take(&stored).Error; err != nil {
				return fmt.Errorf("load event %q: %w", es[i].ID, err)
			}
			*es[i] = stored
		}
		return enqueue(tx, es, created)
	})
	return created, err
}

// enqueue queues the created events in one statement. A tenant's events
// take consecutive turns after its last queued one; a tenant with nothing
// queued starts at the head of the queue (the next turn to be claimed:
// claimed rows are being started already), so it is served next, whatever
// another tenant has queued. Two dispatchers' claims never see half a
// batch: it commits at once. Order within a tenant follows arrival (ties go
// to the older event).
func enqueue(tx *gorm.DB, es []*models.Event, created []bool) error {
	tails := map[string]*int64{}
	var tenants []string
	for i, e := range es {
		if created[i] {
			if _, ok := tails[e.Tenant]; !ok {
				tails[e.Tenant] = nil
				tenants = append(tenants, e.Tenant)
			}
		}
	}
	if len(tenants) == 0 {
		return nil
	}
	var head int64
	if err := tx.Raw(`SELECT COALESCE(MIN(turn), 0) FROM event_queue WHERE claimed_until IS NULL`).Row().Scan(&head); err != nil {
		return fmt.Errorf("read the queue's head: %w", err)
	}
	for _, tenant := range tenants {
		// One tenant per query: a bare MAX over the (tenant, turn) index is
		// one index probe, where "tenant IN … GROUP BY tenant" made both
		// SQLite and PostgreSQL read every queued row of the tenants, so
		// admission slowed as a bulk import's backlog grew.
		var tail *int64
		if err := tx.Raw(`SELECT MAX(turn) FROM event_queue WHERE tenant = ?`, tenant).Row().Scan(&tail); err != nil {
			return fmt.Errorf("read tenant %q's last turn: %w", tenant, err)
		}
		tails[tenant] = tail
	}
	var sql strings.Builder
	sql.WriteString("INSERT INTO event_queue (event_pk, tenant, turn, queued_at) VALUES ")
	var args []any
	for i, e := range es {
		if !created[i] {
			continue
		}
		turn := head
		if t := tails[e.Tenant]; t != nil && *t >= head {
			turn = *t + 1
		}
		tails[e.Tenant] = &turn
		if len(args) > 0 {
			sql.WriteString(", ")
		}
		sql.WriteString("(?, ?, ?, ?)")
		args = append(args, e.PK, e.Tenant, turn, e.ReceivedAt)
	}
	if err := tx.Exec(sql.String(), args...).Error; err != nil {
		return fmt.Errorf("queue events: %w", err)
	}
	return nil
}
