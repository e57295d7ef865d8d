package cache_test

import (
	"strings"
	"testing"

	"github.com/portico/portico/internal/cache"
)

func TestKeyVariesByEveryPart(t *testing.T) {
	base := cache.KeyParts{Tenant: "acme", ConfigVersion: 7, Route: "GET /v1/items/{id}", Path: "/v1/items/1",
		Query: "a=1&b=2", Headers: []string{"Accept", "application/json"}, Principal: ""}
	tests := []struct {
		name string
		mod  func(p *cache.KeyParts)
	}{
		{"tenant", func(p *cache.KeyParts) { p.Tenant = "other" }},
		{"config version", func(p *cache.KeyParts) { p.ConfigVersion = 8 }},
		{"route", func(p *cache.KeyParts) { p.Route = "HEAD /v1/items/{id}" }},
		{"path", func(p *cache.KeyParts) { p.Path = "/v1/items/2" }},
		{"query", func(p *cache.KeyParts) { p.Query = "a=1" }},
		{"header value", func(p *cache.KeyParts) { p.Headers = []string{"Accept", "text/html"} }},
		{"no headers", func(p *cache.KeyParts) { p.Headers = nil }},
		{"principal", func(p *cache.KeyParts) { p.Principal = "consumer:mobile" }},
		{"concatenation", func(p *cache.KeyParts) { p.Path, p.Query = "/v1/items/1a=1", "&b=2" }},
		{"header split", func(p *cache.KeyParts) { p.Headers = []string{"Accep", "tapplication/json"} }},
	}
	want := cache.Key(base)
	if !strings.HasPrefix(want, "acme:") {
		t.Fatalf("key %q does not start with the tenant", want)
	}
	if cache.Key(base) != want {
		t.Fatal("Key is not deterministic")
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			tc.mod(&p)
			if cache.Key(p) == want {
				t.Fatalf("changing the %s does not change the key", tc.name)
			}
		})
	}
}
