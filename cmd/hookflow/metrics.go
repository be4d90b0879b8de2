package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/hookflow/hookflow/internal/metrics"
	"github.com/hookflow/hookflow/internal/store"
)

// newMetrics returns the process's one metrics registry, with hooks by state
// and the admission queue read from st at each scrape.
func newMetrics(st *store.Store) *metrics.Metrics {
	m := metrics.New()
	m.CountHooks(st)
	m.CountQueue(st)
	return m
}

// serveMetrics serves /metrics and /healthz on addr until ctx ends: the
// worker role has no API to serve them.
func serveMetrics(ctx context.Context, addr string, m *metrics.Metrics, logger *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	return serveUntilDone(ctx, srv, func(addr string) { logger.Info("metrics listening", "addr", addr) })
}
