package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
	"github.com/portico/portico/internal/proxy/proxytest"
)

// benchConfig is one tenant with 1,000 endpoints: 100 resources x 10
// templates, all on one HTTP integration at upstream.
func benchConfig(tenant, upstream string) *catalog.TenantConfig {
	templates := []struct{ method, path, target string }{
		{"GET", "/%s", ""},
		{"POST", "/%s", ""},
		{"GET", "/%s/{id}", "/%s/{id}"},
		{"PUT", "/%s/{id}", ""},
		{"DELETE", "/%s/{id}", ""},
		{"GET", "/%s/{id}/history", ""},
		{"GET", "/%s/{id}/items/{itemID}", "/%s/{id}/items/{itemID}"},
		{"POST", "/%s/{id}/items", ""},
		{"GET", "/%s/search", ""},
		{"GET", "/%s/{id}/files/{path+}", ""},
	}
	cfg := &catalog.TenantConfig{
		Version:      1,
		Tenant:       model.Tenant{ID: tenant, Name: tenant},
		APIs:         []model.API{{Slug: "api", Name: "API"}},
		Versions:     []model.Version{{API: "api", Name: "v1", Status: model.StatusPublished}},
		Integrations: []model.Integration{{Slug: "up", Type: model.IntegrationHTTP, URL: upstream}},
	}
	for r := range 100 {
		res := fmt.Sprintf("resource%02d", r)
		for i, tp := range templates {
			ep := model.Endpoint{
				ID: fmt.Sprintf("ep%d", r*10+i), API: "api", Version: "v1", Method: tp.method, Path: fmt.Sprintf(tp.path, res),
				Target: model.Target{Type: model.TargetIntegration, Integration: "up"},
			}
			if tp.target != "" {
				ep.Target.Path = fmt.Sprintf(tp.target, res)
			}
			cfg.Endpoints = append(cfg.Endpoints, ep)
		}
	}
	return cfg
}

// benchGateway returns a gateway with a warm snapshot of benchConfig.
func benchGateway(b *testing.B, upstream string) *Gateway {
	b.Helper()
	src := newFakeSource(benchConfig("acme", upstream))
	clock := newFakeClock()
	gw, err := New(Config{
		Source:    src,
		Forwarder: proxy.New(proxy.Config{Logger: discardLogger()}),
		Domain:    "api.example.com",
		Now:       clock.Now,
		Logger:    discardLogger(),
	})
	if err != nil {
		b.Fatal(err)
	}
	snap, err := gw.snaps.get(b.Context(), "acme", clock.Now())
	if err != nil || !snap.exists || snap.routes.Len() != 1000 {
		b.Fatalf("warm-up: %v", err)
	}
	return gw
}

func BenchmarkResolve(b *testing.B) {
	gw := benchGateway(b, "http://upstream.invalid")
	var reqs []*http.Request
	for _, target := range []string{
		"http://gw.example.com/t/acme/v1/resource07",
		"http://gw.example.com/t/acme/v1/resource42/8f14e45f-ceea-467f-a0e6-7a1b2c3d4e5f",
		"http://gw.example.com/t/acme/v1/Resource99/12345/items/67890",
		"http://acme.api.example.com/v1/resource13/search",
		"http://acme.api.example.com:8443/v1/resource55/abc/history",
		"http://acme.api.example.com/v1/resource21/abc/files/docs/2024/report.pdf",
	} {
		reqs = append(reqs, httptest.NewRequest("GET", target, nil))
	}
	now := gw.cfg.Now()
	var res resolution
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		res = resolution{}
		if p := gw.resolve(reqs[i%len(reqs)], &res, now); p != nil {
			b.Fatal(p)
		}
	}
}

// BenchmarkResolveRender adds rendering the upstream path from params (one
// allocation: the rendered string).
func BenchmarkResolveRender(b *testing.B) {
	gw := benchGateway(b, "http://upstream.invalid")
	r := httptest.NewRequest("GET", "http://gw.example.com/t/acme/v1/resource99/12345/items/67890", nil)
	now := gw.cfg.Now()
	var res resolution
	b.ReportAllocs()
	for b.Loop() {
		res = resolution{}
		if p := gw.resolve(r, &res, now); p != nil {
			b.Fatal(p)
		}
		if got := res.ep.renderUpstream(res.path, &res.params); got != "/resource99/12345/items/67890" {
			b.Fatal(got)
		}
	}
}

func BenchmarkGatewayProxy(b *testing.B) {
	gw := benchGateway(b, proxytest.Upstream(b).String())
	proxytest.Run(b, gw, "http://gw.example.com/t/acme/v1/resource42/42?expand=items")
}

// BenchmarkReverseProxy is the baseline BenchmarkGatewayProxy is compared with.
func BenchmarkReverseProxy(b *testing.B) {
	rp := proxytest.ReverseProxy(proxytest.Upstream(b), "/resource42/42", proxy.NewTransport())
	proxytest.Run(b, rp, "http://gw.example.com/t/acme/v1/resource42/42?expand=items")
}
