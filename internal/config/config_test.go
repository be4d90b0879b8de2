package config

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/seal"
	"github.com/spf13/pflag"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func load(t *testing.T, cmd string, vars map[string]string, args ...string) (Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet(cmd, pflag.ContinueOnError)
	Bind(fs, cmd)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return Load(cmd, fs, env(vars))
}

// testKey is a valid HOOKFLOW_ENCRYPTION_KEYS for the roles that need one.
var testKey = seal.NewKey()

func TestDefaults(t *testing.T) {
	c, err := load(t, CmdDev, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || !c.AllowPrivate || c.DatabaseURL != ".hookflow/hookflow.db" || c.UIPort != 8233 || c.TemporalPort != 7233 {
		t.Errorf("dev defaults = %+v", c)
	}
	want := Retry{InitialInterval: 5 * time.Second, Backoff: 3, MaxInterval: 2 * time.Hour, MaxAttempts: 19}
	if c.Retention != 30*24*time.Hour {
		t.Errorf("retention = %s, want 30 days", c.Retention)
	}
	if c.Retry != want || c.TaskQueue != "hookflow" || c.TemporalNamespace != "default" || c.MaxBodyBytes != 5<<20 || c.MaxRecords != 10000 {
		t.Errorf("defaults = %+v", c)
	}
	c, _ = load(t, CmdDev, nil, "--ephemeral")
	if c.DatabaseURL != ":memory:" {
		t.Errorf("ephemeral database = %q", c.DatabaseURL)
	}
	if c.EncryptionKeys != nil {
		t.Error("dev without HOOKFLOW_ENCRYPTION_KEYS has keys: its own come from the data dir")
	}
	c, err = load(t, CmdServe, map[string]string{"HOOKFLOW_DATABASE_URL": "postgres://x/y", "HOOKFLOW_API_KEYS": "0123456789abcdef",
		"HOOKFLOW_ENCRYPTION_KEYS": testKey})
	if err != nil || c.Addr != ":8080" || c.AllowPrivate {
		t.Errorf("serve defaults = %+v, %v", c, err)
	}
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	vars := map[string]string{"HOOKFLOW_RETRY_MAX_ATTEMPTS": "3", "HOOKFLOW_ADDR": "127.0.0.1:1", "TEMPORAL_ADDRESS": "temporal:7233",
		"HOOKFLOW_DATABASE_URL": "x.db", "HOOKFLOW_API_KEYS": "all-tenants-key-01, acme-key-0123456789:acme", "HOOKFLOW_ENCRYPTION_KEYS": testKey}
	c, err := load(t, CmdServe, vars, "--retry-max-attempts=5")
	if err != nil {
		t.Fatal(err)
	}
	if c.Retry.MaxAttempts != 5 || c.Addr != "127.0.0.1:1" || c.TemporalAddress != "temporal:7233" {
		t.Errorf("config = %+v", c)
	}
	if len(c.APIKeys) != 2 || c.APIKeys[0].Tenant != "" || c.APIKeys[1] != (APIKey{"acme-key-0123456789", "acme"}) {
		t.Errorf("keys = %+v", c.APIKeys)
	}
	if k, ok := Match(c.APIKeys, "acme-key-0123456789"); !ok || k.Tenant != "acme" {
		t.Errorf("Match = %+v %v", k, ok)
	}
	if _, ok := Match(c.APIKeys, "acme-key-012345678"); ok {
		t.Error("Match accepted a prefix of a key")
	}
}

// Each bad setting is reported on its own line naming the variable, and
// secrets in values are not echoed.
func TestBadSettingsNameTheVariable(t *testing.T) {
	vars := map[string]string{
		"HOOKFLOW_RETRY_BACKOFF":          "fast",
		"HOOKFLOW_RETRY_INITIAL_INTERVAL": "5",
		"HOOKFLOW_ADDR":                   "localhost",
		"HOOKFLOW_API_KEYS":               "short",
		"HOOKFLOW_SMTP_URL":               "http://user:hunter2@mail",
		"HOOKFLOW_LOG_LEVEL":              "loud",
		"HOOKFLOW_ENCRYPTION_KEYS":        testKey + ",hunter3",
		"HOOKFLOW_RETENTION":              "23h",
	}
	_, err := load(t, CmdServe, vars)
	if err == nil {
		t.Fatal("Load accepted bad settings")
	}
	lines := strings.Split(err.Error(), "\n")
	for _, want := range []string{"HOOKFLOW_RETRY_BACKOFF", "HOOKFLOW_RETRY_INITIAL_INTERVAL", "HOOKFLOW_ADDR", "HOOKFLOW_API_KEYS", "HOOKFLOW_SMTP_URL", "HOOKFLOW_LOG_LEVEL", "HOOKFLOW_DATABASE_URL", "HOOKFLOW_ENCRYPTION_KEYS", "HOOKFLOW_RETENTION"} {
		n := 0
		for _, l := range lines {
			if strings.HasPrefix(l, want+":") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d lines name %s, want 1:\n%s", n, want, err)
		}
	}
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "short") || strings.Contains(err.Error(), "hunter3") || strings.Contains(err.Error(), testKey) {
		t.Errorf("error echoes a secret:\n%s", err)
	}
	if _, err := load(t, CmdAPI, map[string]string{"HOOKFLOW_DATABASE_URL": "x.db", "HOOKFLOW_ENCRYPTION_KEYS": testKey}); err == nil || !strings.Contains(err.Error(), "HOOKFLOW_API_KEYS: is required") {
		t.Errorf("api without keys: %v", err)
	}
	if _, err := load(t, CmdAPI, map[string]string{"HOOKFLOW_DATABASE_URL": "x.db", "HOOKFLOW_ENCRYPTION_KEYS": testKey}, "--insecure-no-auth"); err != nil {
		t.Errorf("api --insecure-no-auth: %v", err)
	}
}

// Every role that reads or writes secrets refuses to start without keys to
// seal them; dev makes its own, and keys rotate newest first.
func TestEncryptionKeys(t *testing.T) {
	for _, cmd := range []string{CmdServe, CmdAPI, CmdWorker, CmdMigrate, CmdSecrets} {
		_, err := load(t, cmd, map[string]string{"HOOKFLOW_DATABASE_URL": "x.db", "HOOKFLOW_API_KEYS": "0123456789abcdef"})
		if err == nil || !strings.HasPrefix(err.Error(), "HOOKFLOW_ENCRYPTION_KEYS: is required") || strings.Count(err.Error(), "\n") != 0 {
			t.Errorf("%s without HOOKFLOW_ENCRYPTION_KEYS: %v; want one line naming it", cmd, err)
		}
	}
	older := seal.NewKey()
	c, err := load(t, CmdWorker, map[string]string{"HOOKFLOW_DATABASE_URL": "x.db", "HOOKFLOW_ENCRYPTION_KEYS": testKey + ", " + older})
	if err != nil || len(c.EncryptionKeys.IDs()) != 2 {
		t.Fatalf("two keys: %v, %v", c.EncryptionKeys, err)
	}
	newest, _ := seal.ParseKeys(testKey)
	if c.EncryptionKeys.CurrentID() != newest.CurrentID() {
		t.Error("the first key listed does not seal")
	}
}

func TestREADMEListsEverySetting(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings {
		if !strings.Contains(string(b), "`"+s.Env+"`") || !strings.Contains(string(b), "`--"+s.Flag+"`") {
			t.Errorf("README does not list %s / --%s", s.Env, s.Flag)
		}
	}
}

// HOOKFLOW_RETENTION takes a Go duration or whole days, of a day at least.
func TestRetention(t *testing.T) {
	for v, want := range map[string]time.Duration{"720h": 720 * time.Hour, "90d": 90 * 24 * time.Hour, "24h": 24 * time.Hour,
		"23h59m": 0, "0d": 0, "-30d": 0, "30 days": 0, "1.5d": 0} {
		c, err := load(t, CmdWorker, map[string]string{"HOOKFLOW_RETENTION": v, "HOOKFLOW_DATABASE_URL": "x.db", "HOOKFLOW_ENCRYPTION_KEYS": testKey})
		if want == 0 {
			if err == nil || !strings.Contains(err.Error(), "HOOKFLOW_RETENTION") {
				t.Errorf("HOOKFLOW_RETENTION=%q: err = %v, want one naming it", v, err)
			}
			continue
		}
		if err != nil || c.Retention != want {
			t.Errorf("HOOKFLOW_RETENTION=%q = %s, %v; want %s", v, c.Retention, err, want)
		}
	}
}
