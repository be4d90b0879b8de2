package main

import (
	"log/slog"

	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/metrics"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/worker"
	"go.temporal.io/sdk/client"
)

// newDispatcher returns the dispatcher of a process that runs the worker:
// it starts the workflows of admitted events on the worker's own client, so
// the starts are eager (docs/architecture.md, "Admission").
func newDispatcher(st *store.Store, c client.Client, cfg config.Config, logger *slog.Logger, m *metrics.Metrics) *worker.Dispatcher {
	return worker.NewDispatcher(st, c, cfg.TaskQueue, logger.With("component", "dispatcher"), m)
}

// admittedHook is what the API calls after admitting events: with a
// dispatcher in the process it wakes it at once; an API alone leaves the
// events to the workers' dispatchers, which poll.
func admittedHook(d *worker.Dispatcher) func() {
	if d == nil {
		return nil
	}
	return d.Wake
}
