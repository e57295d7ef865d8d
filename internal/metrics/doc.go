// Package metrics exports a process's counters to CloudWatch as Embedded
// Metric Format (EMF) log lines: structured JSON written to stdout, which
// CloudWatch Logs turns into metrics, so there are no API calls and nothing
// on the request path. An Emitter collects cumulative counters from its
// Sources (per tenant and endpoint: cache, rate limits; per tenant and
// integration: breaker transitions) on each flush and writes one line per
// series whose figures moved, with the increase since the previous flush.
// docs/cache.md, "Metrics", says what each metric means.
package metrics
