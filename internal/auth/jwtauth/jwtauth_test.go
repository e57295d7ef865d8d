package jwtauth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/auth/jwtauth"
	"github.com/portico/portico/internal/auth/jwtauth/jwttest"
	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/model"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type env struct {
	v       *jwtauth.Verifier
	idp     *jwttest.IdP
	other   *jwttest.IdP // trusted by globex only
	clock   atomic.Int64
	issuers atomic.Int64
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{idp: jwttest.New(t, "https://idp.acme.test", "orders-api")}
	e.other = jwttest.New(t, "https://idp.globex.test", "orders-api")
	e.clock.Store(now.Unix())
	cfgs := map[string][]model.JWTIssuer{
		"acme":   {e.idp.Config("main")},
		"globex": {e.other.Config("main")},
	}
	v, err := jwtauth.New(jwtauth.Config{
		Issuers: func(_ context.Context, tenant string) ([]model.JWTIssuer, error) {
			e.issuers.Add(1)
			return cfgs[tenant], nil
		},
		Client: e.idp.Client(), // trusts httptest's certificate (both servers share it)
		Now:    func() time.Time { return time.Unix(e.clock.Load(), 0) },
	})
	if err != nil {
		t.Fatal(err)
	}
	e.v = v
	return e
}

// Cases is the JWT part of the security suite, shared with the
// gateway's end-to-end run of the same tokens.
func TestSecuritySuite(t *testing.T) {
	e := newEnv(t)
	p := e.idp
	n := now.Unix()
	std := func(mut func(jwttest.Claims)) jwttest.Claims {
		c := p.Std(n)
		if mut != nil {
			mut(c)
		}
		return c
	}
	big := strings.Repeat("A", 1<<20)
	tests := []struct {
		name  string
		token string
		want  error // nil: accepted
	}{
		{"valid ES256", p.SignES256(std(nil), nil), nil},
		{"valid RS256", p.SignRS256(std(nil)), nil},
		{"alg none", jwttest.None("none", jwttest.ECKid, std(nil)), auth.ErrInvalidCredential},
		{"alg None", jwttest.None("None", jwttest.ECKid, std(nil)), auth.ErrInvalidCredential},
		{"alg nOnE", jwttest.None("nOnE", jwttest.ECKid, std(nil)), auth.ErrInvalidCredential},
		{"HS256 with the RSA public key", p.HS256WithPublicKey(std(nil)), auth.ErrInvalidCredential},
		{"unknown kid", p.SignES256(std(nil), map[string]any{"kid": "nope"}), auth.ErrInvalidCredential},
		{"path-like kid", p.SignES256(std(nil), map[string]any{"kid": "../../../../dev/null"}), auth.ErrInvalidCredential},
		{"no kid", p.SignES256(std(nil), map[string]any{"kid": ""}), auth.ErrInvalidCredential},
		{"jku header", p.SignES256(std(nil), map[string]any{"jku": "https://evil.test/jwks"}), auth.ErrInvalidCredential},
		{"x5u header", p.SignES256(std(nil), map[string]any{"x5u": "https://evil.test/cert"}), auth.ErrInvalidCredential},
		{"jwk header", p.SignES256(std(nil), map[string]any{"jwk": map[string]any{"kty": "EC"}}), auth.ErrInvalidCredential},
		{"x5c header", p.SignES256(std(nil), map[string]any{"x5c": []string{"MIIB"}}), auth.ErrInvalidCredential},
		{"crit unknown", p.SignES256(std(nil), map[string]any{"crit": []string{"exp-ext"}, "exp-ext": 1}), auth.ErrInvalidCredential},
		{"RS256 alg on the EC kid", p.SignES256(std(nil), map[string]any{"alg": "RS256"}), auth.ErrInvalidCredential},
		{"expired", p.SignES256(std(func(c jwttest.Claims) { c["exp"] = n - 31 }), nil), auth.ErrInvalidCredential},
		{"expired within the leeway", p.SignES256(std(func(c jwttest.Claims) { c["exp"] = n - 30 }), nil), nil},
		{"not yet valid", p.SignES256(std(func(c jwttest.Claims) { c["nbf"] = n + 31 }), nil), auth.ErrInvalidCredential},
		{"nbf exactly at the leeway", p.SignES256(std(func(c jwttest.Claims) { c["nbf"] = n + 30 }), nil), nil},
		{"iat in the future", p.SignES256(std(func(c jwttest.Claims) { c["iat"] = n + 31 }), nil), auth.ErrInvalidCredential},
		{"iat exactly at the leeway", p.SignES256(std(func(c jwttest.Claims) { c["iat"] = n + 30 }), nil), nil},
		{"missing exp", p.SignES256(std(func(c jwttest.Claims) { delete(c, "exp") }), nil), auth.ErrInvalidCredential},
		{"missing sub", p.SignES256(std(func(c jwttest.Claims) { delete(c, "sub") }), nil), auth.ErrInvalidCredential},
		{"wrong aud", p.SignES256(std(func(c jwttest.Claims) { c["aud"] = "billing-api" }), nil), auth.ErrInvalidCredential},
		{"wrong aud array", p.SignES256(std(func(c jwttest.Claims) { c["aud"] = []string{"billing-api", "x"} }), nil), auth.ErrInvalidCredential},
		{"aud array containing ours", p.SignES256(std(func(c jwttest.Claims) { c["aud"] = []string{"billing-api", "orders-api"} }), nil), nil},
		{"missing aud", p.SignES256(std(func(c jwttest.Claims) { delete(c, "aud") }), nil), auth.ErrInvalidCredential},
		{"wrong iss", p.SignES256(std(func(c jwttest.Claims) { c["iss"] = "https://evil.test" }), nil), auth.ErrInvalidCredential},
		{"iss with trailing slash", p.SignES256(std(func(c jwttest.Claims) { c["iss"] = p.Issuer + "/" }), nil), auth.ErrInvalidCredential},
		{"another tenant's valid token", e.other.SignES256(e.other.Std(n), nil), auth.ErrInvalidCredential},
		{"our iss signed by another provider", e.other.SignES256(std(nil), nil), auth.ErrInvalidCredential},
		{"JSON serialization", jwttest.JSONSerialization(p.SignES256(std(nil), nil)), auth.ErrInvalidCredential},
		{"tampered payload", tamper(p.SignES256(std(nil), nil)), auth.ErrInvalidCredential},
		{"garbage", "not.a.jwt", auth.ErrInvalidCredential},
		{"1 MiB token", big + "." + big + "." + big, auth.ErrInvalidCredential},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := e.v.Verify(context.Background(), "acme", tt.token)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("rejected a valid token: %v", err)
				}
				if c.Tenant != "acme" || c.Kind != caller.JWT || c.Subject != "user-1" {
					t.Fatalf("caller = %+v", c)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	// Tokens with made-up kids cannot make the verifier hammer the JWKS:
	// one fetch to start, at most one refetch per minute.
	if f := p.Fetches.Load(); f > 2 {
		t.Errorf("JWKS fetched %d times", f)
	}
}

func tamper(tok string) string {
	parts := strings.SplitN(tok, ".", 3)
	parts[1] = strings.TrimRight(parts[1], "Q") + "Q"
	return strings.Join(parts, ".")
}

func TestClaimsMapping(t *testing.T) {
	e := newEnv(t)
	n := now.Unix()
	tests := []struct {
		name   string
		extra  jwttest.Claims
		scopes []string
		roles  []string
	}{
		{"scope string", jwttest.Claims{"scope": "orders:read orders:write"}, []string{"orders:read", "orders:write"}, nil},
		{"scope array", jwttest.Claims{"scope": []string{"a", "b"}}, []string{"a", "b"}, nil},
		{"scp", jwttest.Claims{"scp": []string{"a"}}, []string{"a"}, nil},
		{"roles", jwttest.Claims{"roles": []string{"admin"}}, nil, []string{"admin"}},
		{"wrong types ignored", jwttest.Claims{"scope": 42, "roles": map[string]any{}}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.idp.Std(n)
			for k, v := range tt.extra {
				c[k] = v
			}
			got, err := e.v.Verify(context.Background(), "acme", e.idp.SignES256(c, nil))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got.Scopes, " ") != strings.Join(tt.scopes, " ") || strings.Join(got.Roles, " ") != strings.Join(tt.roles, " ") {
				t.Fatalf("scopes %v roles %v", got.Scopes, got.Roles)
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		name string
		h    http.Header
		want error
	}{
		{"bearer", http.Header{"Authorization": {"Bearer a.b.c"}}, nil},
		{"lower-case", http.Header{"Authorization": {"bearer a.b.c"}}, nil},
		{"none", http.Header{}, auth.ErrNoCredential},
		{"basic", http.Header{"Authorization": {"Basic eDp5"}}, auth.ErrNoCredential},
		{"duplicate", http.Header{"Authorization": {"Bearer a.b.c", "Bearer d.e.f"}}, auth.ErrAmbiguous},
		{"empty", http.Header{"Authorization": {"Bearer  "}}, auth.ErrInvalidCredential},
		{"oversized", http.Header{"Authorization": {"Bearer " + strings.Repeat("a", 9000)}}, auth.ErrInvalidCredential},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwtauth.BearerToken(tt.h)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestIssuersCached(t *testing.T) {
	e := newEnv(t)
	tok := e.idp.SignES256(e.idp.Std(now.Unix()), nil)
	for range 10 {
		if _, err := e.v.Verify(context.Background(), "acme", tok); err != nil {
			t.Fatal(err)
		}
	}
	if e.issuers.Load() != 1 || e.idp.Fetches.Load() != 1 {
		t.Fatalf("issuer loads %d, JWKS fetches %d; want 1 and 1", e.issuers.Load(), e.idp.Fetches.Load())
	}
}

func FuzzVerify(f *testing.F) {
	e := newEnv(f)
	f.Add(e.idp.SignES256(e.idp.Std(now.Unix()), nil))
	f.Add(jwttest.None("none", "ec-1", e.idp.Std(now.Unix())))
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := e.v.Verify(context.Background(), "acme", tok)
		if err == nil && (c == nil || c.Tenant != "acme") {
			t.Fatalf("accepted %q as %+v", tok, c)
		}
	})
}
