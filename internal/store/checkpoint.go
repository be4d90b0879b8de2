package store

import (
	"database/sql"
	"sync"
	"time"
)

// checkpointEvery is how often the checkpointer copies the write-ahead log
// into the database file. At hookflow dev's full pace the log takes a few
// MB a second; SQLite's own trigger is 1,000 pages (4 MB).
const checkpointEvery = 250 * time.Millisecond

// checkpointer copies a SQLite database's write-ahead log into the database
// file in the background. SQLite would otherwise do it inside the commit
// that fills the log past 1,000 pages, on the one writer connection, fsyncs
// included: the write that happened to cross the line — often an admission,
// whose 202 waits for it — and every write queued behind it waited tens of
// milliseconds. A PASSIVE checkpoint from another connection runs beside the
// writer instead: it takes no write lock, and skips what readers still use.
type checkpointer struct {
	quit chan struct{}
	once sync.Once
	done sync.WaitGroup
}

// startCheckpointer checkpoints db (a pool of connections to the database
// whose writer runs with wal_autocheckpoint off) every checkpointEvery until
// stop.
func startCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{quit: make(chan struct{})}
	c.done.Add(1)
	go func() {
		defer c.done.Done()
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				// A failure (the database busy or gone) is retried at the
				// next tick; the log keeps every commit meanwhile.
				_, _ = db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
			case <-c.quit:
				return
			}
		}
	}()
	return c
}

// stop ends the checkpoints; closing the last connection checkpoints the
// rest. Safe to call more than once.
func (c *checkpointer) stop() {
	if c == nil {
		return
	}
	c.once.Do(func() { close(c.quit) })
	c.done.Wait()
}
