package gateway

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/ratelimit"
)

// rateLimit is an endpoint's compiled rate-limit policy.
type rateLimit struct {
	limit    ratelimit.Limit
	scope    model.RateLimitScope
	failOpen bool
	// suffix follows the tenant in the key: the scope and, for consumer and
	// endpoint scopes, the route ("GET /v1/items/{id}"), so a canonical path
	// and its aliases (/a, //a) share one counter.
	suffix string
	// name is the policy's name in the RateLimit headers (the scope, quoted).
	name string
	// policy is the RateLimit-Policy header value (shared, read-only).
	policy []string
	limitH []string // X-RateLimit-Limit (shared, read-only)
}

// compileRateLimit compiles p for the endpoint routed as routeName; it
// returns nil and a reason when the policy cannot be enforced.
func compileRateLimit(p *model.RateLimitPolicy, routeName string) (*rateLimit, string) {
	alg := map[model.RateLimitAlgorithm]ratelimit.Algorithm{
		model.FixedWindow: ratelimit.FixedWindow, model.SlidingWindow: ratelimit.SlidingWindow, model.TokenBucket: ratelimit.TokenBucket,
	}[p.Algorithm]
	l := ratelimit.Limit{Algorithm: alg, Limit: int64(p.Limit), Window: time.Duration(p.WindowSeconds) * time.Second, Burst: int64(p.Burst)}
	if err := l.Validate(); err != nil {
		return nil, "a rate limit this gateway cannot enforce (" + err.Error() + ")"
	}
	rl := &rateLimit{limit: l, scope: p.Scope, failOpen: p.FailOpen}
	switch p.Scope {
	case model.ScopeTenant:
		// Every endpoint with the same tenant-wide policy shares a counter.
		rl.suffix = "|tenant|" + alg.String() + "|" + strconv.Itoa(p.Limit) + "/" + strconv.Itoa(p.WindowSeconds) + "|"
	case model.ScopeEndpoint:
		rl.suffix = "|endpoint|" + routeName
	default:
		rl.suffix = "|consumer|" + routeName + "|"
	}
	name := string(p.Scope)
	if name == "" {
		name = string(model.ScopeConsumer)
	}
	rl.name = `"` + name + `"`
	rl.policy = []string{rl.name + ";q=" + strconv.Itoa(p.Limit) + ";w=" + strconv.Itoa(p.WindowSeconds)}
	rl.limitH = []string{strconv.Itoa(p.Limit)}
	return rl, ""
}

// key is the store key of r under rl: the tenant first, so tenants never
// share a counter.
func (rl *rateLimit) key(r *http.Request, tenant string) string {
	switch rl.scope {
	case model.ScopeTenant, model.ScopeEndpoint:
		return tenant + rl.suffix
	}
	return tenant + rl.suffix + callerKey(r)
}

// callerKey identifies the caller for consumer-scoped limits: the verified
// principal, else the client IP.
func callerKey(r *http.Request) string {
	if c, ok := caller.From(r.Context()); ok && c.Kind != caller.Anonymous && c.Kind != "" {
		return c.ID()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "ip:" + host
}

// limit runs the rate-limit stage: it sets the RateLimit headers and
// returns a 429 when r is over the limit, or a 503 when the store cannot
// decide and the policy fails closed.
func (g *Gateway) limit(w http.ResponseWriter, r *http.Request, rl *rateLimit, tenant string, now time.Time) *problem.Problem {
	var d ratelimit.Decision
	var err error
	if m, local := g.cfg.RateLimits.(*ratelimit.Memory); local {
		// No I/O, so no deadline (a timer costs more than the decision).
		d, err = m.Take(r.Context(), rl.key(r, tenant), rl.limit, now, 1)
	} else {
		ctx, cancel := context.WithTimeout(r.Context(), g.cfg.RateLimitTimeout)
		d, err = g.cfg.RateLimits.Take(ctx, rl.key(r, tenant), rl.limit, now, 1)
		cancel()
	}
	if err != nil {
		g.log.LogAttrs(r.Context(), slog.LevelWarn, "rate limit store unavailable",
			slog.String("tenant", tenant), slog.Bool("failOpen", rl.failOpen), slog.String("error", err.Error()))
		if rl.failOpen {
			return nil
		}
		p := problem.New(http.StatusServiceUnavailable, "rate-limit-unavailable", "Service Unavailable",
			"the rate limit of this endpoint cannot be checked right now; retry").WithCause(err)
		p.Headers = http.Header{"Retry-After": {"1"}}
		return p
	}
	h := w.Header()
	reset := strconv.FormatInt(ceilSeconds(d.Reset), 10)
	remaining := strconv.FormatInt(d.Remaining, 10)
	h["Ratelimit-Policy"] = rl.policy
	h["Ratelimit"] = []string{rl.name + ";r=" + remaining + ";t=" + reset}
	h["X-Ratelimit-Limit"] = rl.limitH
	h["X-Ratelimit-Remaining"] = []string{remaining}
	h["X-Ratelimit-Reset"] = []string{reset}
	if d.Allowed {
		return nil
	}
	p := problem.New(http.StatusTooManyRequests, "rate-limited", "Too Many Requests", "this endpoint's rate limit is exhausted; retry after the time in Retry-After")
	p.Headers = http.Header{"Retry-After": {strconv.FormatInt(max(1, ceilSeconds(d.RetryAfter)), 10)}}
	return p
}

func ceilSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}
