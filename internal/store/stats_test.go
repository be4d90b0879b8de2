package store_test

import (
	"maps"
	"testing"

	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
)

func TestCountHooksByState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		stopped := hook("t2", "*")
		stopped.State = models.StateStopped
		for _, h := range []*models.Hook{hook("t1", "*"), hook("t2", "*"), stopped} {
			if err := st.CreateHook(ctx, h); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.CountHooksByState(ctx)
		want := map[models.HookState]int{models.StateActive: 2, models.StateStopped: 1}
		if err != nil || !maps.Equal(got, want) {
			t.Errorf("CountHooksByState = %v, %v; want %v", got, err, want)
		}
	})
}
