package metrics

import (
	"fmt"

	"go.opentelemetry.io/otel"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/opentelemetry"
)

// TemporalHandler returns the metrics handler for client.Options: the
// Temporal SDK's client and worker metrics (temporal_request_total,
// temporal_activity_execution_latency_seconds, …) land on this registry
// through OpenTelemetry's Prometheus exporter. Every call returns the same
// handler. A nil *Metrics returns the SDK's no-op handler.
func (m *Metrics) TemporalHandler() (client.MetricsHandler, error) {
	if m == nil {
		return client.MetricsNopHandler, nil
	}
	return m.temporal()
}

// temporalBuckets suit the SDK's timers, which run from a poll's
// milliseconds to a long activity's minutes (OpenTelemetry's default
// buckets assume milliseconds).
var temporalBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}

func (m *Metrics) newTemporalHandler() (client.MetricsHandler, error) {
	exporter, err := otelprom.New(otelprom.WithRegisterer(m.reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, fmt.Errorf("create the Temporal SDK metrics exporter: %w", err)
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithView(sdkmetric.NewView(
		sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: temporalBuckets}},
	)))
	return opentelemetry.NewMetricsHandler(opentelemetry.MetricsHandlerOptions{
		Meter: provider.Meter("temporal-sdk-go"),
		// Monotonic counters become Prometheus counters (…_total), not gauges.
		UseMonotonicCounters: true,
		// The default panics; a metric that cannot be recorded must not stop deliveries.
		OnError: otel.Handle,
	}), nil
}
