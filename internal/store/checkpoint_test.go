package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
)

// Commits on SQLite do not copy the write-ahead log into the database file
// themselves (no checkpoint on the writer, where a trigger's 202 would wait
// for it): the store's checkpointer does, in the background, soon after.
func TestWriteAheadLogIsCheckpointedInTheBackground(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookflow.db")
	st := storetest.Open(t, storetest.Backend{Name: "sqlite", URL: path})
	before := fileSize(t, path)
	body := []byte(`{"records":[{"note":"` + strings.Repeat("x", 4000) + `"}]}`)
	now := time.Now().UTC()
	for i := range 20 { // 20 commits of 50 events of 4 KB: 1,000 pages and more
		var es []*models.Event
		for j := range 50 {
			e := event("t1", fmt.Sprintf("e%d-%d", i, j), now)
			e.Body = body
			es = append(es, e)
		}
		admit(t, st, es...)
	}
	want := before + 20*50*4000
	deadline := time.Now().Add(10 * time.Second)
	for fileSize(t, path) < want {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes 10 s after the commits (log %d bytes), want %d and more: nothing checkpointed",
				fileSize(t, path), fileSize(t, path+"-wal"), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
