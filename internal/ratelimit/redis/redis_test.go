package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/portico/portico/internal/ratelimit"
	"github.com/portico/portico/internal/ratelimit/ratelimittest"
	"github.com/portico/portico/internal/ratelimit/redis"
	"github.com/portico/portico/internal/testenv/redisserver"
)

func open(t *testing.T, addr string) *redis.Store {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
	t.Cleanup(func() { _ = c.Close() })
	s, err := redis.New(redis.Config{Client: c})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	srv := redisserver.Start(t)
	ratelimittest.Run(t, func() ratelimit.Store { return open(t, srv.Addr) })
}

func TestServerGone(t *testing.T) {
	srv := redisserver.Start(t)
	s := open(t, srv.Addr)
	l := ratelimit.Limit{Algorithm: ratelimit.FixedWindow, Limit: 5, Window: time.Minute}
	if _, err := s.Take(context.Background(), "k", l, time.Now(), 1); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	_, err := s.Take(context.Background(), "k", l, time.Now(), 1)
	if !errors.Is(err, ratelimit.ErrUnavailable) {
		t.Fatalf("Take with the server gone: %v, want ErrUnavailable", err)
	}
}
