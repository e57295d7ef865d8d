package integration

import (
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portico/portico/internal/proxy"
	"github.com/portico/portico/internal/proxy/proxytest"
)

// BenchmarkDispatch compares a plain Forward with Do under a retry policy
// and a breaker that never trigger: the cost of resilience on the hot path.
func BenchmarkDispatch(b *testing.B) {
	base := proxytest.Upstream(b)
	fwd := proxy.New(proxy.Config{Logger: slog.New(slog.DiscardHandler)})
	e, err := New(Config{Forwarder: fwd})
	if err != nil {
		b.Fatal(err)
	}
	t := proxy.Target{BaseURL: base, Path: "/resource42/42"}
	p := plan(3)
	p.Breaker = &BreakerSettings{FailureRatio: 0.5, MinRequests: 20, Open: 10 * time.Second}
	b.Run("Forward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			if err := fwd.Forward(w, httptest.NewRequest("GET", "/x", nil), t); err != nil || w.Code != 200 {
				b.Fatal(w.Code, err)
			}
		}
	})
	b.Run("Do-retry-breaker", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			if _, err := e.Do(w, httptest.NewRequest("GET", "/x", nil), p, t); err != nil || w.Code != 200 {
				b.Fatal(w.Code, err)
			}
		}
	})
}
