package store_test

import (
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/seal"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/internal/store/storetest"
	"github.com/hookflow/hookflow/models"
)

// sealedRow reads a hook's sealed columns as the database holds them.
func sealedRow(t *testing.T, db *sql.DB, id int64) [3]string {
	t.Helper()
	var r [3]string
	q := "SELECT secret, previous_secret, receiver_auth FROM hooks WHERE id = $1"
	if err := db.QueryRow(q, id).Scan(&r[0], &r[1], &r[2]); err != nil {
		t.Fatal(err)
	}
	return r
}

func openStore(t *testing.T, b storetest.Backend, keys *seal.Keyring) *store.Store {
	t.Helper()
	st, err := store.Open(ctx, b.URL, keys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func keyring(t *testing.T, keys ...string) *seal.Keyring {
	t.Helper()
	k, err := seal.ParseKeys(strings.Join(keys, ","))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Every write seals the secret, the previous secret and the receiver
// credentials; every read opens them. The rows hold none of them in clear,
// and a sealed value copied into another hook's row does not open.
func TestHookSecretsAreSealedAtRest(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			st, raw := storetest.Open(t, b), storetest.Raw(t, b)
			h := hook("t1", "*")
			h.ReceiverAuth = &models.ReceiverAuth{Type: models.AuthOAuth2, TokenURL: "https://auth.example.com/token",
				ClientID: "hookflow-client", ClientSecret: "oauth-client-secret-42"}
			if err := st.CreateHook(ctx, h); err != nil {
				t.Fatal(err)
			}
			expires := time.Now().Add(time.Hour)
			h.PreviousSecret, h.PreviousSecretExpires, h.Secret = h.Secret, &expires, "whsec_bmV3c2VjcmV0bmV3c2VjcmV0"
			if err := st.UpdateHook(ctx, h, h.State); err != nil {
				t.Fatal(err)
			}
			row := sealedRow(t, raw, h.ID)
			for i, v := range row {
				if id, ok := seal.KeyIDOf(v); !ok || id != storetest.Keys.CurrentID() {
					t.Errorf("column %d = %q, want sealed with the newest key", i, v)
				}
				for _, secret := range []string{"whsec_c2VjcmV0c2VjcmV0", "whsec_bmV3c2VjcmV0bmV3c2VjcmV0", "oauth-client-secret-42", "hookflow-client"} {
					if strings.Contains(v, secret) {
						t.Errorf("column %d holds %q in clear", i, secret)
					}
				}
			}
			got, err := st.Hook(ctx, "t1", h.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Secret != h.Secret || got.PreviousSecret != "whsec_c2VjcmV0c2VjcmV0" || got.ReceiverAuth == nil ||
				got.ReceiverAuth.ClientSecret != "oauth-client-secret-42" || h.ReceiverAuth.ClientSecret != "oauth-client-secret-42" {
				t.Errorf("read back %q, %q, %+v", got.Secret, got.PreviousSecret, got.ReceiverAuth)
			}
			listed, err := st.Hooks(ctx, store.HookQuery{Tenant: "t1", Limit: 10})
			if err != nil || len(listed) != 1 || listed[0].Secret != h.Secret {
				t.Errorf("Hooks = %+v, %v", listed, err)
			}

			other := hook("t2", "*")
			if err := st.CreateHook(ctx, other); err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec("UPDATE hooks SET secret = $1 WHERE id = $2", row[0], other.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Hook(ctx, "", other.ID); !errors.Is(err, seal.ErrCorrupt) {
				t.Errorf("a secret copied from hook %d into hook %d: %v, want ErrCorrupt", h.ID, other.ID, err)
			}
		})
	}
}

// An upgrade seals what rows held in clear (SealPlaintext, run by migrate),
// and a rotation re-seals everything under the new key (Reseal). A process
// whose keys cannot open what the rows hold is told at start (CheckKeys).
func TestSealPlaintextAndRotateKeys(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			oldKey, newKey := seal.NewKey(), seal.NewKey()
			st := storetest.Open(t, b) // migrated
			old := openStore(t, b, keyring(t, oldKey))
			raw := storetest.Raw(t, b)
			var ids []int64
			for range 3 {
				h := hook("t1", "*")
				if err := old.CreateHook(ctx, h); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, h.ID)
			}
			// Rows as a version without encryption at rest wrote them.
			if _, err := raw.Exec("UPDATE hooks SET secret = 'whsec_cGxhaW5wbGFpbnBsYWlu', previous_secret = 'plain-previous' WHERE id = $1", ids[0]); err != nil {
				t.Fatal(err)
			}
			if h, err := old.Hook(ctx, "", ids[0]); err != nil || h.Secret != "whsec_cGxhaW5wbGFpbnBsYWlu" {
				t.Fatalf("a row in clear reads as %v, %v", h, err)
			}
			res, err := old.SealPlaintext(ctx)
			if err != nil || res.Sealed != 1 || res.Left != 0 {
				t.Fatalf("SealPlaintext = %+v, %v; want 1 hook sealed", res, err)
			}
			if r := sealedRow(t, raw, ids[0]); !seal.Sealed(r[0]) || !seal.Sealed(r[1]) || strings.Contains(r[0]+r[1], "plain") {
				t.Errorf("after SealPlaintext the row holds %q", r)
			}
			if res, err := old.SealPlaintext(ctx); err != nil || res.Sealed != 0 {
				t.Errorf("SealPlaintext again = %+v, %v; want nothing to do", res, err)
			}

			rotated := openStore(t, b, keyring(t, newKey, oldKey))
			if err := rotated.CheckKeys(ctx); err != nil {
				t.Fatalf("CheckKeys with the new key first = %v", err)
			}
			res, err = rotated.Reseal(ctx)
			if err != nil || res.Sealed != 3 || res.Left != 0 {
				t.Fatalf("Reseal = %+v, %v; want 3 hooks re-sealed", res, err)
			}
			newOnly := openStore(t, b, keyring(t, newKey))
			if err := newOnly.CheckKeys(ctx); err != nil {
				t.Errorf("after Reseal the new key alone does not do: %v", err)
			}
			if h, err := newOnly.Hook(ctx, "", ids[0]); err != nil || h.PreviousSecret != "plain-previous" {
				t.Errorf("read with the new key = %v, %v", h, err)
			}
			err = old.CheckKeys(ctx)
			if !errors.Is(err, store.ErrKeyMissing) || !strings.Contains(err.Error(), keyring(t, newKey).CurrentID()) || strings.Contains(err.Error(), newKey) {
				t.Errorf("CheckKeys with only the old key = %v, want ErrKeyMissing naming the new key's id", err)
			}
			if err := st.CheckKeys(ctx); !errors.Is(err, store.ErrKeyMissing) {
				t.Errorf("CheckKeys with an unrelated key = %v", err)
			}
		})
	}
}
