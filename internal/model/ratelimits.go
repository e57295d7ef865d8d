package model

import "strconv"

// MaxRateLimits is how many limits one endpoint (or one plan) may combine.
const MaxRateLimits = 8

// Limits is every rate limit of an endpoint: RateLimit (the original single
// policy, still accepted) followed by RateLimits. A request passes only when
// it passes all of them (docs/ratelimit.md, "Combined limits").
func (p Policies) Limits() []RateLimitPolicy {
	if p.RateLimit == nil {
		return p.RateLimits
	}
	return append([]RateLimitPolicy{*p.RateLimit}, p.RateLimits...)
}

// validateRateLimits checks rateLimit and each rateLimits entry, reporting
// problems at their JSON pointers (/policies/rateLimits/1/limit).
func validateRateLimits(e *Errors, p Policies) {
	if r := p.RateLimit; r != nil {
		validateRateLimit(e, "/policies/rateLimit", r)
	}
	if n := len(p.Limits()); n > MaxRateLimits {
		e.Add("/policies/rateLimits", "at most %d rate limits per endpoint, rateLimit included", MaxRateLimits)
	}
	for i := range p.RateLimits {
		validateRateLimit(e, "/policies/rateLimits/"+strconv.Itoa(i), &p.RateLimits[i])
	}
}

// validateRateLimit checks one policy at ptr.
func validateRateLimit(e *Errors, ptr string, r *RateLimitPolicy) {
	switch r.Algorithm {
	case FixedWindow, SlidingWindow, TokenBucket:
	default:
		e.Add(ptr+"/algorithm", "must be one of fixedWindow, slidingWindow, tokenBucket")
	}
	switch r.Scope {
	case ScopeConsumer, ScopeEndpoint, ScopeTenant:
	default:
		e.Add(ptr+"/scope", "must be one of consumer, endpoint, tenant")
	}
	if r.Limit < 1 || r.Limit > 1_000_000_000 {
		e.Add(ptr+"/limit", "must be between 1 and 1000000000")
	}
	if r.WindowSeconds < 1 || r.WindowSeconds > 86400 {
		e.Add(ptr+"/windowSeconds", "must be between 1 and 86400")
	}
	if r.Burst < 0 || (r.Burst > 0 && r.Algorithm != TokenBucket) {
		e.Add(ptr+"/burst", "is only valid, and must be positive, for tokenBucket")
	}
}
