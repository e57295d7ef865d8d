package cache

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/maypok86/otter/v2"
)

// EndpointCounters are one endpoint's cache counters on this instance. The
// gateway holds a pointer per endpoint and adds to it without allocating.
type EndpointCounters struct {
	tenant, endpoint string

	hits, misses, stale, stored, evictions, bytes, entries atomic.Int64
}

// Hit counts a response served from the cache.
func (c *EndpointCounters) Hit() { c.hits.Add(1) }

// Miss counts a cacheable request the cache could not answer.
func (c *EndpointCounters) Miss() { c.misses.Add(1) }

// Stale counts a request answered with an entry past its TTL because the
// upstream failed (stale-if-error).
func (c *EndpointCounters) Stale() { c.stale.Add(1) }

// EndpointStats is a snapshot of one endpoint's counters. Hits, Misses and
// Stale follow the responses' X-Cache (HIT, MISS, STALE): each cacheable
// request counts in exactly one.
type EndpointStats struct {
	Tenant   string `json:"-"`
	Endpoint string `json:"endpoint"`
	Hits     int64  `json:"hits"`
	Misses   int64  `json:"misses"`
	// Stale counts requests answered with an expired entry within its
	// stale-if-error window because the upstream failed.
	Stale int64 `json:"stale"`
	// Stored counts entries stored by this instance (in L1 and L2).
	Stored int64 `json:"stored"`
	// Evictions counts L1 entries evicted for size.
	Evictions int64 `json:"evictions"`
	// Bytes and Entries are what the endpoint holds in this instance's L1
	// now (Entry.Size).
	Bytes   int64 `json:"bytes"`
	Entries int64 `json:"entries"`
}

type endpointKey struct{ tenant, endpoint string }

// endpoints holds the counters of every endpoint seen, by tenant and ID.
type endpoints struct{ m sync.Map }

// Endpoint returns the counters of tenant's endpoint, creating them.
func (c *Cache) Endpoint(tenant, endpoint string) *EndpointCounters {
	k := endpointKey{tenant, endpoint}
	if v, ok := c.eps.m.Load(k); ok {
		return v.(*EndpointCounters)
	}
	v, _ := c.eps.m.LoadOrStore(k, &EndpointCounters{tenant: tenant, endpoint: endpoint})
	return v.(*EndpointCounters)
}

// EndpointStats returns the counters of tenant's endpoints, by endpoint ID,
// after settling pending L1 maintenance.
func (c *Cache) EndpointStats(tenant string) []EndpointStats {
	return c.endpointStats(func(t string) bool { return t == tenant })
}

// AllEndpointStats returns the counters of every tenant's endpoints, by
// tenant and endpoint ID (for the metrics export).
func (c *Cache) AllEndpointStats() []EndpointStats {
	return c.endpointStats(func(string) bool { return true })
}

func (c *Cache) endpointStats(match func(tenant string) bool) []EndpointStats {
	c.l1.CleanUp()
	var out []EndpointStats
	c.eps.m.Range(func(k, v any) bool {
		if !match(k.(endpointKey).tenant) {
			return true
		}
		e := v.(*EndpointCounters)
		out = append(out, EndpointStats{
			Tenant: e.tenant, Endpoint: e.endpoint, Hits: e.hits.Load(), Misses: e.misses.Load(), Stale: e.stale.Load(),
			Stored: e.stored.Load(), Evictions: e.evictions.Load(), Bytes: e.bytes.Load(), Entries: e.entries.Load(),
		})
		return true
	})
	slices.SortFunc(out, func(a, b EndpointStats) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Endpoint, b.Endpoint))
	})
	return out
}

// l1Added and l1Deleted keep the per-endpoint L1 bytes and evictions.
func (c *Cache) l1Added(e *Entry) {
	ec := c.Endpoint(e.Tenant, e.Endpoint)
	ec.bytes.Add(int64(e.Size()))
	ec.entries.Add(1)
}

func (c *Cache) l1Deleted(ev otter.DeletionEvent[string, *l1Item]) {
	e := ev.Value.e
	ec := c.Endpoint(e.Tenant, e.Endpoint)
	ec.bytes.Add(-int64(e.Size()))
	ec.entries.Add(-1)
	if ev.Cause == otter.CauseOverflow {
		ec.evictions.Add(1)
	}
}
