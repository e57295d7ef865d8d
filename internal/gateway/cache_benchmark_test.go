package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
)

// BenchmarkGatewayCache compares, in one run, a GET answered from the cache
// with the same GET proxied to a 1 KiB loopback upstream (an endpoint
// without a cache policy).
func BenchmarkGatewayCache(b *testing.B) {
	h := newCacheHarness(b, &model.CachePolicy{TTLSeconds: 3600}, nil, func(c *Config) { c.Logger = discardLogger() })
	body := strings.Repeat("x", 1024)
	h.up.set(200, body, "Content-Type", "application/json")
	uncached := cacheConfig("acme", 1, h.src.cfgs["acme"].Integrations[0].URL, nil, nil)
	uncached.Tenant.ID = "plain"
	h.src.set(uncached)
	for _, bc := range []struct{ name, target string }{
		{"upstream", "/t/plain/v1/c/1"},
		{"hit", "/t/acme/v1/c/1"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", bc.target, nil)
			r.Header.Set("X-Request-Id", "bench")
			w := &benchWriter{h: http.Header{}}
			h.gw.ServeHTTP(w, r) // warm: fills the cache, opens the connection
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				clear(w.h)
				w.code = 0
				h.gw.ServeHTTP(w, r)
				if w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
			}
		})
	}
}
