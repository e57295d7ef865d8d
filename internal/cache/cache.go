package cache

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/sync/singleflight"
)

// Store is a shared (L2) cache, for example cache/redis. Its errors never
// fail a request: the cache counts them and carries on as on a miss.
type Store interface {
	// Get returns the entry stored under key, or nil and no error when
	// there is none.
	Get(ctx context.Context, key string) (*Entry, error)
	// Set stores e under key until e.Retain() (its expiry plus its
	// stale-if-error window). Get returns entries past their expiry too:
	// the cache tells fresh from stale.
	Set(ctx context.Context, key string, e *Entry) error
	// Purge deletes the entries s selects and returns how many it found.
	Purge(ctx context.Context, s Selector) (int, error)
}

// Selector selects entries to purge: those of Tenant, narrowed by API and
// Version, and by Path (a canonical request path, version first) when set;
// or, with Tag, the tenant's entries holding that tag (Tag is used alone:
// API, Version and Path must then be empty). Empty fields match
// everything; Tenant is required.
type Selector struct {
	Tenant, API, Version, Path string
	Tag                        string
}

func (s Selector) matches(e *Entry) bool {
	return e.Tenant == s.Tenant && (s.API == "" || e.API == s.API) &&
		(s.Version == "" || e.Version == s.Version) && (s.Path == "" || e.Path == s.Path) &&
		(s.Tag == "" || slices.Contains(e.Tags, s.Tag))
}

// ErrSelector is returned by Purge for a Tag combined with other fields.
var ErrSelector = errors.New("cache: a tag purge selects by tenant and tag only")

// ErrNoTenant is returned by Purge for a Selector without a tenant.
var ErrNoTenant = errors.New("cache: purge needs a tenant")

// Config configures a Cache.
type Config struct {
	// MaxBytes bounds the L1's memory (entries weighed by Entry.Size);
	// default 64 MiB.
	MaxBytes int64
	// MaxEntryBytes is the largest entry stored at all; default 1 MiB.
	// Endpoints may set a smaller one.
	MaxEntryBytes int
	// L2 is the shared store; nil means L1 only.
	L2 Store
	// L1TTL bounds how long an entry lives in L1 when L2 is set, and so how
	// long another instance may serve an entry after a purge; default 5s.
	// Without L2 an entry lives in L1 for its whole TTL.
	L1TTL time.Duration
	// L2Timeout bounds one L2 call; default 100ms. A slow L2 is a miss.
	L2Timeout time.Duration
	Now       func() time.Time
	Logger    *slog.Logger
}

// Cache is a two-level response cache. It is safe for concurrent use.
type Cache struct {
	cfg     Config
	l1      *otter.Cache[string, *l1Item]
	flights singleflight.Group
	stats   counters
	eps     endpoints
}

// l1Item is an L1 value: the entry and when L1 must stop serving it.
type l1Item struct {
	e     *Entry
	until time.Time
}

type counters struct {
	hits, l2Hits, misses, fills, coalesced, stored, tooLarge, evictions, l2Errors, purged atomic.Int64
}

// Stats are the cache's counters since it was created.
type Stats struct {
	Hits      int64 // served from L1 or L2 (L2Hits of them from L2)
	L2Hits    int64
	Misses    int64 // lookups that found nothing fresh
	Fills     int64 // fills run by Do (upstream calls)
	Coalesced int64 // Do calls answered by another call's fill
	Stored    int64
	TooLarge  int64 // entries refused for exceeding the maximum size
	Evictions int64 // L1 evictions for size
	L2Errors  int64
	Purged    int64 // entries removed by Purge (L1 and L2)
	L1Bytes   int64
	L1Entries int64
}

// New validates cfg and returns a Cache.
func New(cfg Config) (*Cache, error) {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 64 << 20
	}
	if cfg.MaxEntryBytes <= 0 {
		cfg.MaxEntryBytes = 1 << 20
	}
	if int64(cfg.MaxEntryBytes) > cfg.MaxBytes {
		return nil, errors.New("cache: MaxEntryBytes exceeds MaxBytes")
	}
	if cfg.L1TTL <= 0 {
		cfg.L1TTL = 5 * time.Second
	}
	if cfg.L2Timeout <= 0 {
		cfg.L2Timeout = 100 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := &Cache{cfg: cfg}
	l1, err := otter.New(&otter.Options[string, *l1Item]{
		MaximumWeight: uint64(cfg.MaxBytes),
		Weigher:       func(_ string, it *l1Item) uint32 { return uint32(it.e.Size()) },
		// otter expires on its own clock; Get also checks until against
		// cfg.Now, so an injected clock is exact.
		ExpiryCalculator: otter.ExpiryCreatingFunc(func(en otter.Entry[string, *l1Item]) time.Duration {
			return max(en.Value.until.Sub(c.cfg.Now()), time.Millisecond)
		}),
		// Maintenance (eviction, deletion events) runs on the goroutine
		// that triggers it rather than a new one per batch.
		Executor: func(fn func()) { fn() },
		OnDeletion: func(ev otter.DeletionEvent[string, *l1Item]) {
			if ev.Cause == otter.CauseOverflow {
				c.stats.evictions.Add(1)
			}
			c.l1Deleted(ev)
		},
	})
	if err != nil {
		return nil, err
	}
	c.l1 = l1
	return c, nil
}

// MaxEntryBytes is the largest entry the cache stores.
func (c *Cache) MaxEntryBytes() int { return c.cfg.MaxEntryBytes }

// Stats returns the counters, after settling pending L1 maintenance.
func (c *Cache) Stats() Stats {
	c.l1.CleanUp()
	s := &c.stats
	return Stats{
		Hits: s.hits.Load(), L2Hits: s.l2Hits.Load(), Misses: s.misses.Load(), Fills: s.fills.Load(),
		Coalesced: s.coalesced.Load(), Stored: s.stored.Load(), TooLarge: s.tooLarge.Load(),
		Evictions: s.evictions.Load(), L2Errors: s.l2Errors.Load(), Purged: s.purged.Load(),
		L1Bytes: int64(c.l1.WeightedSize()), L1Entries: int64(c.l1.EstimatedSize()),
	}
}

// Get returns the fresh entry under key from L1, else from L2 (keeping it
// in L1), else nil. An L2 failure is a miss.
func (c *Cache) Get(ctx context.Context, key string) *Entry {
	e, _ := c.Lookup(ctx, key)
	return e
}

// Lookup is Get that also returns, on a miss, the entry under key that is
// past its TTL but within its stale-if-error window (nil when there is
// none), for the caller to serve should its upstream fail. A stale entry
// is a miss in Stats.
func (c *Cache) Lookup(ctx context.Context, key string) (fresh, stale *Entry) {
	now := c.cfg.Now()
	l1 := c.getL1(key, now)
	if l1 != nil && l1.Fresh(now) {
		c.stats.hits.Add(1)
		return l1, nil
	}
	if c.cfg.L2 != nil {
		ctx, cancel := context.WithTimeout(ctx, c.cfg.L2Timeout)
		e, err := c.cfg.L2.Get(ctx, key)
		cancel()
		switch {
		case err != nil:
			c.l2Failed(ctx, "get", err)
		case e != nil && e.Fresh(now):
			c.setL1(key, e, now)
			c.stats.hits.Add(1)
			c.stats.l2Hits.Add(1)
			return e, nil
		case e != nil && e.StaleUsable(now) && l1 == nil:
			c.setL1(key, e, now)
			l1 = e
		}
	}
	c.stats.misses.Add(1)
	if l1 != nil && l1.StaleUsable(now) {
		return nil, l1
	}
	return nil, nil
}

// getL1 returns the entry under key in L1 while L1 may serve it: fresh, or
// stale within its stale-if-error window.
func (c *Cache) getL1(key string, now time.Time) *Entry {
	it, ok := c.l1.GetIfPresent(key)
	if !ok {
		return nil
	}
	if !now.Before(it.until) {
		c.l1.Invalidate(key)
		return nil
	}
	return it.e
}

// setL1 keeps e in L1 until the end of its stale window, or at most L1TTL
// with an L2 (which bounds how long a purge takes to reach this instance).
func (c *Cache) setL1(key string, e *Entry, now time.Time) {
	until := e.Retain()
	if c.cfg.L2 != nil {
		until = minTime(until, now.Add(c.cfg.L1TTL))
	}
	if now.Before(until) {
		c.l1Added(e)
		c.l1.Set(key, &l1Item{e: e, until: until})
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Set stores e under key in L1 and L2, unless it is stale or larger than
// MaxEntryBytes. It reports whether e was stored; an L2 failure still
// leaves e in L1.
func (c *Cache) Set(ctx context.Context, key string, e *Entry) bool {
	now := c.cfg.Now()
	if !e.Fresh(now) {
		return false
	}
	if e.Size() > c.cfg.MaxEntryBytes {
		c.stats.tooLarge.Add(1)
		return false
	}
	c.setL1(key, e, now)
	c.stats.stored.Add(1)
	c.Endpoint(e.Tenant, e.Endpoint).stored.Add(1)
	if c.cfg.L2 != nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.L2Timeout)
		err := c.cfg.L2.Set(ctx, key, e)
		cancel()
		if err != nil {
			c.l2Failed(ctx, "set", err)
		}
	}
	return true
}

func (c *Cache) l2Failed(ctx context.Context, op string, err error) {
	c.stats.l2Errors.Add(1)
	c.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "cache L2 unavailable", slog.String("op", op), slog.String("error", err.Error()))
}

// Outcome is how Do answered.
type Outcome int

// Outcomes of Do.
const (
	// Hit: a fresh entry was found.
	Hit Outcome = iota + 1
	// Coalesced: another concurrent call filled the key; its entry is
	// returned.
	Coalesced
	// Filled: this call ran fill. The entry is what fill returned (nil
	// when fill said the response may not be stored).
	Filled
)

// Do is the read-through: it returns the fresh entry under key, or runs
// fill once for every concurrent caller of the same key and stores what it
// returns. fill returns nil to say its result may not be stored or shared;
// callers that were waiting on it then get (nil, Coalesced, nil) and must
// fetch on their own. A fill error is returned to every waiting caller.
//
// A stampede of concurrent misses therefore costs one fill: a caller either
// joins the running fill, or starts after it ended and finds its entry
// (stored before the fill's flight ends; the flight re-checks L1 first).
func (c *Cache) Do(ctx context.Context, key string, fill func(context.Context) (*Entry, error)) (*Entry, Outcome, error) {
	if e := c.Get(ctx, key); e != nil {
		return e, Hit, nil
	}
	return c.Fill(ctx, key, fill)
}

// Fill is Do after a miss (Lookup found nothing fresh): the single-flight
// fill and store.
func (c *Cache) Fill(ctx context.Context, key string, fill func(context.Context) (*Entry, error)) (*Entry, Outcome, error) {
	ran := false // written only by the goroutine that runs the flight, which is this one
	v, err, _ := c.flights.Do(key, func() (any, error) {
		now := c.cfg.Now()
		if e := c.getL1(key, now); e != nil && e.Fresh(now) {
			return e, nil
		}
		ran = true
		c.stats.fills.Add(1)
		e, err := fill(ctx)
		if err != nil || e == nil {
			return (*Entry)(nil), err
		}
		if !c.Set(ctx, key, e) {
			return (*Entry)(nil), nil
		}
		return e, nil
	})
	e, _ := v.(*Entry)
	if ran {
		return e, Filled, err
	}
	c.stats.coalesced.Add(1)
	return e, Coalesced, err
}

// Purge removes the entries s selects from L2 and from this instance's L1.
// Other instances' L1 copies live at most L1TTL longer. It returns how many
// entries were removed (L2's count when L2 is set, else L1's).
func (c *Cache) Purge(ctx context.Context, s Selector) (int, error) {
	if s.Tenant == "" {
		return 0, ErrNoTenant
	}
	if s.Tag != "" && (s.API != "" || s.Version != "" || s.Path != "") {
		return 0, ErrSelector
	}
	var n2 int
	var err error
	if c.cfg.L2 != nil {
		n2, err = c.cfg.L2.Purge(ctx, s)
		if err != nil {
			err = errors.Join(errors.New("cache: purge L2"), err)
		}
	}
	n1 := 0
	prefix := s.Tenant + ":"
	for k, it := range c.l1.All() {
		if len(k) > len(prefix) && k[:len(prefix)] == prefix && s.matches(it.e) {
			if _, ok := c.l1.Invalidate(k); ok {
				n1++
			}
		}
	}
	n := n1
	if c.cfg.L2 != nil {
		n = n2
	}
	c.stats.purged.Add(int64(n))
	return n, err
}
