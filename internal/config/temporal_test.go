package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/internal/receiverauth/authtest"
)

// serveVars are the settings serve needs besides Temporal's, with a config
// file that does not exist, so the machine's own profile cannot leak in.
func serveVars(t *testing.T, extra map[string]string) map[string]string {
	vars := map[string]string{"HOOKFLOW_DATABASE_URL": "postgres://x/y", "HOOKFLOW_API_KEYS": "0123456789abcdef", "HOOKFLOW_ENCRYPTION_KEYS": testKey,
		"TEMPORAL_CONFIG_FILE": filepath.Join(t.TempDir(), "none.toml")}
	for k, v := range extra {
		vars[k] = v
	}
	return vars
}

// A TOML profile, as `temporal config set` writes it, configures the
// connection; TEMPORAL_* variables override the file, HOOKFLOW_* variables
// override those, and flags override everything.
func TestTemporalProfileAndOverrides(t *testing.T) {
	dir := t.TempDir()
	ca := authtest.NewCA(t)
	cert, key := ca.Client(t, "hookflow")
	files := map[string]string{"ca.pem": ca.PEM, "client.pem": cert, "client.key": key}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "temporal.toml")
	toml := `
[profile.default]
address = "file-default:7233"
namespace = "file-ns"

[profile.cloud]
address = "acme.a1b2c.tmprl.cloud:7233"
namespace = "acme.a1b2c"
[profile.cloud.tls]
client_cert_path = "` + filepath.Join(dir, "client.pem") + `"
client_key_path = "` + filepath.Join(dir, "client.key") + `"
server_ca_cert_path = "` + filepath.Join(dir, "ca.pem") + `"
server_name = "temporal.example"
`
	if err := os.WriteFile(file, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := serveVars(t, map[string]string{"TEMPORAL_CONFIG_FILE": file})

	c, err := load(t, CmdServe, vars)
	if err != nil {
		t.Fatal(err)
	}
	if c.TemporalAddress != "file-default:7233" || c.TemporalNamespace != "file-ns" {
		t.Errorf("default profile: %s %s", c.TemporalAddress, c.TemporalNamespace)
	}

	vars["TEMPORAL_PROFILE"] = "cloud"
	c, err = load(t, CmdWorker, vars)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := c.TemporalClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if opts.HostPort != "acme.a1b2c.tmprl.cloud:7233" || opts.Namespace != "acme.a1b2c" {
		t.Errorf("cloud profile: %s %s", opts.HostPort, opts.Namespace)
	}
	tls := opts.ConnectionOptions.TLS
	if tls == nil || len(tls.Certificates) != 1 || tls.RootCAs == nil || tls.ServerName != "temporal.example" {
		t.Fatalf("mTLS from the profile: %+v", tls)
	}

	vars["TEMPORAL_ADDRESS"] = "env:7233"
	vars["TEMPORAL_TLS_SERVER_NAME"] = "other.example"
	c, _ = load(t, CmdAPI, vars)
	opts, _ = c.TemporalClientOptions()
	if opts.HostPort != "env:7233" || opts.Namespace != "acme.a1b2c" || opts.ConnectionOptions.TLS.ServerName != "other.example" {
		t.Errorf("TEMPORAL_* over the file: %s %s %s", opts.HostPort, opts.Namespace, opts.ConnectionOptions.TLS.ServerName)
	}

	vars["HOOKFLOW_TEMPORAL_ADDRESS"] = "ours:7233"
	vars["HOOKFLOW_TEMPORAL_NAMESPACE"] = "ours"
	c, _ = load(t, CmdAPI, vars)
	if c.TemporalAddress != "ours:7233" || c.TemporalNamespace != "ours" {
		t.Errorf("HOOKFLOW_* over TEMPORAL_*: %s %s", c.TemporalAddress, c.TemporalNamespace)
	}
	c, _ = load(t, CmdAPI, vars, "--temporal-address", "flag:7233")
	if c.TemporalAddress != "flag:7233" {
		t.Errorf("flag over everything: %s", c.TemporalAddress)
	}
}

// An API key alone turns TLS on (Temporal Cloud) and is sent as a bearer
// credential; with nothing set, hookflow talks plaintext to 127.0.0.1:7233.
func TestTemporalAPIKey(t *testing.T) {
	c, err := load(t, CmdWorker, serveVars(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	opts, _ := c.TemporalClientOptions()
	if opts.HostPort != "127.0.0.1:7233" || opts.Namespace != "default" || opts.ConnectionOptions.TLS != nil || opts.Credentials != nil {
		t.Errorf("defaults: %+v", opts)
	}
	if tls, key := c.TemporalTLS(); tls || key {
		t.Errorf("TemporalTLS() = %v %v without settings", tls, key)
	}

	c, err = load(t, CmdWorker, serveVars(t, map[string]string{"TEMPORAL_API_KEY": "secret-key", "TEMPORAL_ADDRESS": "us-east-1.aws.api.temporal.io:7233"}))
	if err != nil {
		t.Fatal(err)
	}
	opts, _ = c.TemporalClientOptions()
	if opts.ConnectionOptions.TLS == nil || opts.Credentials == nil {
		t.Errorf("API key: TLS %v, credentials %v", opts.ConnectionOptions.TLS, opts.Credentials)
	}
	if tls, key := c.TemporalTLS(); !tls || !key {
		t.Errorf("TemporalTLS() = %v %v with an API key", tls, key)
	}
	c, _ = load(t, CmdWorker, serveVars(t, map[string]string{"TEMPORAL_API_KEY": "secret-key", "TEMPORAL_TLS": "false"}))
	if opts, _ := c.TemporalClientOptions(); !opts.ConnectionOptions.TLSDisabled {
		t.Error("TEMPORAL_TLS=false did not turn TLS off")
	}
}

// A TLS file that cannot be read, or a profile that does not exist, stops
// the process at start with one line naming the settings, never the key.
func TestBadTemporalSettingsNameTheVariable(t *testing.T) {
	_, err := load(t, CmdServe, serveVars(t, map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": "/nonexistent/cert.pem",
		"TEMPORAL_TLS_CLIENT_KEY_PATH": "/nonexistent/key.pem", "TEMPORAL_API_KEY": "hunter2-key"}))
	if err == nil || !strings.HasPrefix(err.Error(), "TEMPORAL_TLS_*: ") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("unreadable certificate: %v", err)
	}
	_, err = load(t, CmdServe, serveVars(t, map[string]string{"TEMPORAL_PROFILE": "nope"}))
	if err == nil || !strings.HasPrefix(err.Error(), "TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE: ") || !strings.Contains(err.Error(), "profile nope") {
		t.Errorf("missing profile: %v", err)
	}
	// dev runs its own server: Temporal's client configuration is not its business.
	if _, err := load(t, CmdDev, map[string]string{"TEMPORAL_PROFILE": "nope", "TEMPORAL_NAMESPACE": "mine"}); err != nil {
		t.Errorf("dev read the Temporal profile: %v", err)
	}
}
