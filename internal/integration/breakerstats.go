package integration

import (
	"cmp"
	"slices"
	"sync/atomic"

	"github.com/sony/gobreaker/v2"
)

// BreakerStats counts the circuit-breaker transitions of one (tenant,
// integration) on this instance since it started, by the state entered.
type BreakerStats struct {
	Tenant, Integration string
	Opened              int64
	HalfOpened          int64
	Closed              int64
}

// transitions are the live counters behind BreakerStats; they outlive a
// breaker replaced by a settings change.
type transitions struct {
	tenant, integration        string
	opened, halfOpened, closed atomic.Int64
}

// count is the breaker's OnStateChange.
func (t *transitions) count(_ string, _, to gobreaker.State) {
	switch to {
	case gobreaker.StateOpen:
		t.opened.Add(1)
	case gobreaker.StateHalfOpen:
		t.halfOpened.Add(1)
	case gobreaker.StateClosed:
		t.closed.Add(1)
	}
}

// transitionsOf returns the counters of key k (p's tenant and
// integration), creating them; e.mu is held.
func (e *Engine) transitionsOf(k string, p *Plan) *transitions {
	t := e.trans[k]
	if t == nil {
		t = &transitions{tenant: p.Tenant, integration: p.Integration}
		e.trans[k] = t
	}
	return t
}

// BreakerStats returns the transition counters of every (tenant,
// integration) whose breaker this instance has built, sorted, for the
// metrics export.
func (e *Engine) BreakerStats() []BreakerStats {
	e.mu.Lock()
	out := make([]BreakerStats, 0, len(e.trans))
	for _, t := range e.trans {
		out = append(out, BreakerStats{Tenant: t.tenant, Integration: t.integration,
			Opened: t.opened.Load(), HalfOpened: t.halfOpened.Load(), Closed: t.closed.Load()})
	}
	e.mu.Unlock()
	slices.SortFunc(out, func(a, b BreakerStats) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Integration, b.Integration))
	})
	return out
}
