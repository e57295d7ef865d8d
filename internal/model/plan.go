package model

import "strconv"

// Plan is a tenant-defined rate-limit plan: API keys name one (APIKey.Plan)
// and the gateway applies its limits to the key's requests, per consumer,
// in addition to the endpoint's own limits (docs/ratelimit.md, "Plans").
type Plan struct {
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Limits are all enforced; each counts one consumer's requests to
	// every endpoint of the tenant. Scope must be consumer or empty.
	Limits []RateLimitPolicy `json:"limits"`
	Meta
}

// ValidatePlan checks a plan.
func ValidatePlan(p *Plan) Errors {
	var e Errors
	e.slug("/slug", p.Slug)
	e.name("/name", p.Name, true)
	e.description("/description", p.Description)
	switch n := len(p.Limits); {
	case n == 0:
		e.Add("/limits", "must hold at least one limit")
	case n > MaxRateLimits:
		e.Add("/limits", "at most %d limits per plan", MaxRateLimits)
	}
	for i := range p.Limits {
		ptr := "/limits/" + strconv.Itoa(i)
		l := p.Limits[i]
		if l.Scope == "" {
			l.Scope = ScopeConsumer
		}
		if l.Scope != ScopeConsumer {
			e.Add(ptr+"/scope", "plan limits are per consumer: must be consumer or omitted")
			continue
		}
		validateRateLimit(&e, ptr, &l)
	}
	return e
}
