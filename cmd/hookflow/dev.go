package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/devserver"
	"github.com/hookflow/hookflow/internal/pprofhttp"
	"github.com/hookflow/hookflow/internal/seal"
	"github.com/hookflow/hookflow/workflows"
	"github.com/spf13/cobra"
)

func devCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   config.CmdDev,
		Short: "Run everything in one process: embedded Temporal + Web UI, SQLite, the API and the worker",
		Long: "hookflow dev needs nothing installed: it embeds a Temporal server (gRPC on --temporal-port,\n" +
			"Web UI on --ui-port), keeps hooks and events in SQLite under --data-dir (or memory with\n" +
			"--ephemeral), and runs the API on --addr and the worker. State survives a restart.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, config.CmdDev)
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			return runDev(ctx, cfg, cmd.OutOrStdout())
		},
	}
	config.Bind(cmd.Flags(), config.CmdDev)
	return cmd
}

// runDev runs hookflow dev until ctx ends: the embedded Temporal server,
// then the API and the worker on it, as serve runs them.
func runDev(ctx context.Context, cfg config.Config, out io.Writer) error {
	tuneGC()
	logger := newLogger(cfg, true)
	pprofhttp.Serve(cfg.PprofAddr, logger)
	keys, err := devKeys(cfg)
	if err != nil {
		return err
	}
	cfg.EncryptionKeys = keys
	ts, err := startTemporal(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer ts.Stop() // after the worker stops: a polling worker would hold Stop up a second
	cfg.TemporalAddress = ts.FrontendAddress()
	return runRoles(ctx, cfg, logger, roles{api: true, worker: true, migrate: true,
		ready: func(addr string) { printLinks(out, logger, cfg, addr, ts.UIURL()) }})
}

// tuneGC trades memory for CPU in dev, where the Temporal server shares the
// process: the collector runs half as often (GOGC 200; it took ~7 % of the
// CPU at full load), and a soft limit of 300 MiB of Go memory makes it run
// sooner again before the process grows past it, so the resident size stays
// under 500 MiB (the limit leaves room for what the runtime holds besides
// the heap). GOGC or GOMEMLIMIT set by the user win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(300 << 20)
	}
}

// devKeyFile is where hookflow dev keeps the key sealing its secrets when
// HOOKFLOW_ENCRYPTION_KEYS is not set: beside the database it protects.
const devKeyFile = "encryption.key"

// devKeys returns dev's keyring: HOOKFLOW_ENCRYPTION_KEYS when set, else
// a key kept in the data dir (made on first start), or with --ephemeral a
// key that lives as long as the in-memory database. A data-dir key stays
// in the ring after keys given later, so what it sealed still opens (and
// hookflow secrets rotate-key moves it to the new key).
func devKeys(cfg config.Config) (*seal.Keyring, error) {
	if cfg.Ephemeral && cfg.EncryptionKeys == nil {
		return seal.ParseKeys(seal.NewKey())
	}
	if cfg.Ephemeral {
		return cfg.EncryptionKeys, nil
	}
	path := filepath.Join(cfg.DataDir, devKeyFile)
	if _, err := os.Stat(path); cfg.EncryptionKeys != nil && errors.Is(err, os.ErrNotExist) {
		return cfg.EncryptionKeys, nil // no key file: nothing was sealed with one
	}
	k, err := seal.LoadOrCreateKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("dev encryption key: %w", err)
	}
	file, err := seal.ParseKeys(k)
	if err != nil {
		return nil, fmt.Errorf("dev encryption key %s: %w", path, err)
	}
	if cfg.EncryptionKeys != nil {
		return cfg.EncryptionKeys.Merge(file), nil
	}
	return file, nil
}

// startTemporal starts the embedded Temporal server with hookflow's
// namespace and search attributes, its state in the data dir unless ephemeral.
func startTemporal(ctx context.Context, cfg config.Config, logger *slog.Logger) (*devserver.Server, error) {
	db := ""
	if !cfg.Ephemeral {
		db = filepath.Join(cfg.DataDir, "temporal.db")
	}
	ts, err := devserver.Start(ctx, devserver.Options{
		IP: "127.0.0.1", FrontendPort: cfg.TemporalPort, UIPort: cfg.UIPort, DatabaseFile: db,
		Namespace: cfg.TemporalNamespace, SearchAttributes: workflows.SearchAttributes, Retention: cfg.Retention,
		Logger: logger.With("component", "temporal-server"),
	})
	if err != nil {
		return nil, fmt.Errorf("start embedded Temporal: %w", err)
	}
	return ts, nil
}

// temporalCommand runs only the embedded Temporal server: serve, api and
// worker can then run against it on one machine with nothing installed.
func temporalCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   config.CmdTemporal,
		Short: "Run only dev's embedded Temporal server and Web UI (for serve, api and worker on one machine)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, config.CmdTemporal)
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			logger := newLogger(cfg, true)
			pprofhttp.Serve(cfg.PprofAddr, logger)
			ts, err := startTemporal(ctx, cfg, logger)
			if err != nil {
				return err
			}
			defer ts.Stop()
			fmt.Fprintf(cmd.OutOrStdout(), "Temporal %s (namespace %s)  UI %s\n", ts.FrontendAddress(), cfg.TemporalNamespace, ts.UIURL())
			<-ctx.Done()
			return nil
		},
	}
	config.Bind(cmd.Flags(), config.CmdTemporal)
	return cmd
}

// printLinks tells where everything is, and how to make a request bin to
// point a first hook at.
func printLinks(out io.Writer, logger *slog.Logger, cfg config.Config, apiAddr, uiURL string) {
	where := cfg.DataDir
	if cfg.Ephemeral {
		where = "memory (--ephemeral)"
	}
	auth := ""
	if len(cfg.APIKeys) > 0 {
		auth = " -H 'Authorization: Bearer <key>'"
	}
	fmt.Fprintf(out, "\nhookflow dev is ready\n"+
		"  API          http://%s   (try: curl http://%s/v1/hooks)\n"+
		"  Temporal UI  %s\n"+
		"  Temporal     %s (namespace %s)\n"+
		"  request bin  curl -s -X POST http://%s/v1/bins%s\n"+
		"               then open the view_url it answers, and use its url as a hook's target_url\n"+
		"  state        %s\n\n", apiAddr, apiAddr, uiURL, cfg.TemporalAddress, cfg.TemporalNamespace, apiAddr, auth, where)
	logger.Info("hookflow dev ready", "api", apiAddr, "temporal_ui", uiURL)
}
