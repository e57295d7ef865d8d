package secrets

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// DefaultTTL is how long Cache keeps a value: the bound within which a
// change made through another instance (another Lambda environment) is
// seen. Changes through the same Cache are seen at once.
const DefaultTTL = 5 * time.Minute

// defaultMaxEntries bounds a Cache's memory.
const defaultMaxEntries = 10_000

// CacheConfig configures a Cache.
type CacheConfig struct {
	Store Store // required
	// TTL bounds how long a value (or an answer of "not found", for
	// NegativeTTL) is served without reading Store; zero means DefaultTTL
	// and 30 s.
	TTL, NegativeTTL time.Duration
	// MaxEntries bounds the entries held; zero means 10,000. When full,
	// expired entries are dropped, then the whole cache.
	MaxEntries int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Cache is a read-through Store for the request path: a hit reads nothing
// from the store and allocates nothing. Writes through it (Put, Delete)
// reach the store and drop the cached entry at once; writes through other
// instances are seen after TTL at most. Concurrent misses of one secret
// share one read.
type Cache struct {
	cfg   CacheConfig
	group singleflight.Group

	mu      sync.Mutex
	entries map[cacheKey]cacheEntry
	// gen counts invalidations: a read that started before one does not
	// store what it read, which may be the value just replaced.
	gen uint64
}

type cacheKey struct{ tenant, name string }

type cacheEntry struct {
	value   string
	missing bool
	expires time.Time
}

// NewCache returns a Cache in front of cfg.Store.
func NewCache(cfg CacheConfig) (*Cache, error) {
	if cfg.Store == nil {
		return nil, errors.New("secrets: CacheConfig.Store is required")
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.NegativeTTL <= 0 {
		cfg.NegativeTTL = 30 * time.Second
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = defaultMaxEntries
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Cache{cfg: cfg, entries: map[cacheKey]cacheEntry{}}, nil
}

// Get returns the value of (tenant, name), from memory when fresh.
func (c *Cache) Get(ctx context.Context, tenant, name string) (string, error) {
	k := cacheKey{tenant, name}
	c.mu.Lock()
	e, ok := c.entries[k]
	c.mu.Unlock()
	if ok && c.cfg.Now().Before(e.expires) {
		if e.missing {
			return "", ErrNotFound
		}
		return e.value, nil
	}
	// The tenant and name cannot contain NUL (CheckName), so the flight
	// key is unambiguous.
	v, err, _ := c.group.Do(tenant+"\x00"+name, func() (any, error) {
		c.mu.Lock()
		gen := c.gen
		c.mu.Unlock()
		v, err := c.cfg.Store.Get(ctx, tenant, name)
		switch {
		case errors.Is(err, ErrNotFound):
			c.set(gen, k, cacheEntry{missing: true, expires: c.cfg.Now().Add(c.cfg.NegativeTTL)})
		case err == nil:
			c.set(gen, k, cacheEntry{value: v, expires: c.cfg.Now().Add(c.cfg.TTL)})
		}
		return v, err
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

func (c *Cache) set(gen uint64, k cacheKey, e cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if _, ok := c.entries[k]; !ok && len(c.entries) >= c.cfg.MaxEntries {
		now := c.cfg.Now()
		for k, old := range c.entries {
			if !now.Before(old.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.cfg.MaxEntries {
			clear(c.entries)
		}
	}
	c.entries[k] = e
}

// Invalidate drops the cached entry of (tenant, name).
func (c *Cache) Invalidate(tenant, name string) {
	c.mu.Lock()
	delete(c.entries, cacheKey{tenant, name})
	c.gen++
	c.mu.Unlock()
	c.group.Forget(tenant + "\x00" + name)
}

// Put writes through to the store and drops the cached entry.
func (c *Cache) Put(ctx context.Context, tenant, name, value string) (Metadata, error) {
	defer c.Invalidate(tenant, name)
	return c.cfg.Store.Put(ctx, tenant, name, value)
}

// Delete deletes in the store and drops the cached entry.
func (c *Cache) Delete(ctx context.Context, tenant, name string) error {
	defer c.Invalidate(tenant, name)
	return c.cfg.Store.Delete(ctx, tenant, name)
}

// List reads the store (it is not cached).
func (c *Cache) List(ctx context.Context, tenant string) ([]Metadata, error) {
	return c.cfg.Store.List(ctx, tenant)
}

var _ Store = (*Cache)(nil)
