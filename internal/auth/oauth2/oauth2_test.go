package oauth2_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/auth/oauth2"
	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/model"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type env struct {
	srv     *oauth2.Server
	clock   time.Time
	secret  string
	revoked string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{clock: now}
	secret, hash := oauth2.GenerateSecret()
	revSecret, revHash := oauth2.GenerateSecret()
	e.secret, e.revoked = secret, revSecret
	clients := map[string]struct {
		c    model.OAuthClient
		hash string
	}{
		"acme/c1":   {model.OAuthClient{ID: "c1", Consumer: "mobile", Scopes: []string{"orders:read", "orders:write"}, Status: model.KeyActive}, hash},
		"acme/c2":   {model.OAuthClient{ID: "c2", Consumer: "mobile", Status: model.KeyRevoked}, revHash},
		"globex/c3": {model.OAuthClient{ID: "c3", Consumer: "web", Status: model.KeyActive}, hash},
	}
	srv, err := oauth2.New(oauth2.Config{
		Key: key,
		Now: func() time.Time { return e.clock },
		Clients: func(_ context.Context, tenant, id string) (*model.OAuthClient, string, error) {
			c, ok := clients[tenant+"/"+id]
			if !ok {
				return nil, "", oauth2.ErrUnknownClient
			}
			cp := c.c
			return &cp, c.hash, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	return e
}

func (e *env) post(tenant string, form url.Values, mut func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/t/"+tenant+oauth2.TokenPath, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if mut != nil {
		mut(r)
	}
	w := httptest.NewRecorder()
	e.srv.ServeTenant(w, r, tenant, oauth2.TokenPath)
	return w
}

func TestTokenEndpoint(t *testing.T) {
	e := newEnv(t)
	grant := url.Values{"grant_type": {"client_credentials"}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range grant {
			v[k] = vs
		}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	basic := func(id, secret string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret)) }
	}
	tests := []struct {
		name   string
		tenant string
		form   url.Values
		mut    func(*http.Request)
		status int
		code   string
	}{
		{"basic", "acme", grant, basic("c1", e.secret), 200, ""},
		{"post", "acme", with("client_id", "c1", "client_secret", e.secret), nil, 200, ""},
		{"narrower scope", "acme", with("client_id", "c1", "client_secret", e.secret, "scope", "orders:read"), nil, 200, ""},
		{"scope not granted", "acme", with("client_id", "c1", "client_secret", e.secret, "scope", "admin"), nil, 400, "invalid_scope"},
		{"wrong secret", "acme", grant, basic("c1", e.secret+"x"), 401, "invalid_client"},
		{"unknown client", "acme", grant, basic("nobody", e.secret), 401, "invalid_client"},
		{"revoked client", "acme", grant, basic("c2", e.revoked), 401, "invalid_client"},
		{"another tenant's client", "acme", grant, basic("c3", e.secret), 401, "invalid_client"},
		{"no client auth", "acme", grant, nil, 400, "invalid_request"},
		{"both auth methods", "acme", with("client_secret", e.secret), basic("c1", e.secret), 400, "invalid_request"},
		{"wrong grant", "acme", url.Values{"grant_type": {"password"}}, basic("c1", e.secret), 400, "unsupported_grant_type"},
		{"repeated parameter", "acme", url.Values{"grant_type": {"client_credentials", "client_credentials"}}, basic("c1", e.secret), 400, "invalid_request"},
		{"JSON body", "acme", grant, func(r *http.Request) { basic("c1", e.secret)(r); r.Header.Set("Content-Type", "application/json") }, 400, "invalid_request"},
		{"secret in the query string", "acme", grant, func(r *http.Request) { r.URL.RawQuery = "client_id=c1&client_secret=" + e.secret }, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.post(tt.tenant, tt.form, tt.mut)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Fatal("token responses must not be cached")
			}
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if tt.code != "" {
				if body["error"] != tt.code {
					t.Fatalf("error = %v, want %s", body["error"], tt.code)
				}
				return
			}
			if body["token_type"] != "Bearer" || body["expires_in"] != float64(600) || body["access_token"] == "" {
				t.Fatalf("body = %v", body)
			}
		})
	}
}

func TestIssuedTokenVerifies(t *testing.T) {
	e := newEnv(t)
	w := e.post("acme", url.Values{"grant_type": {"client_credentials"}, "scope": {"orders:read"}}, func(r *http.Request) { r.SetBasicAuth("c1", e.secret) })
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.AccessToken == "" {
		t.Fatalf("%s: %v", w.Body, err)
	}
	v, err := e.srv.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := v.Verify(ctx, "acme", body.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != caller.OAuth2 || c.Tenant != "acme" || c.Consumer != "mobile" || c.Subject != "c1" || strings.Join(c.Scopes, " ") != "orders:read" {
		t.Fatalf("caller = %+v", c)
	}
	if _, err := v.Verify(ctx, "globex", body.AccessToken); !errors.Is(err, auth.ErrInvalidCredential) {
		t.Fatalf("acme's token on globex: %v", err)
	}
	e.clock = e.clock.Add(10*time.Minute + 6*time.Second)
	if _, err := v.Verify(ctx, "acme", body.AccessToken); !errors.Is(err, auth.ErrInvalidCredential) {
		t.Fatalf("expired token: %v", err)
	}
}

func TestJWKS(t *testing.T) {
	e := newEnv(t)
	w := httptest.NewRecorder()
	e.srv.ServeTenant(w, httptest.NewRequest("GET", "/t/acme"+oauth2.JWKSPath, nil), "acme", oauth2.JWKSPath)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("%s: %v", w.Body, err)
	}
	if k := set.Keys[0]; k["kty"] != "EC" || k["alg"] != "ES256" || k["kid"] == "" || k["d"] != nil {
		t.Fatalf("key = %v", k)
	}
}

func FuzzTokenRequest(f *testing.F) {
	e := newEnv(f)
	f.Add("grant_type=client_credentials&client_id=c1&client_secret="+e.secret, "")
	f.Add("grant_type=client_credentials", "Basic YzE6eA==")
	f.Fuzz(func(t *testing.T, body, authz string) {
		r := httptest.NewRequest("POST", "/t/acme/oauth2/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		w := httptest.NewRecorder()
		e.srv.ServeTenant(w, r, "acme", oauth2.TokenPath)
		if w.Code == 200 && !strings.Contains(body+authz, "c1") && !strings.Contains(authz, "Basic") {
			t.Fatalf("issued a token for %q %q", body, authz)
		}
	})
}
