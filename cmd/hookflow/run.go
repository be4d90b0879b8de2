package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"time"

	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/api/router"
	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/egress"
	"github.com/hookflow/hookflow/internal/email"
	"github.com/hookflow/hookflow/internal/metrics"
	"github.com/hookflow/hookflow/internal/plan"
	"github.com/hookflow/hookflow/internal/probe"
	"github.com/hookflow/hookflow/internal/receiverauth"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/worker"
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
)

// loadConfig reads cmd's settings; a bad one ends the process with one line each.
func loadConfig(cmd *cobra.Command, name string) (config.Config, error) {
	cfg, err := config.Load(name, cmd.Flags(), os.Getenv)
	if err != nil {
		return cfg, fmt.Errorf("bad configuration:\n%w", err)
	}
	return cfg, nil
}

// newLogger returns a JSON logger, or readable text for dev.
func newLogger(cfg config.Config, text bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if text {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}

// openStore connects to the database. migrate applies pending migrations
// and then seals the secrets rows hold in clear (SQL migrations cannot
// encrypt; sealed counts them); otherwise the schema must already be
// current. Either way every sealed secret must open with the configured
// keys, or the process stops now rather than fail deliveries later.
func openStore(ctx context.Context, cfg config.Config, migrate bool) (st *store.Store, sealed int, err error) {
	if st, err = store.Open(ctx, cfg.DatabaseURL, cfg.EncryptionKeys); err != nil {
		return nil, 0, err
	}
	if migrate {
		err = st.Migrate(ctx)
	} else {
		err = st.CheckSchema(ctx)
	}
	if err == nil {
		err = st.CheckKeys(ctx)
	}
	if err == nil && migrate {
		var res store.ResealResult
		res, err = st.SealPlaintext(ctx)
		sealed = res.Sealed
	}
	if err != nil {
		st.Close()
		return nil, 0, err
	}
	return st, sealed, nil
}

// newReceivers sends deliveries, test deliveries and token requests with
// each hook's credentials, through the SSRF-guarded HTTP clients. A process
// has one, so API and worker share its tokens and TLS connections.
func newReceivers(cfg config.Config) *receiverauth.Authenticator {
	return receiverauth.New(egress.New(egress.Options{
		AllowPrivate: cfg.AllowPrivate, Timeout: cfg.DeliveryTimeout,
		ConnectTimeout: min(cfg.DeliveryTimeout, 10*time.Second), TLSTimeout: min(cfg.DeliveryTimeout, 10*time.Second),
	}))
}

// newWorker builds the delivery worker from the configuration. Without
// HOOKFLOW_SMTP_URL the errors_email mails are logged and kept, not sent.
func newWorker(c client.Client, cfg config.Config, st *store.Store, receivers *receiverauth.Authenticator, m *metrics.Metrics, dispatcher *worker.Dispatcher) (sdkworker.Worker, error) {
	d := worker.Deps{
		Store:     st,
		Receivers: receivers,
		Retry: plan.Retry{
			InitialInterval: cfg.Retry.InitialInterval, Backoff: cfg.Retry.Backoff,
			MaxInterval: cfg.Retry.MaxInterval, MaxAttempts: cfg.Retry.MaxAttempts,
			AttemptTimeout: cfg.DeliveryTimeout + 5*time.Second,
		},
		Metrics:    m,
		Dispatcher: dispatcher,
		Retention:  cfg.Retention,
	}
	if cfg.SMTPURL != "" {
		mail, err := email.New(email.Options{URL: cfg.SMTPURL, From: cfg.MailFrom})
		if err != nil {
			return nil, fmt.Errorf("HOOKFLOW_SMTP_URL: %w", err)
		}
		d.Mail = mail
	}
	return worker.New(c, cfg.TaskQueue, d), nil
}

// apiServer is the API's HTTP server with every timeout set, so slow or
// stalled clients cannot hold connections open.
func apiServer(cfg config.Config, st *store.Store, c client.Client, receivers *receiverauth.Authenticator, logger *slog.Logger, m *metrics.Metrics, admitted func()) *http.Server {
	return &http.Server{
		Addr: cfg.Addr,
		Handler: router.New(st, api.Deps{
			Temporal: c, TaskQueue: cfg.TaskQueue, Keys: cfg.APIKeys,
			MaxBody: cfg.MaxBodyBytes, MaxRecords: cfg.MaxRecords, Logger: logger, Now: time.Now,
			Tester: probe.New(receivers), ReceiverAuth: receivers, Metrics: m, Admitted: admitted,
			LoopbackHosts: len(cfg.APIKeys) == 0 && loopbackAddr(cfg.Addr),
		}),
		// Headers are small in every request the API or a bin serves; Go's
		// default (1 MB) would let each request hold a megabyte before any check.
		MaxHeaderBytes:    64 << 10,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// loopbackAddr reports whether a listen address binds loopback only.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// serveUntilDone listens, serves until ctx ends, then drains in-flight
// requests (bounded) before returning. ready is told the bound address.
func serveUntilDone(ctx context.Context, srv *http.Server, ready func(addr string)) error {
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", srv.Addr, err)
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", srv.Addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
