package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
)

// BenchmarkMatchHooks finds the 5 hooks an event reaches among 10 and among
// 10,000 hooks of other event types: through the pattern index, the cost
// stays the same whatever the number of hooks.
func BenchmarkMatchHooks(b *testing.B) {
	for i, backend := range storetest.Backends(b) {
		for _, total := range []int{10, 10000} {
			b.Run(fmt.Sprintf("%s/hooks=%d", backend.Name, total), func(b *testing.B) {
				st := storetest.Open(b, storetest.Backends(b)[i]) // a fresh database each
				for i := 0; i < total; i++ {
					event := fmt.Sprintf("Other%d.Event", i)
					if i < 5 {
						event = "Contact.Update"
					}
					if err := st.CreateHook(ctx, hook("t1", event)); err != nil {
						b.Fatal(err)
					}
				}
				ev, _ := models.ParseEventType("Contact.Update")
				b.ResetTimer()
				for b.Loop() {
					hs, err := st.MatchHooks(ctx, "t1", ev, nil, time.Now(), 0, 100)
					if err != nil || len(hs) != 5 {
						b.Fatalf("MatchHooks = %d hooks, %v", len(hs), err)
					}
				}
			})
		}
	}
}
