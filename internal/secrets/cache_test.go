package secrets_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/secrets"
)

// memStore is a minimal secrets.Store that counts reads.
type memStore struct {
	mu      sync.Mutex
	vals    map[string]string
	gets    atomic.Int64
	block   chan struct{} // when set, Get waits for it
	started chan struct{} // when set, closed by the first Get
	once    sync.Once
}

func newMem() *memStore { return &memStore{vals: map[string]string{}} }

func (m *memStore) Get(_ context.Context, tenant, name string) (string, error) {
	m.gets.Add(1)
	if m.started != nil {
		m.once.Do(func() { close(m.started) })
	}
	if m.block != nil {
		<-m.block
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.vals[tenant+"/"+name]
	if !ok {
		return "", secrets.ErrNotFound
	}
	return v, nil
}

func (m *memStore) Put(_ context.Context, tenant, name, value string) (secrets.Metadata, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.vals[tenant+"/"+name] = value
	return secrets.Metadata{Name: name, Version: "1"}, nil
}

func (m *memStore) Delete(_ context.Context, tenant, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.vals, tenant+"/"+name)
	return nil
}

func (m *memStore) List(context.Context, string) ([]secrets.Metadata, error) { return nil, nil }

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func TestCache(t *testing.T) {
	ctx := t.Context()
	tests := []struct {
		name      string
		run       func(c *secrets.Cache, m *memStore, clk *clock) (string, error)
		want      string
		wantErr   error
		wantReads int64
	}{
		{"hit reads once", func(c *secrets.Cache, m *memStore, _ *clock) (string, error) {
			_, _ = c.Get(ctx, "acme", "k")
			return c.Get(ctx, "acme", "k")
		}, "v1", nil, 1},
		{"expired entry is read again", func(c *secrets.Cache, m *memStore, clk *clock) (string, error) {
			_, _ = c.Get(ctx, "acme", "k")
			m.vals["acme/k"] = "v2" // changed through another instance
			clk.t = clk.t.Add(secrets.DefaultTTL - time.Second)
			if v, _ := c.Get(ctx, "acme", "k"); v != "v1" {
				return v, errors.New("served a fresh value before the TTL")
			}
			clk.t = clk.t.Add(time.Second)
			return c.Get(ctx, "acme", "k")
		}, "v2", nil, 2},
		{"write through the cache is seen at once", func(c *secrets.Cache, m *memStore, _ *clock) (string, error) {
			_, _ = c.Get(ctx, "acme", "k")
			if _, err := c.Put(ctx, "acme", "k", "v3"); err != nil {
				return "", err
			}
			return c.Get(ctx, "acme", "k")
		}, "v3", nil, 2},
		{"delete through the cache is seen at once", func(c *secrets.Cache, m *memStore, _ *clock) (string, error) {
			_, _ = c.Get(ctx, "acme", "k")
			if err := c.Delete(ctx, "acme", "k"); err != nil {
				return "", err
			}
			return c.Get(ctx, "acme", "k")
		}, "", secrets.ErrNotFound, 2},
		{"not found is cached briefly", func(c *secrets.Cache, m *memStore, clk *clock) (string, error) {
			_, _ = c.Get(ctx, "acme", "missing")
			m.vals["acme/missing"] = "now"
			if _, err := c.Get(ctx, "acme", "missing"); !errors.Is(err, secrets.ErrNotFound) {
				return "", errors.New("negative entry not served")
			}
			clk.t = clk.t.Add(30 * time.Second)
			return c.Get(ctx, "acme", "missing")
		}, "now", nil, 2},
		{"tenants do not share entries", func(c *secrets.Cache, m *memStore, _ *clock) (string, error) {
			_, _ = c.Get(ctx, "acme", "k")
			return c.Get(ctx, "globex", "k")
		}, "", secrets.ErrNotFound, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, clk := newMem(), &clock{t: time.Unix(1e9, 0)}
			m.vals["acme/k"] = "v1"
			c, err := secrets.NewCache(secrets.CacheConfig{Store: m, Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			got, err := tt.run(c, m, clk)
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("got %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
			if n := m.gets.Load(); n != tt.wantReads {
				t.Errorf("store reads = %d, want %d", n, tt.wantReads)
			}
		})
	}
}

// TestCacheSharesMisses: concurrent misses of one secret make one read.
func TestCacheSharesMisses(t *testing.T) {
	m := newMem()
	m.vals["acme/k"] = "v"
	m.block, m.started = make(chan struct{}), make(chan struct{})
	c, _ := secrets.NewCache(secrets.CacheConfig{Store: m})
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if v, err := c.Get(t.Context(), "acme", "k"); v != "v" || err != nil {
				t.Errorf("Get = %q, %v", v, err)
			}
		})
	}
	// Callers that join the first read share it; later ones hit the entry
	// it stored: either way one read.
	<-m.started
	close(m.block)
	wg.Wait()
	if n := m.gets.Load(); n != 1 {
		t.Errorf("store reads = %d, want 1", n)
	}
}

// TestCacheBounded: a full cache does not grow past MaxEntries.
func TestCacheBounded(t *testing.T) {
	m, clk := newMem(), &clock{t: time.Unix(1e9, 0)}
	c, _ := secrets.NewCache(secrets.CacheConfig{Store: m, MaxEntries: 2, Now: clk.Now})
	for _, n := range []string{"a", "b", "c", "a"} {
		_, _ = c.Get(t.Context(), "acme", n)
	}
	// a, b filled it; c cleared it (nothing expired); a is read again.
	if n := m.gets.Load(); n != 4 {
		t.Errorf("store reads = %d, want 4", n)
	}
}

func TestCacheHitAllocs(t *testing.T) {
	m := newMem()
	m.vals["acme/k"] = "v"
	c, _ := secrets.NewCache(secrets.CacheConfig{Store: m})
	ctx := context.Background()
	_, _ = c.Get(ctx, "acme", "k")
	if a := testing.AllocsPerRun(100, func() { _, _ = c.Get(ctx, "acme", "k") }); a != 0 {
		t.Errorf("a hit allocates %.0f times", a)
	}
}
