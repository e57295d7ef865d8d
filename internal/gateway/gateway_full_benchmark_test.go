package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
	"github.com/portico/portico/internal/proxy/proxytest"
)

// BenchmarkGatewayProxyFull is BenchmarkGatewayProxy with everything a
// production request pays for on: a JSON slog access line (to io.Discard),
// a CORS policy answering an allowed Origin, and the security headers
// (always on). cmd/benchreport compares it with ReverseProxy (<= 1.3x).
func BenchmarkGatewayProxyFull(b *testing.B) {
	cfg := benchConfig("acme", proxytest.Upstream(b).String())
	for i := range cfg.Endpoints {
		cfg.Endpoints[i].Policies.CORS = &model.CORSPolicy{
			AllowOrigins:  []string{"https://app.example.com"},
			AllowMethods:  []string{"GET", "POST"},
			ExposeHeaders: []string{"X-Request-Id"},
			MaxAgeSeconds: 600,
		}
	}
	clock := newFakeClock()
	gw, err := New(Config{
		Source:    newFakeSource(cfg),
		Forwarder: proxy.New(proxy.Config{Logger: discardLogger()}),
		Domain:    "api.example.com",
		Now:       clock.Now,
		Logger:    slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := gw.snaps.get(b.Context(), "acme", clock.Now()); err != nil {
		b.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") == "" {
			r.Header.Set("Origin", "https://app.example.com") // the same request is reused
		}
		gw.ServeHTTP(w, r)
		if w.Header().Get("Access-Control-Allow-Origin") == "" || w.Header().Get("X-Content-Type-Options") == "" {
			b.Fatal("CORS or security headers missing")
		}
	})
	proxytest.Run(b, h, "http://gw.example.com/t/acme/v1/resource42/42?expand=items")
}
