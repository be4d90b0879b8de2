// Package worker is the one place that registers hookflow's workflows and
// activities on a Temporal worker.
package worker

import (
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/email"
	"github.com/hookflow/hookflow/internal/metrics"
	"github.com/hookflow/hookflow/internal/plan"
	"github.com/hookflow/hookflow/internal/receiverauth"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/workflows"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
)

// Deps are the long-lived dependencies of the activities.
type Deps struct {
	Store     *store.Store
	Receivers *receiverauth.Authenticator // sends deliveries with each hook's credentials
	Retry     plan.Retry
	Mail      *email.Sender    // nil: no SMTP configured; mails are logged and kept
	Metrics   *metrics.Metrics // nil records nothing
	// Dispatcher, when this process dispatches admitted events, is told when
	// each event's plan begins (see Dispatcher.Planning).
	Dispatcher *Dispatcher
	// Retention is how long events, deliveries, notifications and bins are
	// kept (HOOKFLOW_RETENTION); the retention schedule's passes delete what
	// is older.
	Retention time.Duration
}

// New returns a worker on taskQueue with every workflow and activity registered.
func New(c client.Client, taskQueue string, d Deps) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{
		// Deliveries wait on receivers, not on CPU: many may be in flight at once.
		MaxConcurrentActivityExecutionSize:      500,
		MaxConcurrentLocalActivityExecutionSize: 100,
		// On shutdown, requests in flight get this long to finish.
		WorkerStopTimeout: 30 * time.Second,
	})
	w.RegisterWorkflow(workflows.Fanout)
	w.RegisterWorkflow(workflows.HookDelivery)
	w.RegisterWorkflow(workflows.Redeliver)
	w.RegisterWorkflow(workflows.Recover)
	w.RegisterWorkflow(workflows.Lane)
	w.RegisterWorkflow(workflows.Retention)
	planner := activities.NewPlanner(d.Store, d.Retry)
	e := engine{c: c, taskQueue: taskQueue}
	planner.Lanes, planner.Workflows, planner.Starter = e, e, e
	planner.Metrics = d.Metrics
	if d.Dispatcher != nil {
		planner.Planning = d.Dispatcher.Planning
	}
	w.RegisterActivity(planner)
	sender := activities.NewSender(d.Store, d.Receivers, d.Retry.MaxInterval)
	sender.Metrics = d.Metrics
	sender.Events = planner.Events // one decoded copy of each event per worker
	w.RegisterActivity(sender)
	planner.Send = sender
	recorder := &activities.Recorder{Store: d.Store, Now: time.Now, Metrics: d.Metrics}
	if d.Dispatcher != nil {
		recorder.Admitted = d.Dispatcher.Wake // a state-change event starts at once
	}
	w.RegisterActivity(recorder)
	n := &activities.Notifier{Store: d.Store, Now: time.Now}
	if d.Mail != nil { // a nil *email.Sender in the interface would not read as "no SMTP"
		n.Mail = d.Mail
	}
	w.RegisterActivity(n)
	w.RegisterActivity(&activities.Pruner{Store: d.Store, Retention: d.Retention, Now: time.Now})
	return w
}
