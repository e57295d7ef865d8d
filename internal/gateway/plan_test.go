package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/model"
)

// sendPath serves GET path as c.
func sendPath(h *harness, path string, c *caller.Caller) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", path, nil)
	r = r.WithContext(caller.With(r.Context(), c))
	w := httptest.NewRecorder()
	h.gw.ServeHTTP(w, r)
	return w
}

func TestPlanLimits(t *testing.T) {
	h := newHarness(t, nil)
	cfg := withLimits("acme", h.up, model.RateLimitPolicy{Algorithm: model.FixedWindow, Scope: model.ScopeEndpoint, Limit: 10, WindowSeconds: 60})
	cfg.Plans = []model.Plan{{Slug: "bronze", Name: "Bronze", Limits: []model.RateLimitPolicy{{Algorithm: model.FixedWindow, Limit: 2, WindowSeconds: 60}}}}
	h.src.set(cfg)
	h.src.set(withLimits("globex", h.up, model.RateLimitPolicy{Algorithm: model.FixedWindow, Scope: model.ScopeEndpoint, Limit: 10, WindowSeconds: 60}))
	alice := &caller.Caller{Kind: caller.APIKey, Tenant: "acme", Consumer: "alice", Plan: "bronze"}
	carol := &caller.Caller{Kind: caller.APIKey, Tenant: "acme", Consumer: "carol", Plan: "bronze"}
	bob := &caller.Caller{Kind: caller.APIKey, Tenant: "acme", Consumer: "bob"}
	dave := &caller.Caller{Kind: caller.APIKey, Tenant: "acme", Consumer: "dave", Plan: "no-such-plan"}

	// The plan counts alice's requests across endpoints: /items has no
	// limit of its own.
	if w := sendPath(h, "/t/acme/v1/items", alice); w.Code != 200 || w.Header().Get("RateLimit-Policy") != `"plan-bronze";q=2;w=60` {
		t.Fatalf("alice /items: %d, RateLimit-Policy %q", w.Code, w.Header().Get("RateLimit-Policy"))
	}
	w := sendPath(h, "/t/acme/v1/limited", alice)
	if w.Code != 200 {
		t.Fatalf("alice /limited: %d", w.Code)
	}
	if got, want := w.Header().Get("RateLimit-Policy"), `"endpoint";q=10;w=60, "plan-bronze";q=2;w=60`; got != want {
		t.Errorf("RateLimit-Policy = %q, want %q", got, want)
	}
	if got := w.Header().Get("RateLimit"); !strings.HasPrefix(got, `"plan-bronze";r=0;`) {
		t.Errorf("RateLimit = %q, want the plan's", got)
	}
	for i := range 3 { // over the plan: rejected, and the endpoint's unit refunded
		if w := sendPath(h, "/t/acme/v1/limited", alice); w.Code != http.StatusTooManyRequests {
			t.Fatalf("alice over plan %d: %d", i, w.Code)
		}
	}
	// Per consumer: carol has her own bronze counter.
	if w := sendPath(h, "/t/acme/v1/limited", carol); w.Code != 200 {
		t.Fatalf("carol: %d", w.Code)
	}
	// The endpoint counted alice once and carol once; rejected requests
	// were refunded.
	w = sendPath(h, "/t/acme/v1/limited", bob)
	if w.Code != 200 || w.Header().Get("X-RateLimit-Remaining") != "7" || w.Header().Get("RateLimit-Policy") != `"endpoint";q=10;w=60` {
		t.Fatalf("bob: %d, remaining %q, policy %q", w.Code, w.Header().Get("X-RateLimit-Remaining"), w.Header().Get("RateLimit-Policy"))
	}
	// A plan the tenant does not define adds nothing.
	if w := sendPath(h, "/t/acme/v1/items", dave); w.Code != 200 || w.Header().Get("RateLimit") != "" {
		t.Fatalf("dave: %d, RateLimit %q", w.Code, w.Header().Get("RateLimit"))
	}
	// Another tenant's plans are not this tenant's.
	galice := &caller.Caller{Kind: caller.APIKey, Tenant: "globex", Consumer: "alice", Plan: "bronze"}
	for i := range 3 {
		if w := sendPath(h, "/t/globex/v1/items", galice); w.Code != 200 {
			t.Fatalf("globex alice %d: %d", i, w.Code)
		}
	}
	h.clock.Advance(time.Minute)
	if w := sendPath(h, "/t/acme/v1/limited", alice); w.Code != 200 {
		t.Fatalf("alice next window: %d", w.Code)
	}
}

func TestPlanUnenforceableFailsClosed(t *testing.T) {
	h := newHarness(t, nil)
	cfg := testConfig("acme", 1, h.up)
	cfg.Plans = []model.Plan{{Slug: "fast", Name: "Fast", Limits: []model.RateLimitPolicy{{Algorithm: model.TokenBucket, Limit: 1_000_000, WindowSeconds: 1}}}}
	h.src.set(cfg)
	if w := sendPath(h, "/t/acme/v1/items", &caller.Caller{Kind: caller.APIKey, Tenant: "acme", Consumer: "a", Plan: "fast"}); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", w.Code)
	}
	if w := sendPath(h, "/t/acme/v1/items", &caller.Caller{Kind: caller.APIKey, Tenant: "acme", Consumer: "b"}); w.Code != 200 {
		t.Fatalf("caller without the plan: %d", w.Code)
	}
}
