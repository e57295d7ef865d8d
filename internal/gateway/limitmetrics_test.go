package gateway

import (
	"net/http"
	"slices"
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/route"
)

// TestRateLimitStats: admitted and 429 requests are counted per tenant and
// endpoint, across a configuration refresh (the recompiled endpoint finds
// its counters again); a fail-closed store's 503 counts in neither, and a
// decision is counted without allocating.
func TestRateLimitStats(t *testing.T) {
	h := newHarness(t, nil)
	p := &model.RateLimitPolicy{Algorithm: model.FixedWindow, Scope: model.ScopeEndpoint, Limit: 2, WindowSeconds: 60}
	h.src.set(withLimit("acme", h.up, p))
	h.src.set(withLimit("globex", h.up, p))
	want := []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests}
	for i, code := range want {
		if w := h.do(t, "GET", "/t/acme/v1/limited", nil); w.Code != code {
			t.Fatalf("acme request %d: %d, want %d", i, w.Code, code)
		}
	}
	h.do(t, "GET", "/t/globex/v1/limited", nil)
	// A new configuration version recompiles every endpoint.
	cfg := withLimit("acme", h.up, p)
	cfg.Version = 2
	h.src.set(cfg)
	h.clock.Advance(h.gw.cfg.RefreshInterval)
	if w := h.do(t, "GET", "/t/acme/v1/limited", nil); w.Code != http.StatusTooManyRequests {
		t.Fatalf("after the refresh: %d", w.Code)
	}
	id := cfg.Endpoints[slices.IndexFunc(cfg.Endpoints, func(e model.Endpoint) bool { return e.Path == "/limited" })].ID
	wantStats := []LimitStats{
		{Tenant: "acme", Endpoint: id, Allowed: 2, Limited: 2},
		{Tenant: "globex", Endpoint: id, Allowed: 1},
	}
	if got := h.gw.RateLimitStats(); !slices.Equal(got, wantStats) {
		t.Fatalf("RateLimitStats = %+v, want %+v", got, wantStats)
	}

	snap, err := h.gw.snaps.get(t.Context(), "acme", h.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	var ps route.Params
	ce, ok := snap.routes.Match("GET", "/v1/limited", &ps)
	if !ok {
		t.Fatal("endpoint not compiled")
	}
	if n := testing.AllocsPerRun(100, func() { h.gw.snaps.limits.counters(ce, "acme").allowed.Add(1) }); n != 0 {
		t.Fatalf("counting a decision: %v allocs", n)
	}
}

func TestRateLimitStatsFailClosed(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RateLimits = failingStore{} })
	h.src.set(withLimit("acme", h.up, &model.RateLimitPolicy{Algorithm: model.FixedWindow, Scope: model.ScopeEndpoint, Limit: 2, WindowSeconds: 60}))
	if w := h.do(t, "GET", "/t/acme/v1/limited", nil); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("fail closed: %d", w.Code)
	}
	if got := h.gw.RateLimitStats(); len(got) != 1 || got[0].Allowed != 0 || got[0].Limited != 0 {
		t.Fatalf("RateLimitStats = %+v, want zero counts", got)
	}
}
