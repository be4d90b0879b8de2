package devserver

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"unicode"

	persistencespb "go.temporal.io/server/api/persistence/v1"
	"google.golang.org/protobuf/proto"
)

// queriedIndexes are the visibility indexes of Temporal's SQLite schema that
// a dev server's users query by: the Web UI's workflow list (newest first)
// and its filters on workflow id, type and status, a workflow's parent and
// root (the UI's relationships), and schedules (their list and their recent
// runs). The custom search attributes' indexes are kept too, for the slots
// a namespace maps an attribute to (trimVisibility).
var queriedIndexes = []string{
	"default_idx", "by_workflow_id", "by_workflow_type", "by_status",
	"by_parent_workflow_id", "by_root_workflow_id",
	"by_temporal_namespace_division", "by_temporal_scheduled_by_id",
}

// trimVisibility drops the visibility indexes nothing queries by. Temporal's
// schema indexes the visibility table 57 ways, for every predefined and
// pre-allocated attribute, and every workflow writes its row twice (at start
// and at close, which moves it in every index): on one SQLite writer that
// was a third of hookflow dev's CPU under load, and the bare engine ran
// 35 % more workflows a second without them (docs/benchmarks.md). A query
// on an attribute whose index is gone still answers, by scanning. It runs
// before the server opens the database, at every start, so an attribute
// registered since the last start gets its slot's index back.
func trimVisibility(dbFile string) error {
	db, err := sql.Open("sqlite", "file:"+dbFile+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("trim visibility indexes: %w", err)
	}
	defer db.Close()
	slots, err := mappedSlots(db)
	if err != nil {
		return fmt.Errorf("trim visibility indexes: %w", err)
	}
	keep := map[string]bool{}
	for _, name := range queriedIndexes {
		keep[name] = true
	}
	for _, slot := range slots {
		keep[slotIndex(slot)] = true
	}
	have, err := visibilityIndexes(db)
	if err != nil {
		return fmt.Errorf("trim visibility indexes: %w", err)
	}
	for _, name := range have {
		if keep[name] {
			continue
		}
		if _, err := db.Exec(`DROP INDEX IF EXISTS "` + name + `"`); err != nil {
			return fmt.Errorf("trim visibility indexes: drop %s: %w", name, err)
		}
	}
	for _, slot := range slots {
		if !indexable(slot) || slices.Contains(have, slotIndex(slot)) {
			continue
		}
		// As Temporal's schema defines it.
		stmt := `CREATE INDEX IF NOT EXISTS "` + slotIndex(slot) + `" ON executions_visibility (namespace_id, ` + slot +
			`, (COALESCE(close_time, '9999-12-31 23:59:59+00:00')) DESC, start_time DESC, run_id)`
		if _, err := db.Exec(stmt); err != nil {
			return fmt.Errorf("trim visibility indexes: index %s: %w", slot, err)
		}
	}
	return nil
}

// mappedSlots are the pre-allocated columns (Keyword01, …) that some
// namespace maps one of its custom search attributes to, sorted.
func mappedSlots(db *sql.DB) ([]string, error) {
	rows, err := db.Query(`SELECT name, data, data_encoding FROM namespaces`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var slots []string
	for rows.Next() {
		var name, encoding string
		var data []byte
		if err := rows.Scan(&name, &data, &encoding); err != nil {
			return nil, err
		}
		if !strings.EqualFold(encoding, "proto3") {
			return nil, fmt.Errorf("namespace %s: unknown encoding %q", name, encoding)
		}
		var ns persistencespb.NamespaceDetail
		if err := proto.Unmarshal(data, &ns); err != nil {
			return nil, fmt.Errorf("namespace %s: %w", name, err)
		}
		for slot := range ns.GetConfig().GetCustomSearchAttributeAliases() {
			if !slices.Contains(slots, slot) {
				slots = append(slots, slot)
			}
		}
	}
	slices.Sort(slots)
	return slots, rows.Err()
}

func visibilityIndexes(db *sql.DB) ([]string, error) {
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'executions_visibility' AND sql IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, rows.Err()
}

// slotIndex is the name Temporal's schema gives the index of a slot:
// Keyword01 → by_keyword_01.
func slotIndex(slot string) string {
	i := strings.IndexFunc(slot, unicode.IsDigit)
	if i < 0 {
		return "by_" + strings.ToLower(slot)
	}
	return "by_" + strings.ToLower(slot[:i]) + "_" + slot[i:]
}

// indexable reports whether a slot is indexed by a B-tree (Text and
// KeywordList slots are searched through full-text tables instead).
func indexable(slot string) bool {
	for _, prefix := range []string{"Bool", "Datetime", "Double", "Int", "Keyword"} {
		if strings.HasPrefix(slot, prefix) && !strings.HasPrefix(slot, "KeywordList") {
			return true
		}
	}
	return false
}
