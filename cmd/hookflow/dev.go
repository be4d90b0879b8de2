package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/devserver"
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
			return runDev(ctx, cfg, cmd.OutOrStdout(), nil)
		},
	}
	config.Bind(cmd.Flags(), config.CmdDev)
	return cmd
}

// runDev runs hookflow dev until ctx ends. ready, when set, gets the API's
// address once everything serves (tests use it).
func runDev(ctx context.Context, cfg config.Config, out io.Writer, ready func(apiAddr string)) error {
	logger := newLogger(cfg, true)
	temporalDB := ""
	if !cfg.Ephemeral {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return fmt.Errorf("create data dir: %w", err)
		}
		temporalDB = filepath.Join(cfg.DataDir, "temporal.db")
	}
	ts, err := devserver.Start(ctx, devserver.Options{
		IP: "127.0.0.1", FrontendPort: cfg.TemporalPort, UIPort: cfg.UIPort, DatabaseFile: temporalDB,
		Namespace: cfg.TemporalNamespace, SearchAttributes: workflows.SearchAttributes,
		Logger: logger.With("component", "temporal-server"),
	})
	if err != nil {
		return fmt.Errorf("start embedded Temporal: %w", err)
	}
	defer ts.Stop()
	cfg.TemporalAddress = ts.FrontendAddress()

	st, err := openStore(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer st.Close()
	m := newMetrics(st)
	c, err := dialTemporal(ctx, cfg, logger, m)
	if err != nil {
		return err
	}
	defer c.Close()
	w := newWorker(c, cfg, st, m)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	if len(cfg.APIKeys) == 0 {
		logger.Warn("API runs without authentication (no HOOKFLOW_API_KEYS): keep it on loopback")
	}
	return serveUntilDone(ctx, apiServer(cfg, st, c, logger, m), func(addr string) {
		printLinks(out, logger, cfg, addr, ts.UIURL())
		if ready != nil {
			ready(addr)
		}
	})
}

func printLinks(out io.Writer, logger *slog.Logger, cfg config.Config, apiAddr, uiURL string) {
	where := cfg.DataDir
	if cfg.Ephemeral {
		where = "memory (--ephemeral)"
	}
	fmt.Fprintf(out, "\nhookflow dev is ready\n"+
		"  API          http://%s   (try: curl http://%s/v1/hooks)\n"+
		"  Temporal UI  %s\n"+
		"  Temporal     %s (namespace %s)\n"+
		"  state        %s\n\n", apiAddr, apiAddr, uiURL, cfg.TemporalAddress, cfg.TemporalNamespace, where)
	logger.Info("hookflow dev ready", "api", apiAddr, "temporal_ui", uiURL)
}
