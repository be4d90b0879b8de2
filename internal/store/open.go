// Package store keeps hooks, events, deliveries and attempts in PostgreSQL or
// SQLite through GORM. Every method takes a context and translates "no row" to
// ErrNotFound.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-migrate/migrate/v4"
	migratedb "github.com/golang-migrate/migrate/v4/database"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/hookflow/hookflow/internal/seal"
	"github.com/hookflow/hookflow/internal/sqlitemem"
	"github.com/hookflow/hookflow/internal/stmtcache"
	"github.com/libtnb/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// ErrNotFound is returned when no row matches.
var ErrNotFound = errors.New("not found")

// ErrUnavailable wraps errors that mean the database cannot be reached, so
// the API can answer 503 and callers can retry.
var ErrUnavailable = errors.New("database unavailable")

//go:embed migrations
var migrations embed.FS

// Store is the data layer. It is safe for concurrent use.
type Store struct {
	db      *gorm.DB // reads, and everything on PostgreSQL
	writer  *gorm.DB // writes: on SQLite a pool of one connection
	dialect string   // "postgres" or "sqlite"
	url     string
	keys    *seal.Keyring // seals and opens the hooks' secrets
	admit   *committer    // group commit of admissions (AdmitEvents)
	ckpt    *checkpointer // SQLite files: checkpoints beside the writer
}

// write returns the database to write through. SQLite takes one writer at a
// time; writers from a pool of many would wait for each other in SQLite's
// busy handler, which sleeps in steps of milliseconds. One connection makes
// them queue in Go instead, in order and without sleeping, while reads go on
// in parallel on the other pool (WAL).
func (s *Store) write(ctx context.Context) *gorm.DB { return s.writer.WithContext(ctx) }

// IsPostgres reports whether url names a PostgreSQL database; anything else
// is a SQLite file path.
func IsPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// Open connects to the database at url without changing its schema. keys
// seal the secrets it writes and open the ones it reads.
// SQLite runs in WAL mode with a busy timeout, so the API and the worker can
// write from many goroutines; a path of ":memory:" gives a private in-memory
// database (one connection, as SQLite memory databases are per connection).
func Open(ctx context.Context, url string, keys *seal.Keyring) (*Store, error) {
	if keys == nil {
		return nil, errors.New("open database: no encryption keys")
	}
	// No default transaction: GORM otherwise wraps every single-statement
	// write in BEGIN and COMMIT, two more statements through SQLite's one
	// writer for what a statement does atomically on its own. The writes of
	// several statements say so (Store.tx).
	//
	// No GORM statement cache (PrepareStmt): on SQLite each connection keeps
	// its statements itself (stmtcache), and pgx caches PostgreSQL's.
	//
	// The hot paths' raw queries read their rows with Find or Row().Scan,
	// not DB.Scan: GORM's Scan traces each statement through a recording
	// logger, whatever this one is, which formats the SQL text with every
	// value (2.5 % of BenchmarkPlanAndSend's CPU).
	cfg := &gorm.Config{Logger: logger.Discard, TranslateError: true, SkipDefaultTransaction: true}
	var (
		db      *gorm.DB
		err     error
		dialect string
	)
	if IsPostgres(url) {
		dialect = "postgres"
		db, err = gorm.Open(postgres.Open(url), cfg)
	} else {
		dialect = "sqlite"
		sqlitemem.Pin()
		db, err = openSQLite(url, readerCacheKiB, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	if dialect == "sqlite" && url == ":memory:" {
		sqlDB.SetMaxOpenConns(1)
	} else {
		sqlDB.SetMaxOpenConns(16)
		sqlDB.SetMaxIdleConns(16)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnavailable, dialect, err)
	}
	st := &Store{db: db, writer: db, dialect: dialect, url: url, keys: keys, admit: newCommitter()}
	if dialect == "sqlite" && url != ":memory:" {
		if st.writer, err = openSQLite(url, writerCacheKiB, cfg); err != nil {
			return nil, fmt.Errorf("open sqlite writer: %w", err)
		}
		w, _ := st.writer.DB()
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		st.ckpt = startCheckpointer(sqlDB)
	}
	return st, nil
}

// openSQLite opens a pool of connections to the SQLite database at path,
// each keeping the statements it runs prepared (stmtCacheSize of them) and
// up to cacheKiB of its pages.
func openSQLite(path string, cacheKiB int, cfg *gorm.Config) (*gorm.DB, error) {
	pool, err := stmtcache.Open(sqlite.DriverName, sqliteDSN(path, cacheKiB), stmtCacheSize)
	if err != nil {
		return nil, err
	}
	return gorm.Open(sqlite.New(sqlite.Config{Conn: pool}), cfg)
}

// stmtCacheSize is how many prepared statements a SQLite connection keeps:
// more than the store's distinct statements under load (about twenty),
// fewer than the admission's multi-row INSERTs of every batch size.
const stmtCacheSize = 64

// Each SQLite connection caches pages apart, outside Go's heap and its
// memory limit. The writer keeps SQLite's default, 2 MiB; the readers, up
// to 16, keep 512 KiB each, so under a long backlog their caches hold 8 MiB
// rather than 32 (RSS < 500 MB: docs/benchmarks.md).
const (
	writerCacheKiB = 2048
	readerCacheKiB = 512
)

// sqliteDSN turns a path into a modernc.org/sqlite DSN. WAL lets readers run
// beside the one writer; synchronous=NORMAL in WAL mode survives a killed
// process (not a power cut); immediate transactions take the write lock up
// front so concurrent writers wait on busy_timeout instead of failing.
func sqliteDSN(path string, cacheKiB int) string {
	if path == ":memory:" {
		return "file::memory:?_pragma=foreign_keys(1)&_texttotime=1&_inttotime=1"
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// No checkpoint inside a commit: the store's checkpointer runs them
	// beside the writer (checkpoint.go).
	q.Add("_pragma", "wal_autocheckpoint(0)")
	q.Add("_pragma", "foreign_keys(1)")
	// A statement inside a transaction journals the pages it changes, to
	// undo itself alone on error. On disk temp storage SQLite buffers that
	// journal in 64 KiB blocks, which modernc's malloc maps and unmaps for
	// every such statement (RecordAttempt's and admission's, 4.6 % of the
	// CPU under load); in memory it uses 1 KiB blocks, which it reuses
	// (sqlitemem.Pin). Temporary tables and sorts go to memory as well:
	// every query here is bounded by a LIMIT or a batch.
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_pragma", "cache_size(-"+strconv.Itoa(cacheKiB)+")")
	q.Set("_txlock", "immediate")
	// Time columns scan into time.Time (libtnb/sqlite adds these to a DSN
	// it opens itself).
	q.Set("_texttotime", "1")
	q.Set("_inttotime", "1")
	return "file:" + path + "?" + q.Encode()
}

// Dialect names the database: "postgres" or "sqlite".
func (s *Store) Dialect() string { return s.dialect }

// Ping checks the database answers; readiness probes use it.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// Close closes the connection pools.
func (s *Store) Close() error {
	s.admit.stop()
	s.ckpt.stop()
	var writerErr error
	if s.writer != s.db {
		if w, err := s.writer.DB(); err == nil {
			writerErr = w.Close()
		}
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return errors.Join(writerErr, err)
	}
	return errors.Join(writerErr, sqlDB.Close())
}

// Migrate applies every pending migration. On PostgreSQL it holds an
// advisory lock, so several processes starting at once migrate only once.
func (s *Store) Migrate(ctx context.Context) error {
	m, done, err := s.migrator()
	if err != nil {
		return err
	}
	defer done()
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate %s: %w", s.dialect, err)
	}
	return nil
}

// ErrSchemaBehind means migrations are pending; run `hookflow migrate`.
var ErrSchemaBehind = errors.New("database schema is behind this binary: run `hookflow migrate`")

// CheckSchema fails unless every migration this binary knows is applied.
func (s *Store) CheckSchema(ctx context.Context) error {
	m, done, err := s.migrator()
	if err != nil {
		return err
	}
	defer done()
	have, dirty, err := m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return ErrSchemaBehind
	}
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if dirty {
		return fmt.Errorf("database schema version %d is dirty: a migration failed half way; fix it by hand", have)
	}
	if want := latestMigration(s.dialect); have < want {
		return fmt.Errorf("%w (have version %d, need %d)", ErrSchemaBehind, have, want)
	}
	return nil
}

// migrator returns a migrate instance and a func that releases it. On
// PostgreSQL it works on a pool of its own (the driver pins a connection and
// closes its pool when done); SQLite shares ours, as a ":memory:" database
// exists only on that one connection.
func (s *Store) migrator() (*migrate.Migrate, func(), error) {
	src, err := iofs.New(migrations, "migrations/"+s.dialect)
	if err != nil {
		return nil, nil, fmt.Errorf("load migrations: %w", err)
	}
	var drv migratedb.Driver
	if s.dialect == "postgres" {
		var db *sql.DB
		if db, err = sql.Open("pgx", s.url); err == nil {
			drv, err = migratepgx.WithInstance(db, &migratepgx.Config{})
		}
	} else {
		var db *sql.DB
		if db, err = s.db.DB(); err == nil {
			drv, err = migratesqlite.WithInstance(db, &migratesqlite.Config{})
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: prepare migrations: %w", ErrUnavailable, err)
	}
	m, err := migrate.NewWithInstance("iofs", src, s.dialect, drv)
	if err != nil {
		return nil, nil, fmt.Errorf("prepare migrations: %w", err)
	}
	done := func() {
		if s.dialect == "postgres" {
			m.Close()
		}
	}
	return m, done, nil
}

func latestMigration(dialect string) uint {
	entries, _ := fs.ReadDir(migrations, "migrations/"+dialect)
	var latest uint
	for _, e := range entries {
		var v uint
		if _, err := fmt.Sscanf(e.Name(), "%d_", &v); err == nil && v > latest {
			latest = v
		}
	}
	return latest
}
