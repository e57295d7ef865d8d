package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
)

// okForwarder answers 204 without an upstream, so the benchmarks below
// measure the gateway's own stages.
type okForwarder struct{}

func (okForwarder) Forward(w http.ResponseWriter, _ *http.Request, _ proxy.Target) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// BenchmarkGatewayRateLimit compares one request through the gateway with
// a consumer-scoped memory rate limit and without one, in the same run.
func BenchmarkGatewayRateLimit(b *testing.B) {
	h := newHarness(b, func(c *Config) { c.Forwarder, c.Logger = okForwarder{}, discardLogger() })
	h.src.set(withLimit("acme", h.up, &model.RateLimitPolicy{Algorithm: model.FixedWindow, Scope: model.ScopeConsumer, Limit: 1_000_000_000, WindowSeconds: 86400}))
	for _, bc := range []struct{ name, target string }{
		{"none", "/t/acme/v1/items"},
		{"memory", "/t/acme/v1/limited"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", bc.target, nil)
			r.Header.Set("X-Request-Id", "bench")
			w := &benchWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.code = 0
				h.gw.ServeHTTP(w, r)
				if w.code != http.StatusNoContent {
					b.Fatalf("status %d", w.code)
				}
			}
		})
	}
}

// benchWriter is a reusable ResponseWriter (httptest.ResponseRecorder
// cannot be reset).
type benchWriter struct {
	h    http.Header
	code int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(code int)        { w.code = code }
func (w *benchWriter) Write(p []byte) (int, error) { return len(p), nil }
