package gateway

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
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

// rateLimits is every compiled limit of an endpoint, in evaluation order,
// with the RateLimit-Policy header listing them all.
type rateLimits struct {
	list   []*rateLimit
	policy []string // RateLimit-Policy (shared, read-only)
}

// compileRateLimits compiles ps (model.Policies.Limits) for the endpoint
// routed as routeName. Policies that share a scope are named "<scope>",
// "<scope>-2", ... so every RateLimit-Policy item has its own name. It
// returns nil and a reason when a policy cannot be enforced.
func compileRateLimits(ps []model.RateLimitPolicy, routeName string) (*rateLimits, string) {
	if len(ps) == 0 {
		return nil, ""
	}
	set := &rateLimits{}
	seen := map[string]int{}
	items := make([]string, 0, len(ps))
	for i := range ps {
		rl, why := compileRateLimit(&ps[i], routeName)
		if rl == nil {
			return nil, why
		}
		base := strings.Trim(rl.name, `"`)
		if seen[base]++; seen[base] > 1 {
			rl.rename(base + "-" + strconv.Itoa(seen[base]))
		}
		set.list = append(set.list, rl)
		items = append(items, rl.policy[0])
	}
	set.policy = []string{strings.Join(items, ", ")}
	return set, ""
}

// rename gives rl another RateLimit header name.
func (rl *rateLimit) rename(name string) {
	rl.name = `"` + name + `"`
	q, w := rl.limit.Limit, int64(rl.limit.Window/time.Second)
	rl.policy = []string{rl.name + ";q=" + strconv.FormatInt(q, 10) + ";w=" + strconv.FormatInt(w, 10)}
}

// taken is a unit admitted by one limit, to refund if another rejects.
type taken struct {
	rl  *rateLimit
	key string
}

// limit runs the rate-limit stage over every limit in sets (the
// endpoint's, then the caller's plan's; either may be nil): the request
// passes only if each admits it. Limits are taken in order; when one
// rejects (or fails closed), the units already taken are refunded, so a
// rejected request consumes no quota (docs/ratelimit.md, "Combined
// limits"). The RateLimit headers report the most restrictive decision;
// RateLimit-Policy lists every policy. It returns a 429 when r is over a
// limit, or a 503 when a store cannot decide and that policy fails closed.
func (g *Gateway) limit(w http.ResponseWriter, r *http.Request, sets [2]*rateLimits, tenant string, now time.Time) *problem.Problem {
	var took [16]taken
	done := took[:0]
	var tight *rateLimit
	var td ratelimit.Decision
	for _, set := range sets {
		if set == nil {
			continue
		}
		for _, rl := range set.list {
			key := rl.key(r, tenant)
			d, err := g.take(r.Context(), key, rl.limit, now, 1)
			if err != nil {
				g.log.LogAttrs(r.Context(), slog.LevelWarn, "rate limit store unavailable",
					slog.String("tenant", tenant), slog.Bool("failOpen", rl.failOpen), slog.String("error", err.Error()))
				if rl.failOpen {
					continue
				}
				g.refund(r.Context(), tenant, done, now)
				p := problem.New(http.StatusServiceUnavailable, "rate-limit-unavailable", "Service Unavailable",
					"the rate limit of this endpoint cannot be checked right now; retry").WithCause(err)
				p.Headers = http.Header{"Retry-After": {"1"}}
				return p
			}
			if tight == nil || !d.Allowed || d.Remaining < td.Remaining || (d.Remaining == td.Remaining && d.Reset > td.Reset) {
				tight, td = rl, d
			}
			if !d.Allowed {
				g.refund(r.Context(), tenant, done, now)
				break
			}
			done = append(done, taken{rl, key})
		}
		if tight != nil && !td.Allowed {
			break
		}
	}
	if tight == nil {
		return nil // every store failed open
	}
	h := w.Header()
	reset := strconv.FormatInt(ceilSeconds(td.Reset), 10)
	remaining := strconv.FormatInt(td.Remaining, 10)
	h["Ratelimit-Policy"] = policyHeader(sets)
	h["Ratelimit"] = []string{tight.name + ";r=" + remaining + ";t=" + reset}
	h["X-Ratelimit-Limit"] = tight.limitH
	h["X-Ratelimit-Remaining"] = []string{remaining}
	h["X-Ratelimit-Reset"] = []string{reset}
	if td.Allowed {
		return nil
	}
	p := problem.New(http.StatusTooManyRequests, "rate-limited", "Too Many Requests", "this endpoint's rate limit is exhausted; retry after the time in Retry-After")
	p.Headers = http.Header{"Retry-After": {strconv.FormatInt(max(1, ceilSeconds(td.RetryAfter)), 10)}}
	return p
}

// policyHeader is the RateLimit-Policy value listing every policy of sets.
func policyHeader(sets [2]*rateLimits) []string {
	switch {
	case sets[0] == nil:
		return sets[1].policy
	case sets[1] == nil:
		return sets[0].policy
	}
	return []string{sets[0].policy[0] + ", " + sets[1].policy[0]}
}

// take asks the store for n units, with RateLimitTimeout for remote stores.
func (g *Gateway) take(ctx context.Context, key string, l ratelimit.Limit, now time.Time, n int64) (ratelimit.Decision, error) {
	if m, local := g.cfg.RateLimits.(*ratelimit.Memory); local {
		// No I/O, so no deadline (a timer costs more than the decision).
		return m.Take(ctx, key, l, now, n)
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.RateLimitTimeout)
	defer cancel()
	return g.cfg.RateLimits.Take(ctx, key, l, now, n)
}

// refund gives back the units in done; a failed refund is logged and
// loses that unit until its window ends.
func (g *Gateway) refund(ctx context.Context, tenant string, done []taken, now time.Time) {
	for _, t := range done {
		if _, err := g.take(ctx, t.key, t.rl.limit, now, -1); err != nil {
			g.log.LogAttrs(ctx, slog.LevelWarn, "rate limit refund failed",
				slog.String("tenant", tenant), slog.String("error", err.Error()))
		}
	}
}

func ceilSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}
