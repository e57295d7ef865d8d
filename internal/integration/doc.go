// Package integration calls tenants' upstreams resiliently: it wraps
// proxy.Forwarder's Send/Write with deadlines (never beyond the request's
// own, minus a safety margin), retries (retry package: full-jitter backoff,
// Retry-After, replayable requests only, a retry budget), a circuit breaker
// per (tenant, integration) (sony/gobreaker v2), response limits, and
// redirects that are followed only when allowed and then re-checked by the
// SSRF guard (ssrf package).
//
// A Plan is compiled once per integration per gateway snapshot; an Engine
// is shared by every request. Breakers and budgets live in the Engine, so
// their state is per gateway instance (per Lambda execution environment):
// see docs/integrations.md.
package integration
