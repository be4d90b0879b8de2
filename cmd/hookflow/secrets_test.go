package main

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/seal"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
)

// hookflow runs the binary (this test binary, as main) with env and args
// and returns its combined output.
func hookflow(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "HOOKFLOW_TEST_RUN_MAIN=1", "HOOKFLOW_LOG_LEVEL=warn"), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// An upgrade: hookflow migrate seals the secrets a database holds in clear.
// A rotation: with a new key first, hookflow secrets rotate-key re-seals
// every hook with it, and the old key can go. A process without the key a
// hook is sealed with stops at start with one line.
func TestMigrateSealsAndRotateKeyReseals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookflow.db")
	oldKey, newKey := seal.NewKey(), seal.NewKey()
	keys := func(k ...string) []string {
		return []string{"HOOKFLOW_DATABASE_URL=" + path, "HOOKFLOW_ENCRYPTION_KEYS=" + strings.Join(k, ",")}
	}
	out, err := hookflow(t, keys(), "migrate")
	if err == nil || !strings.Contains(out, "HOOKFLOW_ENCRYPTION_KEYS: is required") {
		t.Fatalf("migrate without keys: %v\n%s", err, out)
	}
	if out, err := hookflow(t, keys(oldKey), "migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}

	ring := func(k ...string) *seal.Keyring {
		r, err := seal.ParseKeys(strings.Join(k, ","))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	st, err := store.Open(context.Background(), path, ring(oldKey))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	h := &models.Hook{Tenant: "default", Events: models.JSON[[]string]{V: []string{"*"}}, TargetURL: "https://example.com/",
		Secret: "whsec_c2VhbGVkc2VhbGVkc2VhbGVk", State: models.StateActive, Type: models.HookTypeWebhook,
		Format: "standard", Registered: now, Updated: now}
	if err := st.CreateHook(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// The hook as a hookflow without encryption at rest stored it.
	if _, err := raw.Exec("UPDATE hooks SET secret = 'whsec_cGxhaW5wbGFpbnBsYWlu' WHERE id = ?", h.ID); err != nil {
		t.Fatal(err)
	}
	if out, err := hookflow(t, keys(oldKey), "migrate"); err != nil || !strings.Contains(out, "sealed the secrets of 1 hooks that held them in clear") {
		t.Fatalf("migrate over a secret in clear: %v\n%s", err, out)
	}

	out, err = hookflow(t, keys(newKey, oldKey), "secrets", "rotate-key")
	newID := ring(newKey).CurrentID()
	if err != nil || !strings.Contains(out, "re-sealed the secrets of 1 hooks with key "+newID) || !strings.Contains(out, "every hook is sealed") {
		t.Fatalf("rotate-key: %v\n%s", err, out)
	}
	var stored string
	if err := raw.QueryRow("SELECT secret FROM hooks WHERE id = ?", h.ID).Scan(&stored); err != nil || !strings.HasPrefix(stored, seal.Prefix+newID+":") {
		t.Errorf("after rotate-key the row holds %q, %v", stored, err)
	}
	out, err = hookflow(t, keys(oldKey), "secrets", "rotate-key")
	if err == nil || !strings.Contains(out, "does not hold") || !strings.Contains(out, newID) || strings.Contains(out, newKey) {
		t.Errorf("a process with only the old key: %v\n%s", err, out)
	}
	fresh, err := store.Open(context.Background(), path, ring(newKey))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if got, err := fresh.Hook(context.Background(), "", h.ID); err != nil || got.Secret != "whsec_cGxhaW5wbGFpbnBsYWlu" {
		t.Errorf("with the new key alone the hook reads %v, %v", got, err)
	}
	out, _ = hookflow(t, nil, "secrets", "generate-key")
	if _, err := seal.ParseKeys(strings.TrimSpace(out)); err != nil {
		t.Errorf("generate-key printed %q, not a key: %v", out, err)
	}
}

// hookflow dev keeps a key in its data dir (the same one each start), a
// fresh one in memory with --ephemeral, and keeps its file key after keys
// given in HOOKFLOW_ENCRYPTION_KEYS so what it sealed still opens.
func TestDevKeys(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Config{DataDir: dir}
	first, err := devKeys(cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := devKeys(cfg)
	if again.CurrentID() != first.CurrentID() {
		t.Error("a second start made another key")
	}
	if fi, err := os.Stat(filepath.Join(dir, devKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v", fi, err)
	}
	given, _ := seal.ParseKeys(seal.NewKey())
	cfg.EncryptionKeys = given
	both, _ := devKeys(cfg)
	if ids := both.IDs(); len(ids) != 2 || ids[0] != given.CurrentID() || ids[1] != first.CurrentID() {
		t.Errorf("given keys and the file's = %v", ids)
	}
	cfg.DataDir = t.TempDir() // no key file there: the given keys alone
	if k, _ := devKeys(cfg); len(k.IDs()) != 1 {
		t.Errorf("given keys without a file = %v", k.IDs())
	}
	cfg.EncryptionKeys, cfg.Ephemeral = nil, true
	if k, _ := devKeys(cfg); k == nil || k.CurrentID() == first.CurrentID() {
		t.Error("--ephemeral reused the data dir's key")
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, devKeyFile)); err == nil {
		t.Error("--ephemeral wrote a key file")
	}
}
