package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/portico/portico/internal/cache"
	"github.com/portico/portico/internal/gateway"
	"github.com/portico/portico/internal/integration"
	"github.com/portico/portico/internal/metrics"
)

// Metric names of the gateway's EMF export (namespace
// PORTICO_METRICS_NAMESPACE, Portico by default;
// docs/cache.md, "Metrics"). Endpoint series have the dimension sets
// [Tenant, Endpoint] and [Tenant]; integration series [Tenant,
// Integration] and [Tenant].
const (
	MetricCacheHits        = "CacheHits"
	MetricCacheMisses      = "CacheMisses"
	MetricCacheStale       = "CacheStale"
	MetricCacheStored      = "CacheStored"
	MetricCacheEvictions   = "CacheEvictions"
	MetricCacheBytes       = "CacheBytes"
	MetricRateLimitAllowed = "RateLimitAllowed"
	MetricRateLimited      = "RateLimited"
	MetricBreakerOpened    = "BreakerOpened"
	MetricBreakerHalfOpen  = "BreakerHalfOpened"
	MetricBreakerClosed    = "BreakerClosed"
)

// GatewayMetrics wraps the gateway handler with the EMF metrics export
// that e.Metrics asks for (PORTICO_METRICS): after each request, if
// e.MetricsInterval has passed since the last flush, the cache, rate-limit
// and breaker counters of this process are written as EMF lines. stop
// flushes what is left and closes a metrics file; call it when the process
// ends (the Lambda SIGTERM hook, the local server's shutdown). With
// metrics off it returns gw itself and a no-op stop.
func GatewayMetrics(e Env, sh *Shared, gw *gateway.Gateway, log *slog.Logger) (h http.Handler, stop func(), err error) {
	out, closeOut, err := metricsOutput(e.Metrics)
	if err != nil || out == nil {
		return gw, func() {}, err
	}
	sources := []metrics.Source{cacheSource(sh.Cache), limitSource(gw)}
	if sh.Integrations != nil {
		sources = append(sources, breakerSource(sh.Integrations))
	}
	em, err := metrics.New(metrics.Config{Out: out, Sources: sources, Namespace: e.MetricsNamespace, Interval: e.MetricsInterval, Logger: log})
	if err != nil {
		_ = closeOut()
		return nil, nil, err
	}
	return em.Handler(gw), func() {
		em.Flush(context.Background())
		_ = closeOut()
	}, nil
}

// metricsOutput opens where EMF lines go: nil for off.
func metricsOutput(spec string) (io.Writer, func() error, error) {
	switch {
	case spec == "" || spec == "off":
		return nil, nil, nil
	case spec == "stdout":
		return os.Stdout, func() error { return nil }, nil
	case strings.HasPrefix(spec, "file:"):
		f, err := os.OpenFile(strings.TrimPrefix(spec, "file:"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("PORTICO_METRICS: %w", err)
		}
		return f, f.Close, nil
	}
	return nil, nil, fmt.Errorf("PORTICO_METRICS=%q: want off, stdout or file:<path>", spec)
}

// cacheSource reports every endpoint's cache counters (cache.EndpointStats).
func cacheSource(c *cache.Cache) metrics.Source {
	return func(add func(metrics.Sample)) {
		if c == nil {
			return
		}
		for _, s := range c.AllEndpointStats() {
			ep := func(name string, n int64) {
				add(metrics.Sample{Tenant: s.Tenant, Dim: "Endpoint", Value: s.Endpoint, Metric: name, Unit: metrics.Count, N: n})
			}
			ep(MetricCacheHits, s.Hits)
			ep(MetricCacheMisses, s.Misses)
			ep(MetricCacheStale, s.Stale)
			ep(MetricCacheStored, s.Stored)
			ep(MetricCacheEvictions, s.Evictions)
			add(metrics.Sample{Tenant: s.Tenant, Dim: "Endpoint", Value: s.Endpoint, Metric: MetricCacheBytes, Unit: metrics.Bytes, Gauge: true, N: s.Bytes})
		}
	}
}

// limitSource reports every rate-limited endpoint's decisions.
func limitSource(gw *gateway.Gateway) metrics.Source {
	return func(add func(metrics.Sample)) {
		for _, s := range gw.RateLimitStats() {
			add(metrics.Sample{Tenant: s.Tenant, Dim: "Endpoint", Value: s.Endpoint, Metric: MetricRateLimitAllowed, Unit: metrics.Count, N: s.Allowed})
			add(metrics.Sample{Tenant: s.Tenant, Dim: "Endpoint", Value: s.Endpoint, Metric: MetricRateLimited, Unit: metrics.Count, N: s.Limited})
		}
	}
}

// breakerSource reports every integration breaker's transitions.
func breakerSource(eng *integration.Engine) metrics.Source {
	return func(add func(metrics.Sample)) {
		for _, s := range eng.BreakerStats() {
			in := func(name string, n int64) {
				add(metrics.Sample{Tenant: s.Tenant, Dim: "Integration", Value: s.Integration, Metric: name, Unit: metrics.Count, N: n})
			}
			in(MetricBreakerOpened, s.Opened)
			in(MetricBreakerHalfOpen, s.HalfOpened)
			in(MetricBreakerClosed, s.Closed)
		}
	}
}
