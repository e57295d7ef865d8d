package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/portico/portico/internal/echo"
)

// getWithKey calls the gateway with an API key and returns the status.
func (s *stack) getWithKey(path, key string) int {
	s.t.Helper()
	req, err := http.NewRequest("GET", s.srv.URL+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-Api-Key", key)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAPIKeyEndToEnd issues a key in the console, calls an endpoint that
// requires it, and revokes it: the all-in-one server refuses it at once.
func TestAPIKeyEndToEnd(t *testing.T) {
	upstream := httptest.NewServer(echo.New(echo.Config{}))
	t.Cleanup(upstream.Close)
	env := map[string]string{"PORTICO_DATA_DIR": t.TempDir(), "PORTICO_REFRESH_INTERVAL": "1ns"}
	s := newStack(t, func(k string) string { return env[k] })

	op := s.login("_platform", "owner")
	s.call("POST", "/admin/v1/tenants", op, map[string]any{"id": "acme", "name": "Acme"}, 201, nil)
	s.call("POST", "/admin/v1/tenants", op, map[string]any{"id": "globex", "name": "Globex"}, 201, nil)
	for _, tenant := range []string{"acme", "globex"} {
		tok := s.login(tenant, "owner")
		s.call("POST", "/admin/v1/integrations", tok, map[string]any{"slug": "catalog", "name": "Catalog", "type": "http", "url": upstream.URL}, 201, nil)
		s.call("POST", "/admin/v1/apis", tok, map[string]any{"slug": "shop", "name": "Shop", "basePath": "/shop"}, 201, nil)
		s.call("POST", "/admin/v1/apis/shop/versions", tok, map[string]any{"name": "v1"}, 201, nil)
		s.call("POST", "/admin/v1/apis/shop/versions/v1/endpoints", tok, map[string]any{
			"method": "GET", "path": "/products/{id}",
			"target":   map[string]any{"type": "integration", "integration": "catalog", "path": "/items/{id}"},
			"policies": map[string]any{"auth": map[string]any{"type": "apiKey", "scopes": []string{"products:read"}}},
		}, 201, nil)
		s.call("POST", "/admin/v1/apis/shop/versions/v1/publish", tok, nil, 200, nil)
		s.call("POST", "/admin/v1/consumers", tok, map[string]any{"slug": "mobile", "name": "Mobile"}, 201, nil)
	}
	tok := s.login("acme", "developer")
	var key struct{ ID, Secret string }
	s.call("POST", "/admin/v1/consumers/mobile/keys", tok, map[string]any{"scopes": []string{"products:read"}}, 201, &key)
	var weak struct{ Secret string }
	s.call("POST", "/admin/v1/consumers/mobile/keys", tok, map[string]any{}, 201, &weak)

	if got := s.getWithKey("/t/acme/v1/shop/products/7", ""); got != 401 {
		t.Fatalf("no key: %d", got)
	}
	if got := s.getWithKey("/t/acme/v1/shop/products/7", key.Secret); got != 200 {
		t.Fatalf("valid key: %d", got)
	}
	if got := s.getWithKey("/t/acme/v1/shop/products/7", weak.Secret); got != 403 {
		t.Fatalf("key without the scope: %d", got)
	}
	if got := s.getWithKey("/t/globex/v1/shop/products/7", key.Secret); got != 401 {
		t.Fatalf("acme's key on globex: %d", got)
	}
	s.call("POST", "/admin/v1/consumers/mobile/keys/"+key.ID+"/revoke", tok, nil, 200, nil)
	if got := s.getWithKey("/t/acme/v1/shop/products/7", key.Secret); got != 401 {
		t.Fatalf("revoked key, same process: %d", got)
	}
}

// TestOAuth2EndToEnd: a client issued in the console gets a token from the
// tenant's token endpoint and calls an oauth2 endpoint with it.
func TestOAuth2EndToEnd(t *testing.T) {
	upstream := httptest.NewServer(echo.New(echo.Config{}))
	t.Cleanup(upstream.Close)
	env := map[string]string{"PORTICO_DATA_DIR": t.TempDir(), "PORTICO_REFRESH_INTERVAL": "1ns"}
	s := newStack(t, func(k string) string { return env[k] })

	op := s.login("_platform", "owner")
	s.call("POST", "/admin/v1/tenants", op, map[string]any{"id": "acme", "name": "Acme"}, 201, nil)
	tok := s.login("acme", "owner")
	s.call("POST", "/admin/v1/integrations", tok, map[string]any{"slug": "catalog", "name": "Catalog", "type": "http", "url": upstream.URL}, 201, nil)
	s.call("POST", "/admin/v1/apis", tok, map[string]any{"slug": "shop", "name": "Shop", "basePath": "/shop"}, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions", tok, map[string]any{"name": "v1"}, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions/v1/endpoints", tok, map[string]any{
		"method": "GET", "path": "/products/{id}",
		"target":   map[string]any{"type": "integration", "integration": "catalog", "path": "/items/{id}"},
		"policies": map[string]any{"auth": map[string]any{"type": "oauth2", "scopes": []string{"products:read"}}},
	}, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions/v1/publish", tok, nil, 200, nil)
	s.call("POST", "/admin/v1/consumers", tok, map[string]any{"slug": "backend", "name": "Backend"}, 201, nil)
	var client struct{ ID, ClientSecret string }
	s.call("POST", "/admin/v1/consumers/backend/clients", tok, map[string]any{"scopes": []string{"products:read"}}, 201, &client)

	form := url.Values{"grant_type": {"client_credentials"}}
	req, _ := http.NewRequest("POST", s.srv.URL+"/t/acme/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(client.ID, client.ClientSecret)
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var token struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&token)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || token.AccessToken == "" {
		t.Fatalf("token endpoint: %d %v", resp.StatusCode, err)
	}
	if got := s.get("/t/acme/v1/shop/products/7", "Bearer "+token.AccessToken); got != 200 {
		t.Fatalf("with the access token: %d", got)
	}
	if got := s.get("/t/acme/v1/shop/products/7", ""); got != 401 {
		t.Fatalf("without: %d", got)
	}
	if got := s.get("/t/acme/.well-known/jwks.json", ""); got != 200 {
		t.Fatalf("jwks: %d", got)
	}
	if got := s.get("/t/nobody/.well-known/jwks.json", ""); got != 404 {
		t.Fatalf("jwks of an unknown tenant: %d", got)
	}
}

// get calls the gateway with an Authorization header and returns the status.
func (s *stack) get(path, authz string) int {
	s.t.Helper()
	req, err := http.NewRequest("GET", s.srv.URL+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
