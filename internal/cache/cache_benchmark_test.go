package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/portico/portico/internal/cache"
)

func BenchmarkKey(b *testing.B) {
	p := cache.KeyParts{Tenant: "acme", ConfigVersion: 42, Route: "GET /v1/items/{id}", Path: "/v1/items/7",
		Query: "a=1&b=2", Headers: []string{"Accept", "application/json"}, Principal: "consumer:mobile"}
	b.ReportAllocs()
	for b.Loop() {
		_ = cache.Key(p)
	}
}

func BenchmarkL1Hit(b *testing.B) {
	c, err := cache.New(cache.Config{})
	if err != nil {
		b.Fatal(err)
	}
	clk := newClock()
	clk.t = time.Now()
	c.Set(context.Background(), "acme:k", entry(clk, string(make([]byte, 1024)), time.Hour))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if c.Get(ctx, "acme:k") == nil {
			b.Fatal("miss")
		}
	}
}
