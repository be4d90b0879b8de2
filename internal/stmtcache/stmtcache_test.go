package stmtcache

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"modernc.org/sqlite" // the driver hookflow's store uses
)

// countingDriver is modernc's SQLite driver, counting the statements its
// connections prepare.
type countingDriver struct {
	driver.Driver
	prepared atomic.Int64
}

func (d *countingDriver) Open(dsn string) (driver.Conn, error) {
	c, err := d.Driver.Open(dsn)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, d: d}, nil
}

// countingConn has only what the cache needs of a connection (no
// ExecerContext or QueryerContext): every statement it runs is prepared.
type countingConn struct {
	driver.Conn
	d *countingDriver
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.d.prepared.Add(1)
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

var registerCounting = sync.OnceValue(func() *countingDriver {
	probe, _ := sql.Open("sqlite", "")
	d := &countingDriver{Driver: probe.Driver()}
	probe.Close()
	sql.Register("stmtcache-counting", d)
	return d
})

// open returns a pool of one connection to a new database file with a
// table t(k, v), and the count of statements prepared.
func open(t *testing.T, size int) (*sql.DB, *atomic.Int64) {
	t.Helper()
	d := registerCounting()
	dsn := "file:" + filepath.Join(t.TempDir(), "t.db") + "?_pragma=journal_mode(WAL)&_txlock=immediate"
	db, err := Open("stmtcache-counting", dsn, size)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	d.prepared.Store(0)
	return db, &d.prepared
}

func TestStatementIsPreparedOncePerConnection(t *testing.T) {
	db, prepared := open(t, 8)
	for k := range 5 {
		if _, err := db.Exec(`INSERT INTO t (k, v) VALUES (?, ?)`, k, "v"); err != nil {
			t.Fatal(err)
		}
		var v string
		if err := db.QueryRow(`SELECT v FROM t WHERE k = ?`, k).Scan(&v); err != nil || v != "v" {
			t.Fatalf("row %d: %q, %v", k, v, err)
		}
	}
	if n := prepared.Load(); n != 2 {
		t.Errorf("%d statements prepared for 10 runs of 2 queries, want 2", n)
	}
}

func TestStatementStaysUsableAfterAnError(t *testing.T) {
	db, _ := open(t, 8)
	insert := `INSERT INTO t (k, v) VALUES (?, ?)`
	if _, err := db.Exec(insert, 1, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(insert, 1, "b"); err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Fatalf("duplicate key: %v, want a UNIQUE constraint error", err)
	}
	if _, err := db.Exec(insert, 2, "c"); err != nil {
		t.Fatalf("the same statement after the error: %v", err)
	}
	// Through Query (an INSERT … RETURNING, as GORM's Create): the driver's
	// error comes back as it is, for error translators that type-assert it.
	returning := insert + ` RETURNING k`
	for range 2 {
		var k int
		err := db.QueryRow(returning, 1, "d").Scan(&k)
		if _, ok := err.(*sqlite.Error); !ok {
			t.Fatalf("duplicate key through Query: %T %v, want a *sqlite.Error", err, err)
		}
	}
	var k int
	if err := db.QueryRow(returning, 3, "e").Scan(&k); err != nil || k != 3 {
		t.Fatalf("the same query after its errors: %d, %v", k, err)
	}
	if n := count(t, db); n != 3 {
		t.Errorf("%d rows, want 3", n)
	}
}

// A query run again while its first result set is still open gets a
// statement of its own: both read every row.
func TestSameQueryTwiceWhileTheFirstIsOpen(t *testing.T) {
	db, _ := open(t, 8)
	for k := range 3 {
		if _, err := db.Exec(`INSERT INTO t (k, v) VALUES (?, ?)`, k, "v"); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }() // after Commit: ErrTxDone
	query := `SELECT k FROM t WHERE k >= ? ORDER BY k`
	outer, err := tx.Query(query, 0)
	if err != nil {
		t.Fatal(err)
	}
	var pairs int
	for outer.Next() {
		var k int
		if err := outer.Scan(&k); err != nil {
			t.Fatal(err)
		}
		inner, err := tx.Query(query, k)
		if err != nil {
			t.Fatal(err)
		}
		for inner.Next() {
			pairs++
		}
		if err := inner.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	if pairs != 3+2+1 {
		t.Errorf("%d (outer, inner) pairs, want 6", pairs)
	}
}

// The deadlock of GORM's statement cache (go-gorm/gorm#7465) cannot happen:
// on a pool of one connection, a transaction and a caller outside it run
// the same statement, and both finish.
func TestTransactionAndOutsideCallerShareTheConnection(t *testing.T) {
	db, prepared := open(t, 8)
	insert := `INSERT INTO t (k, v) VALUES (?, ?)`
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	outside := make(chan error, 1)
	go func() {
		_, err := db.ExecContext(ctx, insert, 2, "outside") // waits for the connection
		outside <- err
	}()
	time.Sleep(50 * time.Millisecond) // let it wait
	if _, err := tx.ExecContext(ctx, insert, 1, "inside"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-outside; err != nil {
		t.Fatalf("outside the transaction: %v", err)
	}
	if n := count(t, db); n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
	if n := prepared.Load(); n != 2 { // the INSERT, and count's SELECT
		t.Errorf("%d statements prepared, want 2", n)
	}
}

func TestCacheKeepsAtMostSizeStatements(t *testing.T) {
	db, prepared := open(t, 2)
	queries := []string{`SELECT 1 FROM t`, `SELECT 2 FROM t`, `SELECT 3 FROM t`}
	for _, q := range queries {
		run(t, db, q)
	}
	run(t, db, queries[2]) // kept
	run(t, db, queries[0]) // evicted by the third: prepared again
	if n := prepared.Load(); n != 4 {
		t.Errorf("%d statements prepared, want 4", n)
	}
	if n := cached(t, db); n != 2 {
		t.Errorf("%d statements kept, want the size, 2", n)
	}
	long := `SELECT 1 FROM t WHERE v <> '` + strings.Repeat("x", maxQueryLen) + `'`
	run(t, db, long)
	run(t, db, long)
	if n := prepared.Load(); n != 6 {
		t.Errorf("a query longer than %d bytes was kept (%d prepared)", maxQueryLen, n)
	}
}

func run(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// cached is how many statements the pool's one connection keeps.
func cached(t *testing.T, db *sql.DB) int {
	t.Helper()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	var n int
	if err := c.Raw(func(dc any) error { n = len(dc.(*conn).stmts); return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}
