package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/portico/portico/internal/ratelimit"
)

// BenchmarkMemoryTake is one decision on a warm key, for each algorithm.
func BenchmarkMemoryTake(b *testing.B) {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for _, alg := range []ratelimit.Algorithm{ratelimit.FixedWindow, ratelimit.SlidingWindow, ratelimit.TokenBucket} {
		b.Run(alg.String(), func(b *testing.B) {
			m := ratelimit.NewMemory()
			l := ratelimit.Limit{Algorithm: alg, Limit: 10_000, Window: time.Second}
			const key = "acme|consumer|GET /v1/items/{id}|consumer:alice"
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				// Advance time so the limit is never hit.
				if _, err := m.Take(ctx, key, l, now.Add(time.Duration(i)*time.Millisecond), 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
