package gateway

import (
	"net/http"
	"testing"

	"github.com/portico/portico/internal/auth/apikey"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
	"github.com/portico/portico/internal/proxy/proxytest"
)

// authBenchGateway is benchGateway with an API-key policy on every endpoint
// when withAuth, wrapped so that each request carries a valid key.
func authBenchGateway(b *testing.B, upstream string, withAuth bool) (http.Handler, *keyStore) {
	b.Helper()
	cfg := benchConfig("acme", upstream)
	if withAuth {
		for i := range cfg.Endpoints {
			cfg.Endpoints[i].Policies.Auth = &model.AuthPolicy{Type: model.AuthAPIKey, Scopes: []string{"read"}}
		}
	}
	keys := &keyStore{}
	key := keys.issue("acme", model.APIKey{ID: "k1", Consumer: "mobile", Scopes: []string{"read", "write"}})
	clock := newFakeClock()
	ver, err := apikey.New(apikey.Config{Lookup: keys.lookup, Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	gw, err := New(Config{
		Source:         newFakeSource(cfg),
		Forwarder:      proxy.New(proxy.Config{Logger: discardLogger()}),
		Domain:         "api.example.com",
		Now:            clock.Now,
		Logger:         discardLogger(),
		Authenticators: map[model.AuthType]Authenticator{model.AuthAPIKey: ver},
	})
	if err != nil {
		b.Fatal(err)
	}
	vals := []string{key}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header["X-Api-Key"] = vals
		gw.ServeHTTP(w, r)
	}), keys
}

// BenchmarkGatewayAPIKey is the whole gateway with API-key auth on (cache
// hit); BenchmarkGatewayNoAuth is the same gateway and request without it.
// Target: throughput >= 0.9x, i.e. time/op <= 1.11x.
func BenchmarkGatewayAPIKey(b *testing.B) {
	h, keys := authBenchGateway(b, proxytest.Upstream(b).String(), true)
	proxytest.Run(b, h, "http://gw.example.com/t/acme/v1/resource42/42?expand=items")
	if n := keys.calls.Load(); n != 1 {
		b.Fatalf("key store read %d times, want 1 (the first request)", n)
	}
}

func BenchmarkGatewayNoAuth(b *testing.B) {
	h, _ := authBenchGateway(b, proxytest.Upstream(b).String(), false)
	proxytest.Run(b, h, "http://gw.example.com/t/acme/v1/resource42/42?expand=items")
}
