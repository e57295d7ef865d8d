package app

import (
	"context"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/portico/portico/internal/ratelimit"
	rldynamo "github.com/portico/portico/internal/ratelimit/dynamo"
	rlredis "github.com/portico/portico/internal/ratelimit/redis"
	"github.com/portico/portico/internal/store/dynamo"
)

// RateLimitStore builds the rate-limit store e names: memory (exact per
// instance), redis (REDIS_URL) or dynamodb (the main table; token leasing
// when PORTICO_RATELIMIT_LEASE is set).
func RateLimitStore(ctx context.Context, e Env) (ratelimit.Store, error) {
	switch e.RateLimitStore {
	case "memory":
		return ratelimit.NewMemory(), nil
	case "redis":
		opts, err := goredis.ParseURL(e.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		return rlredis.New(rlredis.Config{Client: goredis.NewClient(opts)})
	case "dynamodb":
		client, err := dynamo.NewClient(ctx)
		if err != nil {
			return nil, err
		}
		return rldynamo.New(rldynamo.Config{Client: client, Table: e.Table, Lease: ratelimit.LeaseConfig{Size: e.RateLimitLease}})
	}
	return nil, fmt.Errorf("unknown rate-limit store %q", e.RateLimitStore)
}
