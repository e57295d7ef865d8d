package gateway

import (
	"net/http"
	"strconv"
	"time"

	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
)

// planLimits is a tenant plan compiled: its limits, or why they cannot be
// enforced (requests under it then fail closed, like an endpoint's).
type planLimits struct {
	set         *rateLimits
	unsupported string
}

// compilePlans compiles a tenant's plans by slug. A plan's limits count one
// consumer's requests to every endpoint of the tenant: the key is
// <tenant>|plan|<slug>|<i>|<algorithm>|<limit>/<window>|<caller>, so
// editing a limit starts a fresh counter, and plans never share one.
func compilePlans(plans []model.Plan) map[string]*planLimits {
	if len(plans) == 0 {
		return nil
	}
	out := make(map[string]*planLimits, len(plans))
	for _, p := range plans {
		ps := make([]model.RateLimitPolicy, len(p.Limits))
		for i, l := range p.Limits {
			l.Scope = model.ScopeConsumer
			ps[i] = l
		}
		set, why := compileRateLimits(ps, "")
		if set == nil {
			out[p.Slug] = &planLimits{unsupported: "a plan with " + why}
			continue
		}
		items := ""
		for i, rl := range set.list {
			name := "plan-" + p.Slug
			if i > 0 {
				name += "-" + strconv.Itoa(i+1)
			}
			rl.rename(name)
			rl.suffix = "|plan|" + p.Slug + "|" + strconv.Itoa(i) + "|" + rl.limit.Algorithm.String() + "|" +
				strconv.FormatInt(rl.limit.Limit, 10) + "/" + strconv.FormatInt(rl.limit.Window.Milliseconds(), 10) + "|"
			if i > 0 {
				items += ", "
			}
			items += rl.policy[0]
		}
		set.policy = []string{items}
		out[p.Slug] = &planLimits{set: set}
	}
	return out
}

// limits runs the rate-limit stage for ce: its own limits and, for a
// caller whose credential names a plan of this tenant, the plan's limits.
// A plan name the tenant does not define adds nothing (docs/ratelimit.md,
// Plans).
func (g *Gateway) limits(w http.ResponseWriter, r *http.Request, ce *endpoint, res *resolution, now time.Time) *problem.Problem {
	var pl *rateLimits
	if res.snap != nil && res.snap.plans != nil {
		if c, ok := caller.From(r.Context()); ok && c.Plan != "" {
			if p := res.snap.plans[c.Plan]; p != nil {
				if p.unsupported != "" {
					return problem.New(http.StatusServiceUnavailable, "policy-unavailable", "Service Unavailable",
						"this caller's plan is configured with "+p.unsupported+", which this gateway cannot enforce yet; it fails closed")
				}
				pl = p.set
			}
		}
	}
	if ce.rateLimit == nil && pl == nil {
		return nil
	}
	p := g.limit(w, r, [2]*rateLimits{ce.rateLimit, pl}, res.tenant, now)
	switch c := g.snaps.limits.counters(ce, res.tenant); {
	case p == nil:
		c.allowed.Add(1)
	case p.Status == http.StatusTooManyRequests:
		c.limited.Add(1)
	}
	return p
}
