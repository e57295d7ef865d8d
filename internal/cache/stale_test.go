package cache_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/cache"
)

// mapStore is an L2 in a map that, like Redis and DynamoDB, keeps an entry
// until Entry.Retain on its clock.
type mapStore struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[string]*cache.Entry
}

func (s *mapStore) Get(_ context.Context, key string) (*cache.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[key]
	if e == nil || !s.now().Before(e.Retain()) {
		return nil, nil
	}
	return e, nil
}

func (s *mapStore) Set(_ context.Context, key string, e *cache.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = e
	return nil
}

func (s *mapStore) Purge(context.Context, cache.Selector) (int, error) { return 0, nil }

var _ cache.Store = (*mapStore)(nil)

// TestLookupStale: an entry with a stale-if-error window is kept past its
// TTL, returned by Lookup as stale (never as fresh) until the window ends,
// and counted a miss; without a window it is gone at its expiry. With an
// L2 the stale entry is found there once L1 let it go.
func TestLookupStale(t *testing.T) {
	tests := []struct {
		name   string
		window time.Duration
		after  time.Duration
		l2     bool
		fresh  bool
		stale  bool
	}{
		{name: "fresh", window: time.Minute, after: 9 * time.Second, fresh: true},
		{name: "stale in window", window: time.Minute, after: 30 * time.Second, stale: true},
		{name: "window ended", window: time.Minute, after: 70 * time.Second},
		{name: "no window", after: 10 * time.Second},
		{name: "L2: stale in window", window: time.Minute, after: 30 * time.Second, l2: true, stale: true},
		{name: "L2: window ended", window: time.Minute, after: 70 * time.Second, l2: true},
		{name: "L2: no window", after: 11 * time.Second, l2: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			cfg := cache.Config{Now: clk.Now}
			if tc.l2 {
				cfg.L2 = &mapStore{now: clk.Now, m: map[string]*cache.Entry{}}
			}
			c := newCache(t, cfg)
			ctx := context.Background()
			e := entry(clk, "old", 10*time.Second)
			e.StaleIfError = tc.window
			if !c.Set(ctx, "acme:k", e) {
				t.Fatal("not stored")
			}
			clk.Add(tc.after)
			fresh, stale := c.Lookup(ctx, "acme:k")
			if (fresh != nil) != tc.fresh || (stale != nil) != tc.stale {
				t.Fatalf("Lookup = fresh %v, stale %v; want fresh %v, stale %v", fresh != nil, stale != nil, tc.fresh, tc.stale)
			}
			if stale != nil && (string(stale.Body) != "old" || stale.Age(clk.Now()) != int64(tc.after/time.Second)) {
				t.Fatalf("stale entry %q, age %d", stale.Body, stale.Age(clk.Now()))
			}
			if g := c.Get(ctx, "acme:k"); (g != nil) != tc.fresh {
				t.Fatalf("Get returned %v; a stale entry must never be returned as fresh", g)
			}
			st := c.Stats()
			if want := int64(map[bool]int{true: 2}[!tc.fresh]); st.Misses != want {
				t.Fatalf("misses %d, want %d", st.Misses, want)
			}
		})
	}
}

// TestFillReplacesStale: a fill after the TTL stores a fresh entry over the
// stale one; Fill's re-check of L1 does not take the stale entry for a
// fresh one.
func TestFillReplacesStale(t *testing.T) {
	clk := newClock()
	c := newCache(t, cache.Config{Now: clk.Now})
	ctx := context.Background()
	e := entry(clk, "old", 10*time.Second)
	e.StaleIfError = time.Minute
	c.Set(ctx, "acme:k", e)
	clk.Add(20 * time.Second)
	_, stale := c.Lookup(ctx, "acme:k")
	if stale == nil {
		t.Fatal("no stale entry")
	}
	got, out, err := c.Fill(ctx, "acme:k", func(context.Context) (*cache.Entry, error) {
		return entry(clk, "new", 10*time.Second), nil
	})
	if err != nil || out != cache.Filled || string(got.Body) != "new" {
		t.Fatalf("Fill = %v, %v, %v", got, out, err)
	}
	if fresh, _ := c.Lookup(ctx, "acme:k"); fresh == nil || string(fresh.Body) != "new" {
		t.Fatalf("after the fill: %v", fresh)
	}
}
