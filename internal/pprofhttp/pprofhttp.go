// Package pprofhttp serves Go's runtime profiles over HTTP, for
// HOOKFLOW_PPROF_ADDR: hookflow's own processes and hookbench's bare engine
// serve them the same way, so their profiles compare (docs/benchmarks.md).
package pprofhttp

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"
)

// Serve serves the profiles on addr in the background, apart from the API
// so they are never exposed where the API is. An empty addr serves nothing.
func Serve(addr string, logger *slog.Logger) {
	if addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		logger.Info("pprof listening", "addr", addr)
		if err := srv.ListenAndServe(); err != nil {
			logger.Warn("pprof server stopped", "err", err)
		}
	}()
}
