// Package stmtcache keeps each database connection's prepared statements,
// so a statement run again on the same connection is not parsed and
// planned again.
//
// modernc.org/sqlite prepares every statement handed to Exec or Query anew
// and finalizes it after; for hookflow's store that was 4 % of hookflow
// dev's CPU under load (docs/benchmarks.md). GORM's own statement cache
// (PrepareStmt) prepares through the pool rather than on the connection in
// use, which deadlocks a one-connection pool when a transaction needs a
// statement that a caller outside it is preparing (go-gorm/gorm#7465). This
// cache sits below database/sql, on each connection, so a transaction and
// the statements outside it share it and never wait for each other.
package stmtcache

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"reflect"
	"slices"
)

// Open returns a pool of connections to dsn through the registered driver
// driverName, each keeping up to size prepared statements. A query longer
// than maxQueryLen (a large multi-row INSERT, seldom of the same length
// twice) is prepared for each run, as without the cache.
func Open(driverName, dsn string, size int) (*sql.DB, error) {
	probe, err := sql.Open(driverName, dsn) // no connection yet: only finds the driver
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	if err := probe.Close(); err != nil {
		return nil, err
	}
	return sql.OpenDB(&connector{drv: drv, dsn: dsn, size: max(size, 1)}), nil
}

// maxQueryLen is the longest query kept.
const maxQueryLen = 16 << 10

type connector struct {
	drv  driver.Driver
	dsn  string
	size int
}

func (c *connector) Connect(context.Context) (driver.Conn, error) {
	inner, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: inner, size: c.size, stmts: map[string]*entry{}}, nil
}

func (c *connector) Driver() driver.Driver { return c.drv }

// conn is one connection with its statements. database/sql uses a
// connection from one goroutine at a time (closing a result set included),
// so conn needs no lock.
type conn struct {
	driver.Conn
	size  int
	stmts map[string]*entry
	order []string // oldest first, for eviction
}

// entry is a cached statement; busy while a result set of it is open, when
// a second run of the same query gets a statement of its own.
type entry struct {
	stmt driver.Stmt
	busy bool
}

// statement returns a prepared statement for query and the cache entry
// holding it, or no entry when the caller owns the statement and must close
// it.
func (c *conn) statement(ctx context.Context, query string) (driver.Stmt, *entry, error) {
	if e, ok := c.stmts[query]; ok && !e.busy {
		return e.stmt, e, nil
	}
	s, err := c.prepare(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	if _, ok := c.stmts[query]; ok || len(query) > maxQueryLen || !c.makeRoom() {
		return s, nil, nil
	}
	e := &entry{stmt: s}
	c.stmts[query] = e
	c.order = append(c.order, query)
	return s, e, nil
}

// makeRoom evicts the oldest idle statement when the cache is full, and
// reports whether there is room for one more.
func (c *conn) makeRoom() bool {
	if len(c.stmts) < c.size {
		return true
	}
	i := slices.IndexFunc(c.order, func(q string) bool { return !c.stmts[q].busy })
	if i < 0 {
		return false
	}
	q := c.order[i]
	c.order = slices.Delete(c.order, i, i+1)
	_ = c.stmts[q].stmt.Close()
	delete(c.stmts, q)
	return true
}

func (c *conn) prepare(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return c.Conn.Prepare(query)
}

// ExecContext runs query on its cached statement. A driver whose
// statements do not take a context gets database/sql's own path (ErrSkip).
func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, e, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	if e == nil {
		defer func() { _ = s.Close() }() // a finalize error tells nothing about the run
	}
	x, ok := s.(driver.StmtExecContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	return x.ExecContext(ctx, args)
}

// QueryContext runs query on its cached statement, which stays busy until
// the result set is closed.
func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, e, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	release := func() error { return s.Close() }
	if e != nil {
		release = func() error { e.busy = false; return nil }
	}
	// The driver's errors are returned as they are: database/sql compares
	// ErrSkip, and error translators type-assert the driver's error.
	q, ok := s.(driver.StmtQueryContext)
	if !ok {
		_ = release()
		return nil, driver.ErrSkip
	}
	r, err := q.QueryContext(ctx, args)
	if err != nil {
		_ = release()
		return nil, err
	}
	if e != nil {
		e.busy = true
	}
	return &rows{Rows: r, release: release}, nil
}

// BeginTx, Ping, ResetSession and IsValid pass through to the driver's
// connection where it has them, as database/sql would call them there.
func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return c.Conn.Begin() //lint:ignore SA1019 the driver has nothing newer
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.prepare(ctx, query) // the caller's to close: not cached
}

func (c *conn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *conn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *conn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// Close finalizes the cached statements, then closes the connection.
func (c *conn) Close() error {
	var errs []error
	for _, e := range c.stmts {
		errs = append(errs, e.stmt.Close())
	}
	clear(c.stmts)
	c.order = nil
	return errors.Join(append(errs, c.Conn.Close())...)
}

// rows is a result set that gives its statement back when closed. It
// answers for the column types as the driver's own result set does, or as
// database/sql does for a driver without them.
type rows struct {
	driver.Rows
	release func() error
}

func (r *rows) Close() error {
	err := r.Rows.Close()
	if rerr := r.release(); err == nil {
		err = rerr
	}
	return err
}

func (r *rows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *rows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *rows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *rows) ColumnTypeNullable(i int) (bool, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *rows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}
