package config

import (
	"fmt"
	"os"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
)

// LoadTemporalProfile reads Temporal's client configuration the way the
// temporal CLI and the SDKs do (go.temporal.io/sdk/contrib/envconfig): the
// profile TEMPORAL_PROFILE (default "default") of the TOML file
// TEMPORAL_CONFIG_FILE (default ~/.config/temporalio/temporal.toml; a
// missing file is no error), then TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
// TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH/_DATA,
// TEMPORAL_TLS_CLIENT_KEY_PATH/_DATA, TEMPORAL_TLS_SERVER_CA_CERT_PATH/_DATA,
// TEMPORAL_TLS_SERVER_NAME, TEMPORAL_TLS_DISABLE_HOST_VERIFICATION,
// TEMPORAL_CLIENT_AUTHORITY and TEMPORAL_GRPC_META_* over it.
func LoadTemporalProfile(getenv func(string) string) (envconfig.ClientConfigProfile, error) {
	prof, err := envconfig.LoadClientConfigProfile(envconfig.LoadClientConfigProfileOptions{EnvLookup: temporalEnv(getenv)})
	if err != nil {
		file, name := getenv("TEMPORAL_CONFIG_FILE"), getenv("TEMPORAL_PROFILE")
		if file == "" {
			file = envconfig.DefaultConfigFilePath()
		}
		if name == "" {
			name = envconfig.DefaultConfigFileProfile
		}
		return prof, fmt.Errorf("TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE: %w (file %s, profile %s)", err, file, name)
	}
	if _, err := prof.ToClientOptions(envconfig.ToClientOptionsRequest{}); err != nil {
		return prof, fmt.Errorf("TEMPORAL_TLS_*: %w", err)
	}
	return prof, nil
}

// TemporalClientOptions are the Temporal SDK client options of serve, api and
// worker: the profile's TLS, API key, gRPC metadata and authority, with the
// address and namespace as resolved by Load.
func (c Config) TemporalClientOptions() (client.Options, error) {
	opts, err := c.Temporal.ToClientOptions(envconfig.ToClientOptionsRequest{})
	if err != nil {
		return client.Options{}, fmt.Errorf("temporal client configuration: %w", err)
	}
	opts.HostPort = c.TemporalAddress
	opts.Namespace = c.TemporalNamespace
	return opts, nil
}

// TemporalTLS reports whether the connection to Temporal uses TLS, and
// whether it authenticates with an API key, for the start-up log line.
func (c Config) TemporalTLS() (tls, apiKey bool) {
	tls = c.Temporal.TLS != nil && !c.Temporal.TLS.Disabled || c.Temporal.TLS == nil && c.Temporal.APIKey != ""
	return tls, c.Temporal.APIKey != ""
}

// temporalEnv hands envconfig the environment hookflow's settings read, so
// tests can pass their own; an empty variable counts as unset, as ours do.
type temporalEnv func(string) string

func (e temporalEnv) LookupEnv(key string) (string, bool) {
	v := e(key)
	return v, v != ""
}

// Environ lists the TEMPORAL_GRPC_META_* variables: envconfig finds those
// headers by walking the environment, which a lookup function cannot list,
// so the process's names are read here and their values through e.
func (e temporalEnv) Environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if v := e(k); strings.HasPrefix(k, "TEMPORAL_GRPC_META_") && v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}
