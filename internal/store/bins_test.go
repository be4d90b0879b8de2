package store_test

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
)

func newBin(t *testing.T, st *store.Store, tenant string, created time.Time) *models.Bin {
	t.Helper()
	b := &models.Bin{Tenant: tenant, CreatedAt: created, ExpiresAt: created.Add(models.BinTTL)}
	if err := st.CreateBin(ctx, b); err != nil {
		t.Fatalf("CreateBin: %v", err)
	}
	return b
}

func capture(t *testing.T, st *store.Store, binID string, n int, keep int) {
	t.Helper()
	for range n {
		r := &models.BinRequest{BinID: binID, ReceivedAt: time.Now().UTC(), Method: "POST", Path: "/bins/" + binID,
			Headers: models.JSON[map[string][]string]{V: map[string][]string{"X-N": {"1"}}}, Body: []byte("{}")}
		if err := st.CaptureRequest(ctx, r, keep); err != nil {
			t.Fatalf("CaptureRequest: %v", err)
		}
	}
}

func TestBinLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		now := time.Now().UTC()
		b := newBin(t, st, "t1", now)
		if !regexp.MustCompile(`^[a-z2-7]{32}$`).MatchString(b.ID) {
			t.Errorf("bin id %q: want 32 base32 characters", b.ID)
		}
		if other := newBin(t, st, "t1", now); other.ID == b.ID {
			t.Fatalf("two bins got the same id %s", b.ID)
		}
		if _, err := st.Bin(ctx, "t1", b.ID, now); err != nil {
			t.Errorf("Bin(own tenant) = %v", err)
		}
		if _, err := st.Bin(ctx, "", b.ID, now); err != nil {
			t.Errorf("Bin(any tenant) = %v", err)
		}
		if _, err := st.Bin(ctx, "t2", b.ID, now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Bin(other tenant) err = %v, want ErrNotFound", err)
		}
		later := now.Add(models.BinTTL + time.Second)
		if _, err := st.Bin(ctx, "", b.ID, later); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Bin(expired) err = %v, want ErrNotFound", err)
		}
		capture(t, st, b.ID, 2, models.BinMaxRequests)
		fresh := newBin(t, st, "t1", later)
		n, err := st.PurgeBins(ctx, later)
		if err != nil || n != 2 {
			t.Fatalf("PurgeBins = %d, %v; want the 2 expired bins", n, err)
		}
		if c, _ := st.CountBinRequests(ctx, b.ID); c != 0 {
			t.Errorf("a purged bin keeps %d requests", c)
		}
		if _, err := st.Bin(ctx, "", fresh.ID, later); err != nil {
			t.Errorf("PurgeBins removed a live bin: %v", err)
		}
		if err := st.DeleteBin(ctx, "t2", fresh.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteBin(other tenant) err = %v, want ErrNotFound", err)
		}
		if err := st.DeleteBin(ctx, "t1", fresh.ID); err != nil {
			t.Errorf("DeleteBin = %v", err)
		}
		r := &models.BinRequest{BinID: fresh.ID, ReceivedAt: later, Method: "GET", Path: "/bins/" + fresh.ID, Body: []byte{}}
		if err := st.CaptureRequest(ctx, r, 10); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CaptureRequest(deleted bin) err = %v, want ErrNotFound", err)
		}
	})
}

func TestBinKeepsTheNewestRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBin(t, st, "t1", time.Now().UTC())
		capture(t, st, b.ID, 7, 5)
		all, err := st.BinRequests(ctx, store.BinRequestQuery{BinID: b.ID, Limit: 100})
		if err != nil || len(all) != 5 {
			t.Fatalf("BinRequests = %d requests, %v; want the newest 5", len(all), err)
		}
		for i := 1; i < len(all); i++ {
			if all[i].ID >= all[i-1].ID {
				t.Fatalf("requests not newest first: %d before %d", all[i-1].ID, all[i].ID)
			}
		}
		if all[0].Headers.V["X-N"][0] != "1" || string(all[0].Body) != "{}" {
			t.Errorf("request = %+v", all[0])
		}
		older, _ := st.BinRequests(ctx, store.BinRequestQuery{BinID: b.ID, BeforeID: all[1].ID, Limit: 100})
		newer, _ := st.BinRequests(ctx, store.BinRequestQuery{BinID: b.ID, AfterID: all[1].ID, Limit: 100})
		if len(older) != 3 || len(newer) != 1 || newer[0].ID != all[0].ID {
			t.Errorf("before/after pages = %d, %d requests; want 3, 1", len(older), len(newer))
		}
	})
}
