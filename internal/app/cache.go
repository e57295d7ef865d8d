package app

import (
	"fmt"
	"log/slog"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"github.com/portico/portico/internal/cache"
	cacheredis "github.com/portico/portico/internal/cache/redis"
)

// responseCaches holds one response cache per process and configuration.
// An L1 is by nature per process; sharing it between the gateway and the
// management API of the local all-in-one server is what lets a purge take
// effect at once locally. Keyed by what selects the store, so tests with
// separate data dirs never share entries.
var responseCaches struct {
	mu sync.Mutex
	m  map[string]*cache.Cache
}

// ResponseCache returns the process's response cache for e: an in-process
// L1 always, and Redis as L2 when e.CacheStore is redis (docs/cache.md).
func ResponseCache(e Env, log *slog.Logger) (*cache.Cache, error) {
	id := e.DataDir + "|" + e.CacheStore + "|" + e.RedisURL
	responseCaches.mu.Lock()
	defer responseCaches.mu.Unlock()
	if c := responseCaches.m[id]; c != nil {
		return c, nil
	}
	cfg := cache.Config{Logger: log}
	switch e.CacheStore {
	case "memory":
	case "redis":
		opts, err := goredis.ParseURL(e.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		l2, err := cacheredis.New(cacheredis.Config{Client: goredis.NewClient(opts)})
		if err != nil {
			return nil, err
		}
		cfg.L2 = l2
	default:
		return nil, fmt.Errorf("unknown cache store %q", e.CacheStore)
	}
	c, err := cache.New(cfg)
	if err != nil {
		return nil, err
	}
	if responseCaches.m == nil {
		responseCaches.m = map[string]*cache.Cache{}
	}
	responseCaches.m[id] = c
	return c, nil
}
