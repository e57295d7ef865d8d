package gateway

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
)

// LimitStats are one endpoint's rate-limit decisions on this instance
// since it started, for the metrics export: requests every limit admitted,
// (a limit whose store failed open included), and requests answered 429.
// A request refused because a store failing closed could not decide (503)
// counts in neither.
type LimitStats struct {
	Tenant, Endpoint string
	Allowed, Limited int64
}

// limitCounters are the live counters behind LimitStats.
type limitCounters struct {
	tenant, endpoint string
	allowed, limited atomic.Int64
}

// limitSlot holds an endpoint's counters once looked up, so counting a
// decision does not allocate; compiled endpoints (which a configuration
// refresh replaces) find the same counters again in the registry.
type limitSlot struct{ p atomic.Pointer[limitCounters] }

// limitRegistry holds the counters of every endpoint seen, by tenant and
// endpoint ID.
type limitRegistry struct{ m sync.Map }

type limitKey struct{ tenant, endpoint string }

// counters returns ce's counters through its slot.
func (lr *limitRegistry) counters(ce *endpoint, tenant string) *limitCounters {
	if c := ce.limitMetrics.p.Load(); c != nil {
		return c
	}
	v, _ := lr.m.LoadOrStore(limitKey{tenant, ce.ep.ID}, &limitCounters{tenant: tenant, endpoint: ce.ep.ID})
	c := v.(*limitCounters)
	ce.limitMetrics.p.Store(c)
	return c
}

// RateLimitStats returns every rate-limited endpoint's decision counters,
// by tenant and endpoint ID.
func (g *Gateway) RateLimitStats() []LimitStats {
	var out []LimitStats
	g.snaps.limits.m.Range(func(_, v any) bool {
		c := v.(*limitCounters)
		out = append(out, LimitStats{Tenant: c.tenant, Endpoint: c.endpoint, Allowed: c.allowed.Load(), Limited: c.limited.Load()})
		return true
	})
	slices.SortFunc(out, func(a, b LimitStats) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Endpoint, b.Endpoint))
	})
	return out
}
