package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/pprofhttp"
	"github.com/hookflow/hookflow/internal/version"
	"github.com/hookflow/hookflow/worker"
	"github.com/hookflow/hookflow/workflows"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
)

// signalContext ends on Ctrl-C or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// roleCommand builds serve, api and worker: they differ only in which of the
// API and the worker they run.
func roleCommand(name, short string, runAPI, runWorker bool) *cobra.Command {
	cmd := &cobra.Command{
		Use:   name,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, name)
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			logger := newLogger(cfg, false)
			pprofhttp.Serve(cfg.PprofAddr, logger)
			return runRoles(ctx, cfg, logger, roles{
				api: runAPI, worker: runWorker, migrate: name == config.CmdServe,
				ready: func(addr string) { logger.Info("API listening", "addr", addr) },
			})
		},
	}
	config.Bind(cmd.Flags(), name)
	return cmd
}

func serveCommand() *cobra.Command {
	return roleCommand(config.CmdServe, "Run the API and the worker against PostgreSQL and an external Temporal", true, true)
}

func apiCommand() *cobra.Command {
	return roleCommand(config.CmdAPI, "Run only the API (scale out horizontally)", true, false)
}

func workerCommand() *cobra.Command {
	return roleCommand(config.CmdWorker, "Run only the delivery worker (scale out horizontally)", false, true)
}

// roles says what a process runs.
type roles struct {
	api, worker bool
	migrate     bool                 // apply migrations at start (dev, serve), else require them applied
	ready       func(apiAddr string) // called once the API listens
}

// runRoles runs the API and/or the worker until ctx ends, then stops them:
// the API drains its requests, the worker lets in-flight deliveries finish.
func runRoles(ctx context.Context, cfg config.Config, logger *slog.Logger, r roles) error {
	st, sealed, err := openStore(ctx, cfg, r.migrate)
	if err != nil {
		return err
	}
	defer st.Close()
	if sealed > 0 {
		logger.Info("sealed the secrets hooks held in clear", "hooks", sealed)
	}
	m := newMetrics(st)
	c, err := newTemporalClient(cfg, logger, m)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	g, ctx := errgroup.WithContext(ctx)
	if !r.api { // the API serves /metrics; a lone worker needs a listener of its own, alive while it waits
		g.Go(func() error { return serveMetrics(ctx, cfg.MetricsAddr, m, logger) })
	}
	receivers := newReceivers(cfg)
	var d *worker.Dispatcher
	if r.worker {
		d = newDispatcher(st, c, cfg, logger, m)
	}
	// The API admits triggers into the database whether Temporal is there
	// or not, so it listens at once; the worker waits for Temporal.
	if r.api {
		if len(cfg.APIKeys) == 0 {
			logger.Warn("API runs without authentication (no HOOKFLOW_API_KEYS): keep it on loopback or behind a gateway")
		}
		srv := apiServer(cfg, st, c, receivers, logger, m, admittedHook(d))
		g.Go(func() error {
			return serveUntilDone(ctx, srv, r.ready)
		})
	}
	// fail stops what runs; a listener that failed first says why.
	fail := func(err error) error {
		stop()
		if werr := g.Wait(); werr != nil {
			return werr
		}
		return err
	}
	if err := awaitTemporal(ctx, c, cfg, logger); err != nil {
		return fail(err)
	}
	if r.worker {
		w, err := newWorker(c, cfg, st, receivers, m, d)
		if err != nil {
			return fail(err)
		}
		if err := w.Start(); err != nil {
			return fail(fmt.Errorf("start worker: %w", err))
		}
		defer w.Stop()
		logger.Info("worker started", "task_queue", cfg.TaskQueue, "namespace", cfg.TemporalNamespace)
		if err := worker.EnsureRetentionSchedule(ctx, c, cfg.TaskQueue); err != nil {
			// Deliveries do not need it: say so, and let the next start try again.
			logger.Error("could not create the retention schedule: nothing is deleted until a worker creates it", "err", err)
		} else {
			logger.Info("retention schedule ready", "schedule_id", workflows.RetentionScheduleID(cfg.TaskQueue), "retention", cfg.Retention.String())
		}
		g.Go(func() error { return d.Run(ctx) })
	}
	g.Go(func() error { <-ctx.Done(); return nil })
	return g.Wait()
}

func migrateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   config.CmdMigrate,
		Short: "Apply database migrations and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, config.CmdMigrate)
			if err != nil {
				return err
			}
			st, sealed, err := openStore(cmd.Context(), cfg, true)
			if err != nil {
				return err
			}
			defer st.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "migrations applied (%s)\n", st.Dialect())
			if sealed > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "sealed the secrets of %d hooks that held them in clear\n", sealed)
			}
			return nil
		},
	}
	config.Bind(cmd.Flags(), config.CmdMigrate)
	return cmd
}

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "hookflow", version.String())
		},
	}
}
