package gateway

import (
	"context"
	"errors"
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

// withLimit returns tenant's test configuration with p on GET /v1/limited.
func withLimit(tenant string, up upstreams, p *model.RateLimitPolicy) *catalog.TenantConfig {
	cfg := testConfig(tenant, 1, up)
	for i := range cfg.Endpoints {
		if cfg.Endpoints[i].Path == "/limited" {
			cfg.Endpoints[i].Policies.RateLimit = p
		}
	}
	return cfg
}

// failingStore is a rate-limit store that cannot be reached.
type failingStore struct{}

func (failingStore) Take(context.Context, string, ratelimit.Limit, time.Time, int64) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, ratelimit.ErrUnavailable
}

func TestRateLimitHeadersAnd429(t *testing.T) {
	h := newHarness(t, nil)
	h.src.set(withLimit("acme", h.up, &model.RateLimitPolicy{Algorithm: model.FixedWindow, Scope: model.ScopeEndpoint, Limit: 2, WindowSeconds: 60}))
	reset := func() string { // seconds to the end of the fake clock's minute
		now := h.clock.Now()
		return itoa(int64(now.Truncate(time.Minute).Add(time.Minute).Sub(now).Seconds()))
	}
	for i, remaining := range []string{"1", "0"} {
		w := h.do(t, "GET", "/t/acme/v1/limited", nil)
		if w.Code != http.StatusOK {
			t.Fatalf("request %d: status %d", i+1, w.Code)
		}
		hdr := w.Header()
		for k, v := range map[string]string{
			"RateLimit-Policy":      `"endpoint";q=2;w=60`,
			"RateLimit":             `"endpoint";r=` + remaining + ";t=" + reset(),
			"X-RateLimit-Limit":     "2",
			"X-RateLimit-Remaining": remaining,
			"X-RateLimit-Reset":     reset(),
		} {
			if got := hdr.Get(k); got != v {
				t.Errorf("request %d: %s = %q, want %q", i+1, k, got, v)
			}
		}
	}
	// /a and //a are one route and one counter.
	w := h.do(t, "GET", "/t/acme//v1//limited/", nil)
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("third request: status %d, want 429", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("429 Content-Type = %q", ct)
	}
	if got := w.Header().Get("Retry-After"); got != reset() {
		t.Errorf("Retry-After = %q, want %q", got, reset())
	}
	if got := w.Header().Get("X-RateLimit-Remaining"); got != "0" {
		t.Errorf("429 X-RateLimit-Remaining = %q", got)
	}
	if p := problemBody(t, w); !strings.HasSuffix(p["type"].(string), "rate-limited") {
		t.Errorf("problem type %v", p["type"])
	}
	h.clock.Advance(time.Minute)
	if w := h.do(t, "GET", "/t/acme/v1/limited", nil); w.Code != http.StatusOK {
		t.Fatalf("next window: status %d", w.Code)
	}
}

func TestRateLimitTenantIsolation(t *testing.T) {
	h := newHarness(t, nil)
	p := &model.RateLimitPolicy{Algorithm: model.SlidingWindow, Scope: model.ScopeEndpoint, Limit: 1, WindowSeconds: 60}
	h.src.set(withLimit("acme", h.up, p))
	h.src.set(withLimit("globex", h.up, p))
	if w := h.do(t, "GET", "/t/acme/v1/limited", nil); w.Code != http.StatusOK {
		t.Fatalf("acme first: %d", w.Code)
	}
	if w := h.do(t, "GET", "/t/acme/v1/limited", nil); w.Code != http.StatusTooManyRequests {
		t.Fatalf("acme second: %d, want 429", w.Code)
	}
	if w := h.do(t, "GET", "/t/globex/v1/limited", nil); w.Code != http.StatusOK {
		t.Fatalf("globex was limited by acme: %d", w.Code)
	}
}

func TestRateLimitConsumerScope(t *testing.T) {
	h := newHarness(t, nil)
	h.src.set(withLimit("acme", h.up, &model.RateLimitPolicy{Algorithm: model.TokenBucket, Scope: model.ScopeConsumer, Limit: 1, WindowSeconds: 60}))
	send := func(remote string, c *caller.Caller) int {
		r := httptest.NewRequest("GET", "/t/acme/v1/limited", nil)
		r.RemoteAddr = remote
		if c != nil {
			r = r.WithContext(caller.With(r.Context(), c))
		}
		w := httptest.NewRecorder()
		h.gw.ServeHTTP(w, r)
		return w.Code
	}
	alice := &caller.Caller{Kind: caller.APIKey, Tenant: "acme", Consumer: "alice"}
	bob := &caller.Caller{Kind: caller.JWT, Tenant: "acme", Subject: "bob"}
	for _, tc := range []struct {
		name   string
		remote string
		c      *caller.Caller
		want   int
	}{
		{"alice", "192.0.2.1:1000", alice, 200},
		{"alice again, other IP", "192.0.2.9:1000", alice, 429},
		{"bob, alice's IP", "192.0.2.1:1000", bob, 200},
		{"anonymous", "198.51.100.1:1", nil, 200},
		{"anonymous, same IP, other port", "198.51.100.1:2", nil, 429},
		{"anonymous, other IP", "198.51.100.2:1", &caller.Caller{Kind: caller.Anonymous}, 200},
	} {
		if got := send(tc.remote, tc.c); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestRateLimitStoreUnreachable(t *testing.T) {
	for _, failOpen := range []bool{true, false} {
		t.Run(map[bool]string{true: "failOpen", false: "failClosed"}[failOpen], func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.RateLimits = failingStore{} })
			h.src.set(withLimit("acme", h.up, &model.RateLimitPolicy{Algorithm: model.FixedWindow, Scope: model.ScopeTenant, Limit: 1, WindowSeconds: 1, FailOpen: failOpen}))
			w := h.do(t, "GET", "/t/acme/v1/limited", nil)
			want := http.StatusServiceUnavailable
			if failOpen {
				want = http.StatusOK
			}
			if w.Code != want {
				t.Fatalf("status %d, want %d", w.Code, want)
			}
			if !failOpen && w.Header().Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
		})
	}
}

func TestRateLimitUnenforceablePolicyFailsClosed(t *testing.T) {
	h := newHarness(t, nil)
	h.src.set(withLimit("acme", h.up, &model.RateLimitPolicy{Algorithm: model.TokenBucket, Scope: model.ScopeTenant, Limit: 1_000_000, WindowSeconds: 1}))
	w := h.do(t, "GET", "/t/acme/v1/limited", nil)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", w.Code)
	}
	if !errors.Is(ratelimit.Limit{Algorithm: ratelimit.TokenBucket, Limit: 1_000_000, Window: time.Second}.Validate(), ratelimit.ErrInvalidLimit) {
		t.Fatal("limit unexpectedly valid")
	}
}
