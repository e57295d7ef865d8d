package gateway

import (
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/portico/portico/internal/cache"
	cacheredis "github.com/portico/portico/internal/cache/redis"
	"github.com/portico/portico/internal/model"
	rlredis "github.com/portico/portico/internal/ratelimit/redis"
	"github.com/portico/portico/internal/testenv/redisserver"
)

// TestRedisKilledMidTest: rate limits and the cache's L2 on a real
// redis-server, which is killed between requests. Afterwards every
// endpoint answers with its configured fallback (fail-open limits serve
// without rate-limit headers, fail-closed ones 503 with Retry-After, the
// cache serves from L1 and fills L1 only), and nothing answers 500.
func TestRedisKilledMidTest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	srv := redisserver.Start(t)
	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = client.Close() })
	limits, err := rlredis.New(rlredis.Config{Client: client})
	if err != nil {
		t.Fatal(err)
	}
	var l2 *cacheredis.Store
	var cc *cache.Cache
	h := newCacheHarness(t, &model.CachePolicy{TTLSeconds: 600}, nil, func(c *Config) {
		c.RateLimits = limits
		if l2, err = cacheredis.New(cacheredis.Config{Client: client, Now: c.Now}); err != nil {
			t.Fatal(err)
		}
		if cc, err = cache.New(cache.Config{L2: l2, Now: c.Now, Logger: c.Logger}); err != nil {
			t.Fatal(err)
		}
		c.Cache = cc
	})
	// acme's cached endpoint c fails open; the uncached one, a copy of c
	// at /closed/{id}, fails closed.
	cfg := cacheConfig("acme", 2, h.src.cfgs["acme"].Integrations[0].URL, &model.CachePolicy{TTLSeconds: 600}, &model.CachePolicy{TTLSeconds: 60})
	limit := model.RateLimitPolicy{Algorithm: model.FixedWindow, Scope: model.ScopeEndpoint, Limit: 1000, WindowSeconds: 60}
	closed := cfg.Endpoints[0]
	closed.ID, closed.Path, closed.Policies.Cache = "closed", "/closed/{id}", nil
	closedLimit := limit
	closed.Policies.RateLimit = &closedLimit
	open := limit
	open.FailOpen = true
	cfg.Endpoints[0].Policies.RateLimit = &open
	cfg.Endpoints = append(cfg.Endpoints, closed)
	h.src.set(cfg)
	h.clock.Advance(3 * time.Second) // past the snapshot refresh interval

	type want struct {
		status  int
		xcache  string
		limited bool // RateLimit headers present
	}
	check := func(step, path string, w want) {
		t.Helper()
		rec := h.do(t, "GET", path, nil)
		if rec.Code >= 500 && rec.Code != w.status {
			t.Fatalf("%s: %s answered %d: %s", step, path, rec.Code, rec.Body)
		}
		if rec.Code != w.status || rec.Header().Get("X-Cache") != w.xcache || (rec.Header().Get("RateLimit") != "") != w.limited {
			t.Fatalf("%s: %s = %d X-Cache %q RateLimit %q; want %+v", step, path, rec.Code,
				rec.Header().Get("X-Cache"), rec.Header().Get("RateLimit"), w)
		}
		if w.status == 503 && rec.Header().Get("Retry-After") == "" {
			t.Fatalf("%s: 503 without Retry-After", step)
		}
	}
	check("redis up", "/t/acme/v1/c/1", want{200, "MISS", true})
	check("redis up", "/t/acme/v1/c/1", want{200, "HIT", true})
	check("redis up", "/t/acme/v1/closed/1", want{200, "", true})
	if st := cc.Stats(); st.L2Errors != 0 || st.Stored != 1 {
		t.Fatalf("before the kill: %+v", st)
	}

	srv.Stop()

	calls := h.up.calls.Load()
	check("redis gone, cached entry", "/t/acme/v1/c/1", want{200, "HIT", false})
	check("redis gone, new entry", "/t/acme/v1/c/2", want{200, "MISS", false})
	check("redis gone, from L1", "/t/acme/v1/c/2", want{200, "HIT", false})
	check("redis gone, fail closed", "/t/acme/v1/closed/1", want{503, "", false})
	if n := h.up.calls.Load() - calls; n != 1 {
		t.Fatalf("%d upstream calls after the kill, want 1 (c/2's fill)", n)
	}
	if st := cc.Stats(); st.L2Errors == 0 {
		t.Fatalf("no L2 errors counted after the kill: %+v", st)
	}
	// Past L1TTL the entries leave L1; with L2 gone each request is a miss
	// that still answers.
	h.clock.Advance(6 * time.Second)
	check("redis gone, L1 expired", "/t/acme/v1/c/1", want{200, "MISS", false})
}
