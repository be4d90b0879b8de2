// Package config reads hookflow's settings from the environment and flags,
// and validates them at start so a bad setting stops the process with one
// clear line that names it.
package config

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookflow/hookflow/internal/seal"
	"github.com/hookflow/hookflow/models"
	"github.com/spf13/pflag"
	"go.temporal.io/sdk/contrib/envconfig"
)

// Config is every setting of every command; each command reads what it needs.
type Config struct {
	DatabaseURL       string
	TemporalAddress   string
	TemporalNamespace string
	TaskQueue         string
	Addr              string
	MetricsAddr       string
	APIKeys           []APIKey
	InsecureNoAuth    bool
	SMTPURL           string
	MailFrom          string
	AllowPrivate      bool
	Retry             Retry
	DeliveryTimeout   time.Duration
	Retention         time.Duration
	MaxBodyBytes      int64
	MaxRecords        int
	LogLevel          slog.Level
	PprofAddr         string
	// EncryptionKeys seal the hooks' secrets in the database; nil in dev
	// until it supplies its own.
	EncryptionKeys *seal.Keyring

	// Temporal is how serve, api and worker reach Temporal beyond its address
	// and namespace: TLS, API key, gRPC metadata, from Temporal's own client
	// configuration (see LoadTemporalProfile).
	Temporal envconfig.ClientConfigProfile

	// hookflow dev only.
	DataDir      string
	Ephemeral    bool
	TemporalPort int
	UIPort       int
}

// Retry is the delivery retry schedule: Temporal's retry policy for the send activity.
type Retry struct {
	InitialInterval time.Duration
	Backoff         float64
	MaxInterval     time.Duration
	MaxAttempts     int
}

// APIKey is one entry of HOOKFLOW_API_KEYS: a key for every tenant, or for one.
type APIKey struct {
	Key    string
	Tenant string // "" = all tenants
}

// Match returns the key that equals presented, comparing in constant time.
func Match(keys []APIKey, presented string) (APIKey, bool) {
	var found APIKey
	ok := 0
	for _, k := range keys {
		eq := subtle.ConstantTimeCompare([]byte(k.Key), []byte(presented))
		if eq == 1 {
			found = k
		}
		ok |= eq
	}
	return found, ok == 1
}

// Commands that take settings.
const (
	CmdDev     = "dev"
	CmdServe   = "serve"
	CmdAPI     = "api"
	CmdWorker  = "worker"
	CmdMigrate = "migrate"
	// CmdSecrets is hookflow secrets rotate-key: it re-seals the hooks' secrets.
	CmdSecrets = "secrets"
	// CmdTemporal runs only dev's embedded Temporal server, for serve, api and
	// worker on one machine without installing Temporal.
	CmdTemporal = "temporal"
)

var (
	all      = []string{CmdDev, CmdServe, CmdAPI, CmdWorker, CmdMigrate, CmdTemporal, CmdSecrets}
	database = []string{CmdDev, CmdServe, CmdAPI, CmdWorker, CmdMigrate, CmdSecrets}
	running  = []string{CmdDev, CmdServe, CmdAPI, CmdWorker, CmdTemporal}
	embedded = []string{CmdDev, CmdTemporal}
	remote   = []string{CmdServe, CmdAPI, CmdWorker}
	sending  = []string{CmdDev, CmdServe, CmdWorker}
	egress   = []string{CmdDev, CmdServe, CmdAPI, CmdWorker} // the API sends test deliveries too
	serving  = []string{CmdDev, CmdServe, CmdAPI}
)

// Setting is one configuration value: its variable, flag, default and meaning.
type Setting struct {
	Env      string
	Flag     string
	Default  string
	Help     string
	Commands []string
	set      func(c *Config, v string) error
}

// Settings lists every setting; the README's configuration table mirrors it.
var Settings = []Setting{
	{"HOOKFLOW_DATABASE_URL", "database-url", "", "postgres://… URL, or a SQLite file path (dev: <data-dir>/hookflow.db)", database,
		func(c *Config, v string) error { c.DatabaseURL = v; return nil }},
	{"HOOKFLOW_ENCRYPTION_KEYS", "encryption-keys", "", "comma list of base64 32-byte keys that seal secrets in the database, newest first (hookflow secrets generate-key makes one; dev: a key kept in <data-dir>/encryption.key)", database,
		func(c *Config, v string) (err error) {
			if v != "" {
				c.EncryptionKeys, err = seal.ParseKeys(v)
			}
			return err
		}},
	{"HOOKFLOW_TEMPORAL_ADDRESS", "temporal-address", "127.0.0.1:7233", "Temporal frontend host:port (falls back to TEMPORAL_ADDRESS, then the Temporal profile)", remote,
		func(c *Config, v string) error { c.TemporalAddress = v; return hostPort(v) }},
	{"HOOKFLOW_TEMPORAL_NAMESPACE", "temporal-namespace", "default", "Temporal namespace (falls back to TEMPORAL_NAMESPACE, then the Temporal profile)", running,
		func(c *Config, v string) error { c.TemporalNamespace = v; return nonEmpty(v) }},
	{"HOOKFLOW_TASK_QUEUE", "task-queue", "hookflow", "Temporal task queue of the worker", []string{CmdDev, CmdServe, CmdAPI, CmdWorker},
		func(c *Config, v string) error { c.TaskQueue = v; return nonEmpty(v) }},
	{"HOOKFLOW_ADDR", "addr", ":8080", "API listen address (dev: 127.0.0.1:8080)", serving,
		func(c *Config, v string) error { c.Addr = v; return hostPort(v) }},
	{"HOOKFLOW_METRICS_ADDR", "metrics-addr", ":9464", "listen address of a lone worker's /metrics and /healthz (the API serves them in the other roles)", []string{CmdWorker},
		func(c *Config, v string) error { c.MetricsAddr = v; return hostPort(v) }},
	{"HOOKFLOW_API_KEYS", "api-keys", "", "comma list of key (all tenants) or key:tenant (one tenant)", serving,
		func(c *Config, v string) (err error) { c.APIKeys, err = parseKeys(v); return err }},
	{"HOOKFLOW_INSECURE_NO_AUTH", "insecure-no-auth", "false", "serve the API without keys", []string{CmdServe, CmdAPI},
		func(c *Config, v string) (err error) { c.InsecureNoAuth, err = parseBool(v); return err }},
	{"HOOKFLOW_SMTP_URL", "smtp-url", "", "smtp://user:pass@host:port (STARTTLS when offered) or smtps://…; empty: mails are logged and kept", sending,
		func(c *Config, v string) error { c.SMTPURL = v; return smtpURL(v) }},
	{"HOOKFLOW_MAIL_FROM", "mail-from", "hookflow@localhost", "sender address of hookflow's mails", sending,
		func(c *Config, v string) error { c.MailFrom = v; return address(v) }},
	{"HOOKFLOW_ALLOW_PRIVATE_TARGETS", "allow-private-targets", "false", "deliver to loopback/private/link-local addresses (dev: true)", egress,
		func(c *Config, v string) (err error) { c.AllowPrivate, err = parseBool(v); return err }},
	{"HOOKFLOW_RETRY_INITIAL_INTERVAL", "retry-initial-interval", "5s", "delay before the first retry (Go duration)", sending,
		func(c *Config, v string) (err error) { c.Retry.InitialInterval, err = positiveDuration(v); return err }},
	{"HOOKFLOW_RETRY_BACKOFF", "retry-backoff", "3", "multiplier of the delay after each retry (≥ 1)", sending,
		func(c *Config, v string) (err error) { c.Retry.Backoff, err = backoff(v); return err }},
	{"HOOKFLOW_RETRY_MAX_INTERVAL", "retry-max-interval", "2h", "longest delay between retries (Go duration)", sending,
		func(c *Config, v string) (err error) { c.Retry.MaxInterval, err = positiveDuration(v); return err }},
	{"HOOKFLOW_RETRY_MAX_ATTEMPTS", "retry-max-attempts", "19", "attempts per delivery, the first included", sending,
		func(c *Config, v string) (err error) { c.Retry.MaxAttempts, err = positiveInt(v); return err }},
	{"HOOKFLOW_DELIVERY_TIMEOUT", "delivery-timeout", "30s", "time a receiver has to answer one request", egress,
		func(c *Config, v string) (err error) { c.DeliveryTimeout, err = positiveDuration(v); return err }},
	{"HOOKFLOW_RETENTION", "retention", "720h", "how long events, deliveries, attempts, mails and bins are kept, and Temporal keeps closed workflows (dev's namespace); a Go duration or days (30d), at least 24h", []string{CmdDev, CmdServe, CmdWorker, CmdTemporal},
		func(c *Config, v string) (err error) { c.Retention, err = retention(v); return err }},
	{"HOOKFLOW_MAX_BODY_BYTES", "max-body-bytes", "5242880", "largest trigger body accepted (413 past it)", serving,
		func(c *Config, v string) error { n, err := positiveInt(v); c.MaxBodyBytes = int64(n); return err }},
	{"HOOKFLOW_MAX_RECORDS", "max-records", "10000", "most records in one trigger (413 past it)", serving,
		func(c *Config, v string) (err error) { c.MaxRecords, err = positiveInt(v); return err }},
	{"HOOKFLOW_LOG_LEVEL", "log-level", "info", "debug, info, warn or error", all,
		func(c *Config, v string) error { return logLevel(&c.LogLevel, v) }},
	{"HOOKFLOW_PPROF_ADDR", "pprof-addr", "", "serve Go's net/http/pprof profiles on this address (e.g. 127.0.0.1:6060); empty: off", running,
		func(c *Config, v string) error {
			c.PprofAddr = v
			if v == "" {
				return nil
			}
			return hostPort(v)
		}},
	{"HOOKFLOW_DATA_DIR", "data-dir", "./.hookflow", "where dev keeps its SQLite databases", embedded,
		func(c *Config, v string) error { c.DataDir = v; return nonEmpty(v) }},
	{"HOOKFLOW_EPHEMERAL", "ephemeral", "false", "dev keeps everything in memory", embedded,
		func(c *Config, v string) (err error) { c.Ephemeral, err = parseBool(v); return err }},
	{"HOOKFLOW_TEMPORAL_PORT", "temporal-port", "7233", "port of dev's embedded Temporal frontend", embedded,
		func(c *Config, v string) (err error) { c.TemporalPort, err = port(v); return err }},
	{"HOOKFLOW_UI_PORT", "ui-port", "8233", "port of dev's Temporal Web UI", embedded,
		func(c *Config, v string) (err error) { c.UIPort, err = port(v); return err }},
}

// devDefaults differ from the production defaults: dev listens on loopback
// only and may deliver to receivers on this machine.
var devDefaults = map[string]string{
	"HOOKFLOW_ADDR":                  "127.0.0.1:8080",
	"HOOKFLOW_ALLOW_PRIVATE_TARGETS": "true",
}

// fallback is the value Temporal's own configuration gives a setting that
// ours leaves unset, and where it comes from: the Temporal profile for serve,
// api and worker (TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE are part of it),
// TEMPORAL_NAMESPACE alone for dev's embedded server.
func fallback(env, cmd string, prof *envconfig.ClientConfigProfile, getenv func(string) string) (v, from string) {
	var own string
	switch env {
	case "HOOKFLOW_TEMPORAL_ADDRESS":
		own, v = "TEMPORAL_ADDRESS", prof.Address
	case "HOOKFLOW_TEMPORAL_NAMESPACE":
		own, v = "TEMPORAL_NAMESPACE", prof.Namespace
	default:
		return "", ""
	}
	if !slices.Contains(remote, cmd) {
		return getenv(own), own
	}
	if getenv(own) != "" {
		return v, own
	}
	return v, "the Temporal profile"
}

func (s Setting) defaultFor(cmd string) string {
	if d, ok := devDefaults[s.Env]; ok && cmd == CmdDev {
		return d
	}
	return s.Default
}

// Bind registers on fs the flags of cmd's settings.
func Bind(fs *pflag.FlagSet, cmd string) {
	for _, s := range Settings {
		if slices.Contains(s.Commands, cmd) {
			help := s.Help + " [" + s.Env + "]"
			if s.Default == "false" || s.Default == "true" {
				fs.Bool(s.Flag, s.defaultFor(cmd) == "true", help)
			} else {
				fs.String(s.Flag, s.defaultFor(cmd), help)
			}
		}
	}
}

// Load builds cmd's configuration: a flag given on the command line wins over
// the environment, which wins over the default. Every bad setting is
// reported, one per line, naming its variable.
//
// serve, api and worker also read Temporal's client configuration, as the
// temporal CLI and SDKs do (LoadTemporalProfile); HOOKFLOW_TEMPORAL_ADDRESS
// and HOOKFLOW_TEMPORAL_NAMESPACE override its address and namespace.
func Load(cmd string, fs *pflag.FlagSet, getenv func(string) string) (Config, error) {
	var c Config
	var errs []error
	if slices.Contains(remote, cmd) {
		prof, err := LoadTemporalProfile(getenv)
		if err != nil {
			errs = append(errs, err)
		}
		c.Temporal = prof
	}
	bad := map[string]bool{}
	for _, s := range Settings {
		if !slices.Contains(s.Commands, cmd) {
			continue
		}
		v, from := s.defaultFor(cmd), s.Env
		if e := getenv(s.Env); e != "" {
			v = e
		} else if fv, ffrom := fallback(s.Env, cmd, &c.Temporal, getenv); fv != "" {
			v, from = fv, ffrom
		}
		if fs != nil && fs.Changed(s.Flag) {
			v, from = fs.Lookup(s.Flag).Value.String(), "--"+s.Flag
		}
		if err := s.set(&c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w (got %q)", from, err, redact(s.Env, v)))
			bad[s.Env] = true
		}
	}
	errs = append(errs, c.check(cmd, bad)...)
	return c, errors.Join(errs...)
}

// check validates settings against each other and fills dev's defaults;
// bad lists settings already reported.
func (c *Config) check(cmd string, bad map[string]bool) []error {
	var errs []error
	switch {
	case cmd == CmdTemporal:
	case cmd == CmdDev && c.DatabaseURL == "" && !c.Ephemeral:
		c.DatabaseURL = filepath.Join(c.DataDir, "hookflow.db")
	case cmd == CmdDev && c.DatabaseURL == "":
		c.DatabaseURL = ":memory:"
	case c.DatabaseURL == "":
		errs = append(errs, errors.New("HOOKFLOW_DATABASE_URL: is required (postgres://user:pass@host:5432/db, or a SQLite file path)"))
	}
	if slices.Contains(database, cmd) && cmd != CmdDev && c.EncryptionKeys == nil && !bad["HOOKFLOW_ENCRYPTION_KEYS"] {
		errs = append(errs, errors.New("HOOKFLOW_ENCRYPTION_KEYS: is required: the keys that seal the hooks' secrets in the database (make one with `hookflow secrets generate-key`)"))
	}
	if (cmd == CmdServe || cmd == CmdAPI) && len(c.APIKeys) == 0 && !c.InsecureNoAuth && !bad["HOOKFLOW_API_KEYS"] {
		errs = append(errs, errors.New("HOOKFLOW_API_KEYS: is required to serve the API (or pass --insecure-no-auth to run it open)"))
	}
	if c.Retry.MaxInterval != 0 && c.Retry.MaxInterval < c.Retry.InitialInterval {
		errs = append(errs, errors.New("HOOKFLOW_RETRY_MAX_INTERVAL: must not be shorter than HOOKFLOW_RETRY_INITIAL_INTERVAL"))
	}
	if (cmd == CmdDev || cmd == CmdTemporal) && c.TemporalPort != 0 && c.TemporalPort == c.UIPort {
		errs = append(errs, errors.New("HOOKFLOW_UI_PORT: must differ from HOOKFLOW_TEMPORAL_PORT"))
	}
	return errs
}

// redact keeps keys and passwords out of error messages.
func redact(env, v string) string {
	switch env {
	case "HOOKFLOW_API_KEYS", "HOOKFLOW_ENCRYPTION_KEYS":
		return "…"
	case "HOOKFLOW_SMTP_URL", "HOOKFLOW_DATABASE_URL":
		if u, err := url.Parse(v); err == nil && u.User != nil {
			return u.Redacted()
		}
	}
	return v
}

func logLevel(l *slog.Level, v string) error {
	if l.UnmarshalText([]byte(v)) != nil {
		return errors.New("must be debug, info, warn or error")
	}
	return nil
}

func nonEmpty(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("must not be empty")
	}
	return nil
}

func hostPort(v string) error {
	i := strings.LastIndex(v, ":")
	if i < 0 {
		return errors.New("must be host:port")
	}
	if _, err := port(v[i+1:]); err != nil {
		return errors.New("must be host:port with a port from 0 to 65535")
	}
	return nil
}

func port(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 65535 {
		return 0, errors.New("must be a port from 0 to 65535")
	}
	return n, nil
}

func parseBool(v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errors.New("must be true or false")
	}
	return b, nil
}

func positiveInt(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, errors.New("must be a whole number of at least 1")
	}
	return n, nil
}

func positiveDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, errors.New("must be a positive Go duration such as 5s, 10m or 2h")
	}
	return d, nil
}

// MinRetention is the shortest HOOKFLOW_RETENTION: a Temporal namespace
// keeps closed workflows for a day at least, and a retention shorter than
// the retry schedule would delete deliveries' history as they end.
const MinRetention = 24 * time.Hour

// retention parses a Go duration, or a whole number of days ("30d"), of at
// least MinRetention.
func retention(v string) (time.Duration, error) {
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(v, "d"); ok {
		var n int
		if n, err = strconv.Atoi(days); err == nil {
			d = time.Duration(n) * 24 * time.Hour
		}
	} else {
		d, err = time.ParseDuration(v)
	}
	if err != nil || d < MinRetention {
		return 0, errors.New("must be a Go duration such as 720h, or days such as 30d, of at least 24h")
	}
	return d, nil
}

func backoff(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 1 || f > 100 {
		return 0, errors.New("must be a number from 1 to 100")
	}
	return f, nil
}

func address(v string) error {
	if a, err := mail.ParseAddress(v); err != nil || a.Name != "" {
		return errors.New("must be an email address such as hookflow@example.com")
	}
	return nil
}

func smtpURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return errors.New("must be smtp://user:pass@host:port or smtps://user:pass@host:port")
	}
	return nil
}

func parseKeys(v string) ([]APIKey, error) {
	var keys []APIKey
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		key, tenant, _ := strings.Cut(item, ":")
		if len(key) < 16 {
			return nil, errors.New("each key must be at least 16 characters")
		}
		if strings.Contains(item, ":") && !models.ValidTenant(tenant) {
			return nil, errors.New("a key:tenant entry needs a tenant of letters, digits, _ . -")
		}
		keys = append(keys, APIKey{Key: key, Tenant: tenant})
	}
	return keys, nil
}
