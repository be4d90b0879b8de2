package seal_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/internal/seal"
)

func ring(t *testing.T, keys string) *seal.Keyring {
	t.Helper()
	k, err := seal.ParseKeys(keys)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpens(t *testing.T) {
	k := ring(t, seal.NewKey())
	for _, plain := range []string{"", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", strings.Repeat("é", 5000)} {
		s := k.Seal(plain, "hooks/1/secret")
		if !seal.Sealed(s) || strings.Contains(s, plain) && plain != "" {
			t.Fatalf("Seal(%q) = %q: not sealed", plain, s)
		}
		if id, _ := seal.KeyIDOf(s); id != k.CurrentID() {
			t.Errorf("sealed with key %s, want the newest %s", id, k.CurrentID())
		}
		got, err := k.Open(s, "hooks/1/secret")
		if err != nil || got != plain {
			t.Fatalf("Open = %q, %v; want %q", got, err, plain)
		}
	}
	if a, b := k.Seal("x", "a"), k.Seal("x", "a"); a == b {
		t.Error("two seals of one value are equal: the nonce repeats")
	}
}

// A value does not open under other additional data: a secret copied into
// another hook's row, or into another column, is refused.
func TestSealIsBoundToWhereItIsStored(t *testing.T) {
	k := ring(t, seal.NewKey())
	s := k.Seal("password", "hooks/1/receiver_auth")
	for _, aad := range []string{"hooks/2/receiver_auth", "hooks/1/secret", ""} {
		if _, err := k.Open(s, aad); !errors.Is(err, seal.ErrCorrupt) {
			t.Errorf("Open under %q = %v, want ErrCorrupt", aad, err)
		}
	}
	tampered := s[:len(s)-2] + "AA"
	if _, err := k.Open(tampered, "hooks/1/receiver_auth"); !errors.Is(err, seal.ErrCorrupt) {
		t.Errorf("Open of a tampered value = %v, want ErrCorrupt", err)
	}
	if _, err := k.Open("plain text", "x"); !errors.Is(err, seal.ErrCorrupt) {
		t.Errorf("Open of plain text = %v, want ErrCorrupt", err)
	}
}

// Keys rotate: a ring with a new key first still opens what the old key
// sealed, and seals with the new one; a ring without the old key says so.
func TestKeysRotate(t *testing.T) {
	oldKey, newKey := seal.NewKey(), seal.NewKey()
	old := ring(t, oldKey)
	s := old.Seal("secret", "aad")
	both := ring(t, newKey+", "+oldKey)
	if got, err := both.Open(s, "aad"); err != nil || got != "secret" {
		t.Fatalf("the rotated ring opens the old value: %q, %v", got, err)
	}
	if id, _ := seal.KeyIDOf(both.Seal("secret", "aad")); id != both.CurrentID() || id == old.CurrentID() {
		t.Errorf("the rotated ring seals with %s, want the new key %s", id, both.CurrentID())
	}
	if _, err := ring(t, newKey).Open(s, "aad"); !errors.Is(err, seal.ErrUnknownKey) || !strings.Contains(err.Error(), old.CurrentID()) {
		t.Errorf("a ring without the old key: %v, want ErrUnknownKey naming %s", err, old.CurrentID())
	}
	merged := ring(t, newKey).Merge(old)
	if ids := merged.IDs(); len(ids) != 2 || ids[0] != both.CurrentID() {
		t.Errorf("Merge = %v, want the new key then the old", ids)
	}
}

func TestParseKeysRejectsBadKeys(t *testing.T) {
	k := seal.NewKey()
	for _, bad := range []string{"", " , ", "short", k + ",not-base64!", k + "," + k, "c2hvcnQ="} {
		_, err := seal.ParseKeys(bad)
		if err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), k) {
			t.Errorf("the error repeats a key: %v", err)
		}
	}
	raw := strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(k), "=")
	if _, err := seal.ParseKeys(raw); err != nil {
		t.Errorf("an unpadded URL-safe key is refused: %v", err)
	}
}

// hookflow dev keeps its key in the data dir: made once, read back after.
func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "encryption.key")
	first, err := seal.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := seal.LoadOrCreateKeyFile(path)
	if err != nil || again != first {
		t.Fatalf("second load = %q, %v; want the first key", again, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := seal.LoadOrCreateKeyFile(path); err == nil {
		t.Error("a key file of garbage was accepted")
	}
}

func BenchmarkSealOpen(b *testing.B) {
	k, _ := seal.ParseKeys(seal.NewKey())
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	for b.Loop() {
		if _, err := k.Open(k.Seal(secret, "hooks/1/secret"), "hooks/1/secret"); err != nil {
			b.Fatal(err)
		}
	}
}
