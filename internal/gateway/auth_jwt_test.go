package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/auth/jwtauth"
	"github.com/portico/portico/internal/auth/jwtauth/jwttest"
	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
)

// TestJWTSecuritySuite runs hostile tokens through the whole gateway: each
// gets its status and the upstream is never called.
func TestJWTSecuritySuite(t *testing.T) {
	up := newCountingUpstream(t)
	idp := jwttest.New(t, "https://idp.acme.test", "orders-api")
	other := jwttest.New(t, "https://idp.globex.test", "orders-api")
	clock := newFakeClock()
	issuers := map[string][]model.JWTIssuer{"acme": {idp.Config("main")}, "globex": {other.Config("main")}}
	jv, err := jwtauth.New(jwtauth.Config{
		Issuers: func(_ context.Context, tenant string) ([]model.JWTIssuer, error) { return issuers[tenant], nil },
		Client:  idp.Client(),
		Now:     clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := authConfig("acme", up.URL)
	scoped := cfg.Endpoints[0]
	scoped.ID, scoped.Path = "/jwt-scoped", "/jwt-scoped"
	scoped.Policies.Auth = &model.AuthPolicy{Type: model.AuthJWT, Scopes: []string{"orders:read"}, Roles: []string{"clerk"}}
	cfg.Endpoints = append(cfg.Endpoints, scoped)
	spy := &callerSpy{next: proxy.New(proxy.Config{Logger: discardLogger()})}
	gw, err := New(Config{
		Source: newFakeSource(cfg), Forwarder: spy, Now: clock.Now, Logger: discardLogger(),
		Authenticators: map[model.AuthType]Authenticator{model.AuthJWT: jv},
	})
	if err != nil {
		t.Fatal(err)
	}
	n := clock.Now().Unix()
	std := func(mut func(jwttest.Claims)) jwttest.Claims {
		c := idp.Std(n)
		if mut != nil {
			mut(c)
		}
		return c
	}
	good := idp.SignES256(std(func(c jwttest.Claims) { c["scope"] = "orders:read"; c["roles"] = []string{"clerk"} }), nil)
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	const invalid = `Bearer realm="acme", error="invalid_token"`
	tests := []struct {
		name      string
		target    string
		hdr       http.Header
		status    int
		challenge string
	}{
		{"no token", "/t/acme/v1/jwt", nil, 401, `Bearer realm="acme"`},
		{"token in the query string", "/t/acme/v1/jwt?access_token=" + url.QueryEscape(good), nil, 401, `Bearer realm="acme"`},
		{"duplicate Authorization", "/t/acme/v1/jwt", http.Header{"Authorization": {"Bearer " + good, "Bearer " + good}}, 400, `Bearer realm="acme", error="invalid_request"`},
		{"alg none", "/t/acme/v1/jwt", bearer(jwttest.None("none", jwttest.ECKid, std(nil))), 401, invalid},
		{"alg nOnE", "/t/acme/v1/jwt", bearer(jwttest.None("nOnE", jwttest.ECKid, std(nil))), 401, invalid},
		{"HS256 with the RSA public key", "/t/acme/v1/jwt", bearer(idp.HS256WithPublicKey(std(nil))), 401, invalid},
		{"path-like kid", "/t/acme/v1/jwt", bearer(idp.SignES256(std(nil), map[string]any{"kid": "../../etc/passwd"})), 401, invalid},
		{"jku", "/t/acme/v1/jwt", bearer(idp.SignES256(std(nil), map[string]any{"jku": "https://evil.test"})), 401, invalid},
		{"x5c", "/t/acme/v1/jwt", bearer(idp.SignES256(std(nil), map[string]any{"x5c": []string{"MIIB"}})), 401, invalid},
		{"crit", "/t/acme/v1/jwt", bearer(idp.SignES256(std(nil), map[string]any{"crit": []string{"b64"}})), 401, invalid},
		{"expired past the leeway", "/t/acme/v1/jwt", bearer(idp.SignES256(std(func(c jwttest.Claims) { c["exp"] = n - 31 }), nil)), 401, invalid},
		{"future iat", "/t/acme/v1/jwt", bearer(idp.SignES256(std(func(c jwttest.Claims) { c["iat"] = n + 31 }), nil)), 401, invalid},
		{"missing exp", "/t/acme/v1/jwt", bearer(idp.SignES256(std(func(c jwttest.Claims) { delete(c, "exp") }), nil)), 401, invalid},
		{"wrong aud array", "/t/acme/v1/jwt", bearer(idp.SignES256(std(func(c jwttest.Claims) { c["aud"] = []string{"x", "y"} }), nil)), 401, invalid},
		{"wrong iss", "/t/acme/v1/jwt", bearer(idp.SignES256(std(func(c jwttest.Claims) { c["iss"] = "https://evil.test" }), nil)), 401, invalid},
		{"another tenant's valid token", "/t/acme/v1/jwt", bearer(other.SignES256(other.Std(n), nil)), 401, invalid},
		{"JSON serialization", "/t/acme/v1/jwt", bearer(jwttest.JSONSerialization(good)), 401, invalid},
		{"1 MiB token", "/t/acme/v1/jwt", bearer(strings.Repeat("a", 1<<20)), 401, invalid},
		{"missing scope and role", "/t/acme/v1/jwt-scoped", bearer(idp.SignES256(std(nil), nil)), 403, `Bearer realm="acme", error="insufficient_scope", scope="orders:read"`},
		{"api key on a jwt endpoint", "/t/acme/v1/jwt", http.Header{"X-Api-Key": {"ptk_x"}}, 401, `Bearer realm="acme"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := up.calls.Load()
			r := httptest.NewRequest("GET", tt.target, nil)
			for k, vs := range tt.hdr {
				r.Header[k] = vs
			}
			w := httptest.NewRecorder()
			gw.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tt.challenge {
				t.Fatalf("WWW-Authenticate = %q, want %q", got, tt.challenge)
			}
			problemBody(t, w)
			if up.calls.Load() != before {
				t.Fatal("upstream called")
			}
		})
	}
	t.Run("valid token", func(t *testing.T) {
		for _, target := range []string{"/t/acme/v1/jwt", "/t/acme/v1/jwt-scoped"} {
			r := httptest.NewRequest("GET", target, nil)
			r.Header.Set("Authorization", "Bearer "+good)
			w := httptest.NewRecorder()
			gw.ServeHTTP(w, r)
			e := decodeEcho(t, w)
			if _, ok := e.Header["Authorization"]; ok {
				t.Fatal("the bearer token reached the upstream")
			}
			spy.mu.Lock()
			c := spy.last
			spy.mu.Unlock()
			if c == nil || c.Kind != caller.JWT || c.Tenant != "acme" || c.Subject != "user-1" {
				t.Fatalf("caller = %+v", c)
			}
		}
	})
	t.Run("1 MiB token is rejected fast", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/t/acme/v1/jwt", nil)
		r.Header.Set("Authorization", "Bearer "+strings.Repeat("a", 1<<20))
		start := time.Now()
		gw.ServeHTTP(httptest.NewRecorder(), r)
		if d := time.Since(start); d > 50*time.Millisecond {
			t.Fatalf("took %v", d)
		}
	})
}
