package activities_test

import (
	"testing"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/testsuite"
)

// A retention pass computes its cutoff from its clock: with the clock moved
// 40 days ahead, the event received now is gone and one received 15 days
// "later" stays; a pass with no retention set refuses to run.
func TestDeleteExpiredFollowsTheClock(t *testing.T) {
	st := storetest.Open(t, storetest.SQLite(t))
	now := time.Now().UTC()
	for id, at := range map[string]time.Time{"now": now, "later": now.Add(15 * 24 * time.Hour)} {
		e := &models.Event{ID: id, Tenant: "t1", Type: "Contact.Update", OccurredAt: at, ReceivedAt: at, Body: []byte(`{}`), WorkflowID: "w-" + id}
		if _, err := st.CreateEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	clock := now.Add(40 * 24 * time.Hour)
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Pruner{Store: st, Retention: 30 * 24 * time.Hour, Now: func() time.Time { return clock }, Page: 1})
	v, err := env.ExecuteActivity("DeleteExpired", activities.PruneInput{})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.PruneResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	if res.Events != 1 || !res.Cutoff.Equal(clock.Add(-30*24*time.Hour)) {
		t.Errorf("pass = %+v, want 1 event before %s", res, clock.Add(-30*24*time.Hour))
	}
	if _, err := st.Event(ctx, "t1", "now"); err == nil {
		t.Error("the event older than the retention was kept")
	}
	if _, err := st.Event(ctx, "t1", "later"); err != nil {
		t.Errorf("the younger event was deleted: %v", err)
	}

	env = ts.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Pruner{Store: st, Now: time.Now})
	if _, err := env.ExecuteActivity("DeleteExpired", activities.PruneInput{}); err == nil {
		t.Error("a pass without a retention ran")
	}
	if _, err := st.Event(ctx, "t1", "later"); err != nil {
		t.Errorf("a pass without a retention deleted: %v", err)
	}
}
