package gateway

import (
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/model"
	rlredis "github.com/portico/portico/internal/ratelimit/redis"
	"github.com/portico/portico/internal/testenv/redisserver"
)

// TestRateLimitsCombinedRedis: with the Redis store, a request rejected by
// the consumer limit gives its endpoint unit back, so other consumers get
// the endpoint's whole quota.
func TestRateLimitsCombinedRedis(t *testing.T) {
	srv := redisserver.Start(t)
	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = client.Close() })
	store, err := rlredis.New(rlredis.Config{Client: client})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *Config) { c.RateLimits = store })
	h.src.set(withLimits("acme", h.up,
		model.RateLimitPolicy{Algorithm: model.SlidingWindow, Scope: model.ScopeEndpoint, Limit: 5, WindowSeconds: 60},
		model.RateLimitPolicy{Algorithm: model.TokenBucket, Scope: model.ScopeConsumer, Limit: 1, WindowSeconds: 60},
	))
	alice := &caller.Caller{Kind: caller.APIKey, Tenant: "acme", Consumer: "alice"}
	if w := sendAs(h, alice); w.Code != 200 {
		t.Fatalf("alice first: %d", w.Code)
	}
	for i := range 10 { // each takes an endpoint unit, then is refunded
		if w := sendAs(h, alice); w.Code != 429 {
			t.Fatalf("alice again %d: %d", i, w.Code)
		}
	}
	for _, name := range []string{"b", "c", "d", "e"} {
		if w := sendAs(h, &caller.Caller{Kind: caller.APIKey, Tenant: "acme", Consumer: name}); w.Code != 200 {
			t.Fatalf("consumer %s: %d, the endpoint quota leaked", name, w.Code)
		}
	}
	if w := sendAs(h, &caller.Caller{Kind: caller.APIKey, Tenant: "acme", Consumer: "f"}); w.Code != 429 {
		t.Fatalf("sixth consumer: %d, want the endpoint limit", w.Code)
	}
}
