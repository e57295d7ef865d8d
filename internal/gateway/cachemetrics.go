package gateway

import "github.com/portico/portico/internal/cache"

// cacheCounters returns the cache counters of res's endpoint, looked up
// once per compiled endpoint, so counting a hit does not allocate.
func (g *Gateway) cacheCounters(res *resolution) *cache.EndpointCounters {
	cs := res.ep.cache
	if m := cs.metrics.Load(); m != nil {
		return m
	}
	m := g.cfg.Cache.Endpoint(res.tenant, res.ep.ep.ID)
	cs.metrics.Store(m)
	return m
}
