package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/ratelimit"
)

// withLimits returns tenant's test configuration with ps as the rateLimits
// of GET /v1/limited.
func withLimits(tenant string, up upstreams, ps ...model.RateLimitPolicy) *catalog.TenantConfig {
	cfg := testConfig(tenant, 1, up)
	for i := range cfg.Endpoints {
		if cfg.Endpoints[i].Path == "/limited" {
			cfg.Endpoints[i].Policies.RateLimit, cfg.Endpoints[i].Policies.RateLimits = nil, ps
		}
	}
	return cfg
}

// sendAs serves GET /t/acme/v1/limited as c.
func sendAs(h *harness, c *caller.Caller) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "/t/acme/v1/limited", nil)
	r = r.WithContext(caller.With(r.Context(), c))
	w := httptest.NewRecorder()
	h.gw.ServeHTTP(w, r)
	return w
}

func TestRateLimitsCombined(t *testing.T) {
	h := newHarness(t, nil)
	// The endpoint limit is taken first, so a consumer rejection must
	// refund it.
	h.src.set(withLimits("acme", h.up,
		model.RateLimitPolicy{Algorithm: model.FixedWindow, Scope: model.ScopeEndpoint, Limit: 3, WindowSeconds: 60},
		model.RateLimitPolicy{Algorithm: model.FixedWindow, Scope: model.ScopeConsumer, Limit: 2, WindowSeconds: 60},
	))
	alice := &caller.Caller{Kind: caller.APIKey, Tenant: "acme", Consumer: "alice"}
	bob := &caller.Caller{Kind: caller.APIKey, Tenant: "acme", Consumer: "bob"}
	const policy = `"endpoint";q=3;w=60, "consumer";q=2;w=60`
	for _, tc := range []struct {
		name      string
		c         *caller.Caller
		code      int
		rateLimit string // the most restrictive policy, without t=
		limit     string
	}{
		{"alice 1", alice, 200, `"consumer";r=1`, "2"},
		{"alice 2", alice, 200, `"consumer";r=0`, "2"},
		{"alice 3, consumer rejects", alice, 429, `"consumer";r=0`, "2"},
		{"alice 4, consumer rejects", alice, 429, `"consumer";r=0`, "2"},
		{"bob 1, endpoint quota intact", bob, 200, `"endpoint";r=0`, "3"},
		{"bob 2, endpoint rejects", bob, 429, `"endpoint";r=0`, "3"},
	} {
		w := sendAs(h, tc.c)
		if w.Code != tc.code {
			t.Fatalf("%s: status %d, want %d", tc.name, w.Code, tc.code)
		}
		hdr := w.Header()
		if got := hdr.Get("RateLimit-Policy"); got != policy {
			t.Errorf("%s: RateLimit-Policy = %q, want %q", tc.name, got, policy)
		}
		if got := hdr.Get("RateLimit"); !strings.HasPrefix(got, tc.rateLimit+";t=") {
			t.Errorf("%s: RateLimit = %q, want %s;t=...", tc.name, got, tc.rateLimit)
		}
		if got := hdr.Get("X-RateLimit-Limit"); got != tc.limit {
			t.Errorf("%s: X-RateLimit-Limit = %q, want %q", tc.name, got, tc.limit)
		}
	}
	h.clock.Advance(time.Minute)
	if w := sendAs(h, bob); w.Code != http.StatusOK {
		t.Fatalf("next window: status %d", w.Code)
	}
}

func TestRateLimitsSingleAndListCombine(t *testing.T) {
	h := newHarness(t, nil)
	cfg := withLimit("acme", h.up, &model.RateLimitPolicy{Algorithm: model.SlidingWindow, Scope: model.ScopeConsumer, Limit: 5, WindowSeconds: 60})
	for i := range cfg.Endpoints {
		if cfg.Endpoints[i].Path == "/limited" {
			cfg.Endpoints[i].Policies.RateLimits = []model.RateLimitPolicy{
				{Algorithm: model.TokenBucket, Scope: model.ScopeConsumer, Limit: 1, WindowSeconds: 1},
			}
		}
	}
	h.src.set(cfg)
	alice := &caller.Caller{Kind: caller.APIKey, Tenant: "acme", Consumer: "alice"}
	w := sendAs(h, alice)
	if w.Code != 200 {
		t.Fatalf("first: status %d", w.Code)
	}
	if got, want := w.Header().Get("RateLimit-Policy"), `"consumer";q=5;w=60, "consumer-2";q=1;w=1`; got != want {
		t.Errorf("RateLimit-Policy = %q, want %q", got, want)
	}
	if w := sendAs(h, alice); w.Code != 429 || !strings.HasPrefix(w.Header().Get("RateLimit"), `"consumer-2";r=0`) {
		t.Fatalf("second within a second: status %d, RateLimit %q", w.Code, w.Header().Get("RateLimit"))
	}
	// The bucket refills each second; the sliding window (5/min) holds
	// the rest, and rejected requests never counted against it.
	for i := range 4 {
		h.clock.Advance(time.Second)
		if w := sendAs(h, alice); w.Code != 200 {
			t.Fatalf("refill %d: status %d", i, w.Code)
		}
		sendAs(h, alice) // rejected by the bucket; must not use the window
	}
	h.clock.Advance(time.Second)
	if w := sendAs(h, alice); w.Code != 429 || !strings.HasPrefix(w.Header().Get("RateLimit"), `"consumer";r=0`) {
		t.Fatalf("sixth in the minute: status %d, RateLimit %q", w.Code, w.Header().Get("RateLimit"))
	}
}

// partialStore fails for keys containing bad and defers to a Memory store
// otherwise.
type partialStore struct {
	*ratelimit.Memory
	bad string
}

func (s partialStore) Take(ctx context.Context, key string, l ratelimit.Limit, now time.Time, n int64) (ratelimit.Decision, error) {
	if strings.Contains(key, s.bad) {
		return ratelimit.Decision{}, ratelimit.ErrUnavailable
	}
	return s.Memory.Take(ctx, key, l, now, n)
}

func TestRateLimitsFailClosedRefunds(t *testing.T) {
	mem := ratelimit.NewMemory()
	for _, failOpen := range []bool{false, true} {
		t.Run(map[bool]string{true: "failOpen", false: "failClosed"}[failOpen], func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.RateLimits = partialStore{mem, "|tenant|"} })
			h.src.set(withLimits("acme", h.up,
				model.RateLimitPolicy{Algorithm: model.FixedWindow, Scope: model.ScopeConsumer, Limit: 1, WindowSeconds: 60},
				model.RateLimitPolicy{Algorithm: model.FixedWindow, Scope: model.ScopeTenant, Limit: 1, WindowSeconds: 60, FailOpen: failOpen},
			))
			alice := &caller.Caller{Kind: caller.APIKey, Tenant: "acme", Consumer: "alice-" + t.Name()}
			want := map[bool]int{false: 503, true: 200}[failOpen]
			if w := sendAs(h, alice); w.Code != want {
				t.Fatalf("status %d, want %d", w.Code, want)
			}
			// Fail closed: the consumer unit was refunded, so the next
			// decision is the consumer's again, not a 429.
			if w := sendAs(h, alice); w.Code != map[bool]int{false: 503, true: 429}[failOpen] {
				t.Fatalf("second: status %d", w.Code)
			}
		})
	}
}
