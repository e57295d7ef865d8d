package metrics_test

import (
	"context"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/portico/portico/internal/metrics"
)

// BenchmarkFlush is one flush of 500 moved series of 8 metrics (the cap),
// the cost the invocation that finds a flush due pays once per interval.
func BenchmarkFlush(b *testing.B) {
	var n int64
	src := func(add func(metrics.Sample)) {
		for i := range 500 {
			ep := "endpoint-" + strconv.Itoa(i)
			for _, m := range [...]string{"CacheHits", "CacheMisses", "CacheStale", "CacheStored", "CacheEvictions", "RateLimitAllowed", "RateLimited"} {
				add(metrics.Sample{Tenant: "acme", Dim: "Endpoint", Value: ep, Metric: m, Unit: metrics.Count, N: n})
			}
			add(metrics.Sample{Tenant: "acme", Dim: "Endpoint", Value: ep, Metric: "CacheBytes", Unit: metrics.Bytes, Gauge: true, N: n})
		}
	}
	e, err := metrics.New(metrics.Config{Out: io.Discard, Sources: []metrics.Source{src}, Now: time.Now})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		n++ // every series moves
		e.Flush(context.Background())
	}
}
