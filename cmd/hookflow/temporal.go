package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/devserver"
	"github.com/hookflow/hookflow/internal/metrics"
	"github.com/hookflow/hookflow/workflows"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/grpc/codes"
)

// newTemporalClient builds the Temporal client from the configuration
// (address, namespace, TLS, API key) without connecting: awaitTemporal does,
// and keeps trying. The SDK logs through ours (component temporal-sdk) and
// reports its client and worker metrics on m.
func newTemporalClient(cfg config.Config, logger *slog.Logger, m *metrics.Metrics) (client.Client, error) {
	handler, err := m.TemporalHandler()
	if err != nil {
		return nil, err
	}
	opts, err := cfg.TemporalClientOptions()
	if err != nil {
		return nil, err
	}
	opts.Logger = sdklog.NewStructuredLogger(logger.With("component", "temporal-sdk"))
	opts.MetricsHandler = handler
	if loopbackAddr(cfg.TemporalAddress) {
		// The SDK gzips every request by default: CPU spent on both ends
		// (in dev, the same process) to save bytes a loopback link does not
		// need saved.
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return nil, fmt.Errorf("temporal client for %s: %w", cfg.TemporalAddress, err)
	}
	return c, nil
}

// Backoff between tries to reach Temporal, and how long one try may take.
const (
	awaitFirstDelay = time.Second
	awaitMaxDelay   = 30 * time.Second
	awaitTryTimeout = 15 * time.Second
)

// awaitTemporal waits until Temporal answers, serves the namespace and has
// hookflow's search attributes (registering them where the server lets it),
// trying again with backoff and logging what it waits for, until ctx ends.
// Credentials the server refuses end the wait at once.
func awaitTemporal(ctx context.Context, c client.Client, cfg config.Config, logger *slog.Logger) error {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = awaitFirstDelay, awaitMaxDelay
	tries := 0
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		tries++
		tctx, cancel := context.WithTimeout(ctx, awaitTryTimeout)
		defer cancel()
		return struct{}{}, temporalReady(tctx, c, cfg)
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(0), backoff.WithNotify(func(err error, next time.Duration) {
		logger.Warn("waiting for Temporal: "+err.Error(), "temporal_address", cfg.TemporalAddress,
			"namespace", cfg.TemporalNamespace, "try", tries, "next_try_in", next.Round(100*time.Millisecond).String())
	}))
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("stopped while waiting for Temporal at %s: %w", cfg.TemporalAddress, err)
		}
		return err
	}
	tls, apiKey := cfg.TemporalTLS()
	logger.Info("Temporal ready", "temporal_address", cfg.TemporalAddress, "namespace", cfg.TemporalNamespace,
		"tls", tls, "api_key", apiKey, "tries", tries)
	return nil
}

// temporalReady checks, in order, what hookflow needs of Temporal; its error
// says which step is missing and how an operator provides it, and is
// permanent when trying again cannot help.
func temporalReady(ctx context.Context, c client.Client, cfg config.Config) error {
	ns := cfg.TemporalNamespace
	_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns})
	var notFound *serviceerror.NamespaceNotFound
	switch {
	case errors.As(err, &notFound):
		return fmt.Errorf("namespace %s does not exist; create it (self-hosted: temporal operator namespace create --namespace %s; "+
			"Temporal Cloud: in the Cloud UI or with tcld namespace create)", ns, ns)
	case isRefusal(err): // waiting cannot fix credentials
		return backoff.Permanent(fmt.Errorf("the server at %s refused hookflow's credentials for namespace %s (check TEMPORAL_API_KEY or "+
			"TEMPORAL_TLS_CLIENT_CERT_PATH/KEY_PATH and the namespace's permissions): %w", cfg.TemporalAddress, ns, err))
	case err != nil:
		return fmt.Errorf("no answer from %s: %w", cfg.TemporalAddress, err)
	}
	err = devserver.RegisterSearchAttributes(ctx, c, ns, workflows.SearchAttributes)
	var missing *devserver.MissingSearchAttributesError
	if errors.As(err, &missing) {
		return fmt.Errorf("%w; register them and hookflow goes on by itself: %s", err, registerCommands(missing))
	}
	if err != nil {
		return fmt.Errorf("search attributes of namespace %s: %w", ns, err)
	}
	return nil
}

// registerCommands are the commands an operator runs to add what is missing.
func registerCommands(e *devserver.MissingSearchAttributesError) string {
	cloud, self := []string{"tcld namespace search-attributes add --namespace " + e.Namespace},
		[]string{"temporal operator search-attribute create --namespace " + e.Namespace}
	for _, nt := range e.List() {
		name, typ, _ := strings.Cut(nt, "=")
		cloud = append(cloud, fmt.Sprintf("--search-attribute %q", nt))
		self = append(self, "--name "+name+" --type "+typ)
	}
	return "Temporal Cloud: " + strings.Join(cloud, " ") + " (or the Cloud UI); self-hosted: " + strings.Join(self, " ")
}

// isRefusal reports whether Temporal answered that hookflow's credentials
// may not do what it asked.
func isRefusal(err error) bool {
	switch serviceerror.ToStatus(err).Code() { // the SDK returns serviceerror types, which status.Code does not read
	case codes.Unauthenticated, codes.PermissionDenied:
		return true
	}
	return false
}
