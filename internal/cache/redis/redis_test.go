package redis_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/portico/portico/internal/cache"
	"github.com/portico/portico/internal/cache/redis"
	"github.com/portico/portico/internal/testenv/redisserver"
)

func open(t *testing.T, addr string, now func() time.Time) (*redis.Store, *goredis.Client) {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = c.Close() })
	s, err := redis.New(redis.Config{Client: c, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func entry(now time.Time, tenant, api, ver, path string) *cache.Entry {
	return &cache.Entry{Status: 200, Header: http.Header{"Etag": {`"1"`}}, Body: []byte(path), StoredAt: now, TTL: time.Minute,
		Tenant: tenant, API: api, Version: ver, Path: path}
}

func TestSetGetTTL(t *testing.T) {
	srv := redisserver.Start(t)
	now := time.Now()
	s, c := open(t, srv.Addr, func() time.Time { return now })
	ctx := context.Background()
	if e, err := s.Get(ctx, "acme:k"); e != nil || err != nil {
		t.Fatalf("Get of nothing = %v, %v", e, err)
	}
	want := entry(now, "acme", "orders", "v1", "/v1/orders/1")
	if err := s.Set(ctx, "acme:k", want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "acme:k")
	if err != nil || got == nil || string(got.Body) != "/v1/orders/1" || got.Header.Get("Etag") != `"1"` {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	// Redis expires the entry itself: SET ... PX with the remaining TTL.
	pttl, err := c.PTTL(ctx, "portico:cache:acme:k").Result()
	if err != nil || pttl <= 59*time.Second || pttl > time.Minute {
		t.Fatalf("PTTL = %v, %v; want about 1m", pttl, err)
	}
	// A corrupt value is an error (the cache treats it as a miss), not a panic.
	c.Set(ctx, "portico:cache:acme:bad", "garbage", time.Minute)
	if _, err := s.Get(ctx, "acme:bad"); err == nil {
		t.Fatal("corrupt value decoded")
	}
}

func TestPurge(t *testing.T) {
	srv := redisserver.Start(t)
	now := time.Now()
	all := map[string]*cache.Entry{
		"acme:1":  entry(now, "acme", "orders", "v1", "/v1/orders/1"),
		"acme:1b": entry(now, "acme", "orders", "v1", "/v1/orders/1"), // another variant of the path
		"acme:2":  entry(now, "acme", "orders", "v1", "/v1/orders/2"),
		"acme:3":  entry(now, "acme", "orders", "v2", "/v2/orders/1"),
		"acme:4":  entry(now, "acme", "users", "v1", "/v1/users/1"),
		"other:1": entry(now, "other", "orders", "v1", "/v1/orders/1"),
	}
	all["acme:1"].Tags = []string{"orders"}
	all["acme:3"].Tags = []string{"v2", "orders"}
	all["other:1"].Tags = []string{"orders"}
	tests := []struct {
		name string
		sel  cache.Selector
		gone []string
	}{
		{"one path, every variant", cache.Selector{Tenant: "acme", API: "orders", Version: "v1", Path: "/v1/orders/1"}, []string{"acme:1", "acme:1b"}},
		{"version", cache.Selector{Tenant: "acme", API: "orders", Version: "v1"}, []string{"acme:1", "acme:1b", "acme:2"}},
		{"api", cache.Selector{Tenant: "acme", API: "orders"}, []string{"acme:1", "acme:1b", "acme:2", "acme:3"}},
		{"tenant", cache.Selector{Tenant: "acme"}, []string{"acme:1", "acme:1b", "acme:2", "acme:3", "acme:4"}},
		{"tag", cache.Selector{Tenant: "acme", Tag: "orders"}, []string{"acme:1", "acme:3"}},
		{"other tag", cache.Selector{Tenant: "acme", Tag: "v2"}, []string{"acme:3"}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c := open(t, srv.Addr, func() time.Time { return now })
			ctx := context.Background()
			if err := c.FlushAll(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			for k, e := range all {
				if err := s.Set(ctx, k, e); err != nil {
					t.Fatal(err)
				}
			}
			n, err := s.Purge(ctx, tc.sel)
			if err != nil || n != len(tc.gone) {
				t.Fatalf("Purge = %d, %v; want %d", n, err, len(tc.gone))
			}
			gone := map[string]bool{}
			for _, k := range tc.gone {
				gone[k] = true
			}
			for k := range all {
				e, err := s.Get(ctx, k)
				if err != nil || (e == nil) != gone[k] {
					t.Errorf("case %d: %s present=%v (%v) after purge", i, k, e != nil, err)
				}
			}
		})
	}
	s, _ := open(t, srv.Addr, time.Now)
	if _, err := s.Purge(context.Background(), cache.Selector{Tenant: "acme", Path: "/x"}); err == nil {
		t.Fatal("a path without API and version purged")
	}
	if _, err := s.Purge(context.Background(), cache.Selector{Tenant: "acme", API: "orders", Tag: "orders"}); err == nil {
		t.Fatal("a tag with an API purged")
	}
}

// TestIndexTrimmed: index members of expired entries are dropped by later
// writes, so an index never grows beyond its live entries.
func TestIndexTrimmed(t *testing.T) {
	srv := redisserver.Start(t)
	now := time.Now()
	s, c := open(t, srv.Addr, func() time.Time { return now })
	ctx := context.Background()
	for i := range 10 {
		if err := s.Set(ctx, fmt.Sprintf("acme:%d", i), entry(now, "acme", "orders", "v1", "/v1/x")); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(2 * time.Minute)
	if err := s.Set(ctx, "acme:new", entry(now, "acme", "orders", "v1", "/v1/x")); err != nil {
		t.Fatal(err)
	}
	if n, err := c.ZCard(ctx, "portico:cache:idx|acme").Result(); err != nil || n != 1 {
		t.Fatalf("tenant index holds %d members (%v), want 1", n, err)
	}
}

// TestRedisGone: with L2 down, the cache still answers from fills and L1;
// nothing fails.
func TestRedisGone(t *testing.T) {
	srv := redisserver.Start(t)
	s, _ := open(t, srv.Addr, time.Now)
	c, err := cache.New(cache.Config{L2: s, L2Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var fills atomic.Int32
	fill := func(context.Context) (*cache.Entry, error) {
		fills.Add(1)
		return entry(time.Now(), "acme", "orders", "v1", "/v1/orders/1"), nil
	}
	if _, out, err := c.Do(ctx, "acme:a", fill); out != cache.Filled || err != nil {
		t.Fatalf("Do = %v, %v", out, err)
	}
	srv.Stop()
	if e, out, err := c.Do(ctx, "acme:a", fill); e == nil || out != cache.Hit || err != nil {
		t.Fatalf("L1 hit with L2 gone = %v, %v, %v", e, out, err)
	}
	if e, out, err := c.Do(ctx, "acme:b", fill); e == nil || out != cache.Filled || err != nil {
		t.Fatalf("fill with L2 gone = %v, %v, %v", e, out, err)
	}
	if st := c.Stats(); st.L2Errors < 2 || fills.Load() != 2 {
		t.Fatalf("stats %+v, fills %d", st, fills.Load())
	}
	if _, err := c.Purge(ctx, cache.Selector{Tenant: "acme"}); err == nil {
		t.Fatal("purge with L2 gone reported success")
	}
	if c.Get(ctx, "acme:a") != nil {
		t.Fatal("purge with L2 gone left the local L1 entry")
	}
}

// TestSharedAcrossInstances: two caches (two Lambda instances) share L2; a
// purge through one is seen by the other once its L1 copy ages out (L1TTL).
func TestSharedAcrossInstances(t *testing.T) {
	srv := redisserver.Start(t)
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	newInstance := func() *cache.Cache {
		s, _ := open(t, srv.Addr, now)
		c, err := cache.New(cache.Config{L2: s, L1TTL: 5 * time.Second, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := newInstance(), newInstance()
	ctx := context.Background()
	var fills atomic.Int32
	fill := func(context.Context) (*cache.Entry, error) {
		fills.Add(1)
		return entry(now(), "acme", "orders", "v1", "/v1/orders/1"), nil
	}
	a.Do(ctx, "acme:k", fill)
	if _, out, _ := b.Do(ctx, "acme:k", fill); out != cache.Hit || fills.Load() != 1 {
		t.Fatalf("instance b: %v after %d fills; want an L2 hit", out, fills.Load())
	}
	if _, err := a.Purge(ctx, cache.Selector{Tenant: "acme", API: "orders", Version: "v1"}); err != nil {
		t.Fatal(err)
	}
	if a.Get(ctx, "acme:k") != nil {
		t.Fatal("purging instance still serves the entry")
	}
	if b.Get(ctx, "acme:k") == nil {
		t.Fatal("b's L1 copy is expected to survive up to L1TTL")
	}
	clock.Add(int64(5 * time.Second))
	if b.Get(ctx, "acme:k") != nil {
		t.Fatal("b serves a purged entry after L1TTL")
	}
}

// TestStaleWindowKept: an entry with a stale-if-error window lives in Redis
// until the window ends (Entry.Retain), not just until its expiry.
func TestStaleWindowKept(t *testing.T) {
	srv := redisserver.Start(t)
	now := time.Now()
	s, c := open(t, srv.Addr, func() time.Time { return now })
	ctx := context.Background()
	e := entry(now, "acme", "orders", "v1", "/v1/orders/1")
	e.StaleIfError = 5 * time.Minute
	if err := s.Set(ctx, "acme:k", e); err != nil {
		t.Fatal(err)
	}
	pttl, err := c.PTTL(ctx, "portico:cache:acme:k").Result()
	if err != nil || pttl <= 359*time.Second || pttl > 6*time.Minute {
		t.Fatalf("PTTL = %v, %v; want about 6m (1m TTL + 5m stale window)", pttl, err)
	}
	if got, err := s.Get(ctx, "acme:k"); err != nil || got.StaleIfError != 5*time.Minute {
		t.Fatalf("Get = %+v, %v", got, err)
	}
}
