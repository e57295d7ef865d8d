package webhook

import (
	"cmp"
	"slices"
	"sync"
)

// Stats are the cumulative delivery counters of one subscription in this
// process (the dispatcher's metrics: app.WebhookMetrics exports them).
type Stats struct {
	Tenant       string
	Subscription string
	// Attempts counts every attempt, Delivered the deliveries that ended
	// with a 2xx, Failed those that ended failed (no attempt left).
	Attempts, Delivered, Failed int64
}

// maxStats bounds the series a dispatcher counts; beyond it, counters
// start again from zero (the exporter takes a drop for a restart).
const maxStats = 10000

type statsKey struct{ tenant, sub string }

// dispatchStats holds a Dispatcher's counters.
type dispatchStats struct {
	mu sync.Mutex
	m  map[statsKey]*Stats
}

// count adds one attempt of sub, that ended in state.
func (s *dispatchStats) count(tenant, sub, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := statsKey{tenant, sub}
	st := s.m[k]
	if st == nil {
		if s.m == nil || len(s.m) >= maxStats {
			s.m = make(map[statsKey]*Stats)
		}
		st = &Stats{Tenant: tenant, Subscription: sub}
		s.m[k] = st
	}
	st.Attempts++
	switch state {
	case StateDelivered:
		st.Delivered++
	case StateFailed:
		st.Failed++
	}
}

// Stats returns the counters of every subscription this dispatcher has
// attempted to deliver to, by tenant and subscription.
func (d *Dispatcher) Stats() []Stats {
	d.stats.mu.Lock()
	out := make([]Stats, 0, len(d.stats.m))
	for _, s := range d.stats.m {
		out = append(out, *s)
	}
	d.stats.mu.Unlock()
	slices.SortFunc(out, func(a, b Stats) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Subscription, b.Subscription))
	})
	return out
}
