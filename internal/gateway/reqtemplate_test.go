package gateway

import (
	"net/http"
	"testing"

	"github.com/portico/portico/internal/model"
)

func TestRequestTemplates(t *testing.T) {
	h := newHarness(t, nil)
	cfg := testConfig("acme", 2, h.up)
	cfg.Integrations = append(cfg.Integrations, model.Integration{
		Slug: "tmpl", Type: model.IntegrationHTTP,
		URL:     h.up.main + "/tenants/{header.X-Org}/api?lang={query.lang}",
		Headers: map[string]string{"X-Item": "item-{path.id}", "X-Static": "s"},
	})
	cfg.Endpoints = append(cfg.Endpoints,
		model.Endpoint{ID: "t1", API: "shop", Version: "v1", Method: "GET", Path: "/tmpl/{id}",
			Target: model.Target{Type: model.TargetIntegration, Integration: "tmpl", Path: "/things/{path.id}/{query.sub}"}},
		model.Endpoint{ID: "t2", API: "shop", Version: "v1", Method: "GET", Path: "/plain/{id}",
			Target: model.Target{Type: model.TargetIntegration, Integration: "tmpl"}},
	)
	h.src.set(cfg)

	tests := []struct {
		name, target string
		hdr          []string
		path, query  string
		header       map[string]string
		status       int
	}{
		{name: "every source", target: "/t/acme/v1/tmpl/42?lang=en&sub=a%2Fb", hdr: []string{"X-Org", "o/1"},
			path: "/tenants/o%2F1/api/things/42/a%2Fb", query: "lang=en&lang=en&sub=a%2Fb",
			header: map[string]string{"X-Item": "item-42", "X-Static": "s"}},
		{name: "escaped path param stays one segment", target: "/t/acme/v1/tmpl/a%2Fb?sub=x",
			path: "/tenants//api/things/a%2Fb/x", query: "lang=&sub=x"},
		{name: "query escaping", target: "/t/acme/v1/plain/1?lang=a%26b%3Dc",
			path: "/tenants//api/plain/1", query: "lang=a%26b%3Dc&lang=a%26b%3Dc"},
		{name: "dot segment refused", target: "/t/acme/v1/tmpl/1?sub=..", status: http.StatusBadRequest},
		{name: "header CRLF dropped", target: "/t/acme/v1/tmpl/x%0D%0AEvil:%201?sub=y",
			header: map[string]string{"X-Item": "item-xEvil: 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := h.do(t, "GET", tt.target, nil, tt.hdr...)
			if tt.status != 0 {
				if w.Code != tt.status {
					t.Fatalf("status = %d, want %d: %s", w.Code, tt.status, w.Body)
				}
				return
			}
			e := decodeEcho(t, w)
			if tt.path != "" && e.Path != tt.path {
				t.Errorf("upstream path = %q, want %q", e.Path, tt.path)
			}
			if tt.query != "" && e.Query != tt.query {
				t.Errorf("upstream query = %q, want %q", e.Query, tt.query)
			}
			for k, v := range tt.header {
				if got := http.Header(e.Header).Get(k); got != v {
					t.Errorf("upstream %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}
