package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
)

// What is stored can always be read back (issue 14: a hook stored with the
// filter 1e999 made every list of hooks, and every event it matched, fail
// with "cannot unmarshal number 1e999"). Numbers read as written, and a row
// whose JSON cannot be read at all is listed with the problem, not a failed
// query.
func TestStoredHooksAlwaysReadBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		huge, broken, fine := hook("t1", "contact.*"), hook("t1", "contact.*"), hook("t1", "contact.*")
		for _, h := range []*models.Hook{huge, broken, fine} {
			if err := st.CreateHook(ctx, h); err != nil {
				t.Fatal(err)
			}
		}
		// As earlier versions stored them: the API now refuses both.
		if err := st.DB().Exec(`UPDATE hooks SET options = ?, properties = ? WHERE id = ?`,
			`{"entity":{"Contact":{"filter":{"x":1e999}}}}`, `{"p":-1e999}`, huge.ID).Error; err != nil {
			t.Fatal(err)
		}
		if err := st.DB().Exec(`UPDATE hooks SET options = ? WHERE id = ?`, `{"chunk_size": "many"`, broken.ID).Error; err != nil {
			t.Fatal(err)
		}
		hs, err := st.Hooks(ctx, store.HookQuery{Tenant: "t1", Limit: 10})
		if err != nil || len(hs) != 3 {
			t.Fatalf("Hooks() = %d hooks, %v; want all 3", len(hs), err)
		}
		got, err := st.Hook(ctx, "t1", huge.ID)
		if err != nil || got.Unreadable() != nil {
			t.Fatalf("Hook(huge) = %v, unreadable %v; want it read", err, got.Unreadable())
		}
		if x := got.Options.V.Entity["Contact"].Filter["x"]; x != json.Number("1e999") {
			t.Errorf("filter x read back as %#v; want 1e999 as written", x)
		}
		if b, _ := json.Marshal(got.Properties.V); string(b) != `{"p":-1e999}` {
			t.Errorf("properties read back as %s", b)
		}
		got, err = st.Hook(ctx, "t1", broken.ID)
		if err != nil || got.Unreadable() == nil {
			t.Fatalf("Hook(broken) = %v, unreadable %v; want it listed as unreadable", err, got.Unreadable())
		}
		matched, err := st.MatchHooks(ctx, "t1", models.Pattern{Entity: "contact", Action: "update"}, nil, time.Now(), 0, 10)
		if err != nil || len(matched) != 3 {
			t.Errorf("MatchHooks() = %d hooks, %v; want all 3 (the planner refuses the unreadable one)", len(matched), err)
		}
	})
}
