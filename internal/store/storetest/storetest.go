// Package storetest opens fresh, migrated databases for tests: a SQLite
// file always, and a PostgreSQL database of its own when
// HOOKFLOW_TEST_DATABASE_URL names a server (as .ci/run does).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/hookflow/hookflow/internal/seal"
	"github.com/hookflow/hookflow/internal/store"
)

// EnvPostgres names the PostgreSQL server tests may create databases on.
const EnvPostgres = "HOOKFLOW_TEST_DATABASE_URL"

// Backend is one database a test runs against.
type Backend struct {
	Name string // "sqlite" or "postgres"
	URL  string
}

// Backends returns SQLite and, when configured, PostgreSQL, each a fresh
// empty database that is dropped when the test ends.
func Backends(t testing.TB) []Backend {
	t.Helper()
	bs := []Backend{SQLite(t)}
	if base := os.Getenv(EnvPostgres); base != "" {
		bs = append(bs, Backend{Name: "postgres", URL: FreshPostgres(t, base)})
	}
	return bs
}

// Fresh returns another empty database of b's kind, for a benchmark that
// wants one per run: it creates only that one, where Backends creates one
// of each kind.
func (b Backend) Fresh(t testing.TB) Backend {
	t.Helper()
	if b.Name == "postgres" {
		return Backend{Name: b.Name, URL: FreshPostgres(t, os.Getenv(EnvPostgres))}
	}
	return SQLite(t)
}

// SQLite returns a fresh SQLite database alone, for tests that need one
// database and not each backend: no PostgreSQL database is made for them.
func SQLite(t testing.TB) Backend {
	t.Helper()
	return Backend{Name: "sqlite", URL: filepath.Join(t.TempDir(), "hookflow.db")}
}

// FreshPostgres creates an empty database on the server of base and returns
// its URL; it is dropped when the test ends.
func FreshPostgres(t testing.TB, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", EnvPostgres, err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "hookflow_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Keys seal the secrets of every test store: one random key per test binary.
var Keys = func() *seal.Keyring {
	k, err := seal.ParseKeys(seal.NewKey())
	if err != nil {
		panic(err) // a key NewKey made always parses
	}
	return k
}()

// Open returns a migrated store on b, sealing with Keys, closed when the test ends.
func Open(t testing.TB, b Backend) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, b.URL, Keys)
	if err != nil {
		t.Fatalf("open %s: %v", b.Name, err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", b.Name, err)
	}
	return st
}

// Raw opens b with database/sql, below the store: for tests that read or
// write rows as they are on disk. It is closed when the test ends.
func Raw(t testing.TB, b Backend) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", b.URL
	if store.IsPostgres(b.URL) {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", b.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Each runs fn once per backend as a subtest with a fresh migrated store.
func Each(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	for _, b := range Backends(t) {
		t.Run(b.Name, func(t *testing.T) { fn(t, Open(t, b)) })
	}
}
