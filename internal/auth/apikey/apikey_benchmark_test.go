package apikey

import (
	"context"
	"net/http"
	"testing"

	"github.com/portico/portico/internal/model"
)

// BenchmarkAuthenticateHit is API-key authentication on a cache hit:
// header parse, hash, cache lookup, checks. Target < 1us, 0 store calls.
func BenchmarkAuthenticateHit(b *testing.B) {
	c := newClock()
	s := &fakeStore{}
	key := s.add("acme", model.APIKey{ID: "k1", Consumer: "mobile", Scopes: []string{"read"}})
	v := newVerifier(b, s, c, nil)
	h := http.Header{"X-Api-Key": {key}}
	ctx := context.Background()
	if _, err := v.Authenticate(ctx, "acme", h); err != nil {
		b.Fatal(err)
	}
	before := s.calls.Load()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Authenticate(ctx, "acme", h); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(s.calls.Load()-before)/float64(b.N), "storecalls/op")
}

func BenchmarkAuthenticateHitParallel(b *testing.B) {
	c := newClock()
	s := &fakeStore{}
	key := s.add("acme", model.APIKey{ID: "k1", Consumer: "mobile"})
	v := newVerifier(b, s, c, nil)
	h := http.Header{"X-Api-Key": {key}}
	ctx := context.Background()
	_, _ = v.Authenticate(ctx, "acme", h)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Authenticate(ctx, "acme", h); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
