package gateway

import (
	"net/http/httptest"
	"testing"

	"github.com/portico/portico/internal/auth/detect"
)

// BenchmarkUnknownTenant404 is the 404 of an unknown tenant (negatively
// cached) with and without enumeration detection; the difference is the
// detection's cost (one lock and map probe, no allocation).
func BenchmarkUnknownTenant404(b *testing.B) {
	for _, tc := range []struct {
		name   string
		detect bool
	}{{"without-detection", false}, {"with-detection", true}} {
		b.Run(tc.name, func(b *testing.B) {
			h := newAuthHarness(b)
			if tc.detect {
				h.gw.cfg.Failures = detect.New(detect.Config{EnumerationThreshold: 1 << 30})
			}
			r := httptest.NewRequest("GET", "/t/nosuchtenant/v1/open", nil)
			r.RemoteAddr = "203.0.113.9:4711"
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.gw.ServeHTTP(w, r)
				if w.Code != 404 {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
