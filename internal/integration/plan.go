package integration

import (
	"fmt"
	"time"

	"github.com/portico/portico/internal/integration/retry"
	"github.com/portico/portico/internal/model"
)

// Plan is an integration's compiled call policy.
type Plan struct {
	Tenant, Integration string
	// Timeout bounds the whole call, retries included; zero means
	// proxy.DefaultTimeout. The request's deadline minus the engine's
	// safety margin always wins.
	Timeout        time.Duration
	ConnectTimeout time.Duration
	Retry          retry.Policy
	Breaker        *BreakerSettings // nil: no breaker
	// MaxResponseBytes, BodyIdleTimeout: zero means the forwarder's
	// defaults (6 MB, none).
	MaxResponseBytes int64
	BodyIdleTimeout  time.Duration
	FollowRedirects  bool
	// Idempotent marks calls that are safe to repeat whatever their
	// method (a GraphQL query sent as a POST): they are retried like GETs.
	Idempotent bool
	// Auth, when set, adds a credential from the tenant's secrets to every
	// attempt (credential.go); nil sends none.
	Auth *Auth
}

// BreakerSettings configure a circuit breaker.
type BreakerSettings struct {
	FailureRatio float64
	MinRequests  uint32
	Open         time.Duration
	// HalfOpenProbes is how many requests a half-open breaker lets
	// through; all must succeed to close it. Zero means 1.
	HalfOpenProbes uint32
}

func (b *BreakerSettings) key() string {
	return fmt.Sprintf("%g/%d/%s/%d", b.FailureRatio, b.MinRequests, b.Open, b.HalfOpenProbes)
}

// Compile builds the Plan of in for tenant.
func Compile(tenant string, in *model.Integration) *Plan {
	p := &Plan{Tenant: tenant, Integration: in.Slug, Timeout: time.Duration(in.TimeoutMs) * time.Millisecond, Retry: retry.Policy{MaxAttempts: 1},
		Auth: compileAuth(in.Auth)}
	if r := in.Retry; r != nil {
		p.Retry = retry.Policy{
			MaxAttempts: r.MaxAttempts,
			BaseDelay:   time.Duration(r.BaseDelayMs) * time.Millisecond,
			MaxDelay:    time.Duration(r.MaxDelayMs) * time.Millisecond,
			Statuses:    r.RetryOn,
		}.Normalized()
	}
	if b := in.CircuitBreaker; b != nil {
		p.Breaker = &BreakerSettings{FailureRatio: b.FailureRatio, MinRequests: uint32(b.MinRequests), Open: time.Duration(b.OpenSeconds) * time.Second}
	}
	if l := in.Limits; l != nil {
		p.ConnectTimeout = time.Duration(l.ConnectTimeoutMs) * time.Millisecond
		p.MaxResponseBytes = l.MaxResponseBytes
		p.BodyIdleTimeout = time.Duration(l.BodyIdleTimeoutMs) * time.Millisecond
		p.FollowRedirects = l.FollowRedirects
	}
	return p
}
