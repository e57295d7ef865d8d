package jwtauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/auth/introspect"
	"github.com/portico/portico/internal/auth/jwtauth"
	"github.com/portico/portico/internal/model"
)

// TestOpaqueTokens: an opaque bearer token is checked with the tenant's
// introspection issuer; answers are cached (a hit makes no call, and no
// secret read), active:false and mismatched claims are 401s, an
// unreachable endpoint is not.
func TestOpaqueTokens(t *testing.T) {
	var calls, secretReads atomic.Int64
	exp := time.Now().Add(time.Hour).Unix()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if id, secret, _ := r.BasicAuth(); id != "gw" || secret != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_ = r.ParseForm()
		answer := map[string]any{"active": false}
		switch r.PostForm.Get("token") {
		case "opaque-good":
			answer = map[string]any{"active": true, "sub": "user-7", "scope": "orders:read orders:write", "exp": exp, "aud": "orders-api", "iss": "https://idp.acme.test"}
		case "opaque-foreign-aud":
			answer = map[string]any{"active": true, "sub": "user-7", "exp": exp, "aud": "billing-api"}
		case "opaque-expired":
			answer = map[string]any{"active": true, "sub": "user-7", "exp": time.Now().Add(-time.Hour).Unix()}
		case "opaque-down":
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		_ = json.NewEncoder(w).Encode(answer)
	}))
	t.Cleanup(srv.Close)
	iss := model.JWTIssuer{Slug: "opaque", Issuer: "https://idp.acme.test", Audiences: []string{"orders-api"}, Meta: model.Meta{Revision: 1},
		Introspection: &model.Introspection{URL: srv.URL, ClientID: "gw", CacheSeconds: 300}}
	v, err := jwtauth.New(jwtauth.Config{
		Issuers: func(_ context.Context, tenant string) ([]model.JWTIssuer, error) {
			if tenant != "acme" {
				return nil, nil
			}
			return []model.JWTIssuer{iss}, nil
		},
		Introspector: introspect.New(introspect.Config{Client: srv.Client()}),
		IntrospectionSecret: func(_ context.Context, tenant, slug string) (string, error) {
			secretReads.Add(1)
			return "s3cret", nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	verify := func(tenant, tok string) (int64, error) {
		before := calls.Load()
		_, err := v.Verify(t.Context(), tenant, tok)
		return calls.Load() - before, err
	}

	c, err := v.Verify(t.Context(), "acme", "opaque-good")
	if err != nil || c.Subject != "user-7" || len(c.Scopes) != 2 || c.Tenant != "acme" {
		t.Fatalf("good token: %+v, %v", c, err)
	}
	for range 3 {
		if n, err := verify("acme", "opaque-good"); err != nil || n != 0 {
			t.Errorf("cache hit: %d calls, %v", n, err)
		}
	}
	if n := secretReads.Load(); n != 1 {
		t.Errorf("secret reads = %d, want 1", n)
	}
	for _, tok := range []string{"opaque-unknown", "opaque-foreign-aud", "opaque-expired"} {
		if n, err := verify("acme", tok); !errors.Is(err, auth.ErrInvalidCredential) || n != 1 {
			t.Errorf("%s: %v after %d calls, want ErrInvalidCredential after 1", tok, err, n)
		}
		if n, _ := verify("acme", tok); n != 0 && tok != "opaque-expired" { // cached until min(exp, TTL): exp passed
			t.Errorf("%s again: %d calls, want 0 (cached)", tok, n)
		}
	}
	if _, err := verify("acme", "opaque-down"); err == nil || errors.Is(err, auth.ErrInvalidCredential) || !errors.Is(err, introspect.ErrUnavailable) {
		t.Errorf("unreachable endpoint: %v, want ErrUnavailable (503), not 401", err)
	}
	// Another tenant without an introspection issuer: 401, no call.
	if n, err := verify("globex", "opaque-good"); !errors.Is(err, auth.ErrInvalidCredential) || n != 0 {
		t.Errorf("other tenant: %v after %d calls", err, n)
	}
}
