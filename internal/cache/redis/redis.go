// Package redis is the Redis adapter of the cache's shared L2
// (cache.Store): entries are SET with PX until Entry.Retain (their expiry
// plus any stale-if-error window; Redis expires them), and four
// sorted-set indexes (tenant, API, version, path), plus one per tag, scored by expiry let a
// purge find a selection's keys without SCAN. Both writes and purges are Lua
// scripts, so an entry and its index entries change together.
package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/portico/portico/internal/cache"
)

// Config configures a Store.
type Config struct {
	Client goredis.UniversalClient
	// Prefix starts every key; default "portico:cache:".
	Prefix string
	Now    func() time.Time
}

// Store is a cache.Store on Redis.
type Store struct {
	c      goredis.UniversalClient
	prefix string
	now    func() time.Time
}

var _ cache.Store = (*Store)(nil)

// New validates cfg and returns a Store.
func New(cfg Config) (*Store, error) {
	if cfg.Client == nil {
		return nil, errors.New("cache/redis: Client is required")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "portico:cache:"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{c: cfg.Client, prefix: cfg.Prefix, now: cfg.Now}, nil
}

// setScript stores an entry (KEYS[1]) with a TTL and adds it to each index
// (KEYS[2..]) scored by its expiry, trimming index members that expired and
// keeping each index alive at least as long as its newest member.
var setScript = goredis.NewScript(`
local ttl = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], now + ttl, KEYS[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  if redis.call('PTTL', KEYS[i]) < ttl then
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
end
return 1
`)

// purgeScript deletes every member of the index KEYS[1] and the index, in
// chunks, and returns how many entries existed.
var purgeScript = goredis.NewScript(`
local keys = redis.call('ZRANGE', KEYS[1], 0, -1)
local n = 0
for i = 1, #keys, 500 do
  n = n + redis.call('DEL', unpack(keys, i, math.min(i + 499, #keys)))
end
redis.call('DEL', KEYS[1])
return n
`)

func (s *Store) entryKey(key string) string { return s.prefix + key }

// index names the index of a selection: tenant, then API, version, path.
func (s *Store) index(parts ...string) string {
	k := s.prefix + "idx"
	for _, p := range parts {
		k += "|" + p
	}
	return k
}

// tagIndex names a tag's index, apart from the API indexes: "tag|" cannot
// start an index of tenant, API, version and path (they start "idx").
func (s *Store) tagIndex(tenant, tag string) string {
	return s.prefix + "tag|" + tenant + "|" + tag
}

// Get implements cache.Store.
func (s *Store) Get(ctx context.Context, key string) (*cache.Entry, error) {
	b, err := s.c.Get(ctx, s.entryKey(key)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cache/redis: get: %w", err)
	}
	e, err := cache.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("cache/redis: %w", err)
	}
	return e, nil
}

// Set implements cache.Store.
func (s *Store) Set(ctx context.Context, key string, e *cache.Entry) error {
	now := s.now()
	ttl := e.Retain().Sub(now).Milliseconds()
	if ttl <= 0 {
		return nil
	}
	keys := []string{
		s.entryKey(key),
		s.index(e.Tenant),
		s.index(e.Tenant, e.API),
		s.index(e.Tenant, e.API, e.Version),
		s.index(e.Tenant, e.API, e.Version, e.Path),
	}
	for _, t := range e.Tags {
		keys = append(keys, s.tagIndex(e.Tenant, t))
	}
	err := setScript.Run(ctx, s.c, keys, e.Encode(), strconv.FormatInt(ttl, 10), strconv.FormatInt(now.UnixMilli(), 10)).Err()
	if err != nil {
		return fmt.Errorf("cache/redis: set: %w", err)
	}
	return nil
}

// ErrSelector is returned by Purge for a selection it has no index for
// (a path without its API and version, or a version without its API).
var ErrSelector = errors.New("cache/redis: unsupported purge selection")

// Purge implements cache.Store.
func (s *Store) Purge(ctx context.Context, sel cache.Selector) (int, error) {
	var idx string
	switch {
	case sel.Tenant == "":
		return 0, cache.ErrNoTenant
	case sel.Tag != "" && sel.API == "" && sel.Version == "" && sel.Path == "":
		idx = s.tagIndex(sel.Tenant, sel.Tag)
	case sel.Tag != "":
		return 0, ErrSelector
	case sel.Path != "" && sel.API != "" && sel.Version != "":
		idx = s.index(sel.Tenant, sel.API, sel.Version, sel.Path)
	case sel.Path == "" && sel.API != "" && sel.Version != "":
		idx = s.index(sel.Tenant, sel.API, sel.Version)
	case sel.Path == "" && sel.API != "" && sel.Version == "":
		idx = s.index(sel.Tenant, sel.API)
	case sel.Path == "" && sel.API == "" && sel.Version == "":
		idx = s.index(sel.Tenant)
	default:
		return 0, ErrSelector
	}
	n, err := purgeScript.Run(ctx, s.c, []string{idx}).Int()
	if err != nil {
		return 0, fmt.Errorf("cache/redis: purge: %w", err)
	}
	return n, nil
}
