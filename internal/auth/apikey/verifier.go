package apikey

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/model"
)

// Record is a stored key and the tenant it belongs to.
type Record struct {
	Tenant string
	Key    model.APIKey
}

// Lookup finds the key whose secret hashes to hash (hex). No such key is
// (nil, nil); an error means the store could not answer.
type Lookup func(ctx context.Context, hash string) (*Record, error)

// Config configures a Verifier. Lookup is required.
type Config struct {
	Lookup Lookup
	// TTL bounds how long a looked-up key (and so its revocation) may be
	// stale on this instance; default 30s. Revocations made through this
	// process are visible at once (Forget).
	TTL time.Duration
	// NegativeTTL is how long an unknown hash is remembered; default 5s,
	// short because DynamoDB index reads are eventually consistent: a key
	// used the instant it is issued may not be found yet.
	NegativeTTL time.Duration
	// MaxEntries bounds the cache; past it, unknown hashes are dropped
	// first, then everything. Default 100000.
	MaxEntries int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Verifier authenticates API keys against a Lookup, with an in-memory
// cache keyed by hash: a cache hit reads no store and does not allocate.
// It is safe for concurrent use.
type Verifier struct {
	cfg    Config
	shards [64]shard
	n      atomic.Int64
	// gen counts Forget calls: a lookup that overlapped one is not cached,
	// so a revocation cannot be undone by a read that started before it.
	gen   atomic.Uint64
	group singleflight.Group
}

// shard is one part of the cache, picked by the first byte of the hash
// (uniform, and a map keyed by an array does not allocate to look up).
type shard struct {
	mu sync.RWMutex
	m  map[Hash]*entry
}

func (v *Verifier) shard(h Hash) *shard { return &v.shards[h[0]%uint8(len(v.shards))] }

func (v *Verifier) load(h Hash) *entry {
	s := v.shard(h)
	s.mu.RLock()
	e := s.m[h]
	s.mu.RUnlock()
	return e
}

// entry is a cached lookup; rec is nil for an unknown hash. c is built once
// and shared read-only by every request using the key.
type entry struct {
	rec    *Record
	c      *caller.Caller
	expiry time.Time // key expiry, zero for none
	loaded int64     // unix nanos
}

// New validates cfg and fills defaults.
func New(cfg Config) (*Verifier, error) {
	if cfg.Lookup == nil {
		return nil, errors.New("apikey: Config.Lookup is required")
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 30 * time.Second
	}
	if cfg.NegativeTTL <= 0 {
		cfg.NegativeTTL = 5 * time.Second
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 100_000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Verifier{cfg: cfg}, nil
}

// Authenticate verifies the key in h for tenant and returns its caller. The
// returned Caller is shared: callers must not modify it.
func (v *Verifier) Authenticate(ctx context.Context, tenant string, h http.Header) (*caller.Caller, error) {
	key, err := FromHeader(h)
	if err != nil {
		return nil, err
	}
	return v.Verify(ctx, tenant, key)
}

// Verify checks a well-formed key for tenant. Unknown, revoked, expired and
// other tenants' keys all return ErrInvalidCredential after the same work:
// one hash, one cache lookup (and on a miss one store query).
func (v *Verifier) Verify(ctx context.Context, tenant, key string) (*caller.Caller, error) {
	now := v.cfg.Now()
	e, err := v.get(ctx, HashOf(key), now.UnixNano())
	if err != nil {
		return nil, err
	}
	if e.rec == nil || e.rec.Tenant != tenant || e.rec.Key.Status != model.KeyActive || (!e.expiry.IsZero() && !now.Before(e.expiry)) {
		return nil, auth.ErrInvalidCredential
	}
	return e.c, nil
}

func (v *Verifier) get(ctx context.Context, h Hash, now int64) (*entry, error) {
	if e := v.load(h); e != nil {
		ttl := v.cfg.TTL
		if e.rec == nil {
			ttl = v.cfg.NegativeTTL
		}
		if now-e.loaded < int64(ttl) {
			return e, nil
		}
	}
	x, err, _ := v.group.Do(string(h[:]), func() (any, error) {
		gen := v.gen.Load()
		rec, err := v.cfg.Lookup(context.WithoutCancel(ctx), h.String())
		if err != nil {
			return nil, fmt.Errorf("look up api key: %w", err)
		}
		e := &entry{rec: rec, loaded: v.cfg.Now().UnixNano()}
		if rec != nil {
			k := rec.Key
			e.c = &caller.Caller{Kind: caller.APIKey, Tenant: rec.Tenant, Consumer: k.Consumer, Subject: k.ID, Scopes: k.Scopes, Plan: k.Plan}
			if k.ExpiresAt != nil {
				e.expiry = *k.ExpiresAt
			}
		}
		if v.gen.Load() == gen {
			v.put(h, e)
		}
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return x.(*entry), nil
}

func (v *Verifier) put(h Hash, e *entry) {
	s := v.shard(h)
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[Hash]*entry)
	}
	_, had := s.m[h]
	s.m[h] = e
	s.mu.Unlock()
	if had || v.n.Add(1) <= int64(v.cfg.MaxEntries) {
		return
	}
	// Over the bound (a flood of made-up keys): forget unknown hashes, and
	// everything if that was not enough. It only costs store reads later.
	v.evict(func(x *entry) bool { return x.rec == nil })
	if v.n.Load() > int64(v.cfg.MaxEntries) {
		v.evict(func(*entry) bool { return true })
	}
}

func (v *Verifier) evict(drop func(*entry) bool) {
	for i := range v.shards {
		s := &v.shards[i]
		s.mu.Lock()
		for k, x := range s.m {
			if drop(x) {
				delete(s.m, k)
				v.n.Add(-1)
			}
		}
		s.mu.Unlock()
	}
}

// Forget drops a key, by the hex hash of its secret, from the cache (after
// a revocation in this process), so the next request reads the store.
func (v *Verifier) Forget(hash string) {
	var h Hash
	if n, err := hex.Decode(h[:], []byte(hash)); err != nil || n != len(h) {
		return
	}
	v.gen.Add(1)
	s := v.shard(h)
	s.mu.Lock()
	_, had := s.m[h]
	delete(s.m, h)
	s.mu.Unlock()
	if had {
		v.n.Add(-1)
	}
}
