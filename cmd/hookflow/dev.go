package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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
	servePprof(cfg.PprofAddr, logger)
	ts, err := startTemporal(ctx, cfg, logger)
	if err != nil {
		return err
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
	w, err := newWorker(c, cfg, st, m)
	if err != nil {
		return err
	}
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

// startTemporal starts the embedded Temporal server with hookflow's
// namespace and search attributes, its state in the data dir unless ephemeral.
func startTemporal(ctx context.Context, cfg config.Config, logger *slog.Logger) (*devserver.Server, error) {
	db := ""
	if !cfg.Ephemeral {
		db = filepath.Join(cfg.DataDir, "temporal.db")
	}
	ts, err := devserver.Start(ctx, devserver.Options{
		IP: "127.0.0.1", FrontendPort: cfg.TemporalPort, UIPort: cfg.UIPort, DatabaseFile: db,
		Namespace: cfg.TemporalNamespace, SearchAttributes: workflows.SearchAttributes,
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
			servePprof(cfg.PprofAddr, logger)
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
