package store_test

import (
	"path/filepath"
	"testing"

	"github.com/hookflow/hookflow/internal/store/storetest"
)

// SQLite caches pages per connection, outside Go's heap and its memory
// limit: under a long backlog every reader's cache fills. The readers (up
// to 16) keep 512 KiB each and the one writer SQLite's 2 MiB, so the caches
// hold at most 10 MiB whatever the database's size.
func TestSQLitePageCachesAreBounded(t *testing.T) {
	st := storetest.Open(t, storetest.Backend{Name: "sqlite", URL: filepath.Join(t.TempDir(), "hookflow.db")})
	ctx := t.Context()
	pool, err := st.DB().DB()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 16 { // every reader the pool opens, held at once
		c, err := pool.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		var kib int
		if err := c.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&kib); err != nil {
			t.Fatal(err)
		}
		if kib != -512 {
			t.Errorf("reader %d: cache_size %d, want -512 (512 KiB)", i, kib)
		}
	}
	if kib, err := st.WriterPragma(ctx, "cache_size"); err != nil || kib != -2048 {
		t.Errorf("writer: cache_size %d (%v), want -2048 (2 MiB)", kib, err)
	}
}
