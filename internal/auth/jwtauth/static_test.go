package jwtauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/auth/jwtauth"
	"github.com/portico/portico/internal/auth/jwtauth/jwttest"
	"github.com/portico/portico/internal/model"
)

// TestStaticKeys: an issuer with a stored JWKS document verifies tokens
// without any fetch, still under its algorithm allowlist, and picks up a
// new document with the issuer's next revision.
func TestStaticKeys(t *testing.T) {
	p := jwttest.New(t, "https://idp.static.test", "orders-api")
	doc, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.EC.PublicKey, KeyID: jwttest.ECKid, Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	iss := p.Config("static")
	iss.JWKSURL, iss.Keys, iss.Algorithms, iss.Revision = "", doc, []string{"ES256"}, 1
	cur := iss
	v, err := jwtauth.New(jwtauth.Config{
		Issuers:   func(context.Context, string) ([]model.JWTIssuer, error) { return []model.JWTIssuer{cur}, nil },
		IssuerTTL: time.Nanosecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	if c, err := v.Verify(t.Context(), "acme", p.SignES256(p.Std(now), nil)); err != nil || c.Subject != "user-1" {
		t.Fatalf("ES256 with a static key: %v, %v", c, err)
	}
	if _, err := v.Verify(t.Context(), "acme", p.SignRS256(p.Std(now))); !errors.Is(err, auth.ErrInvalidCredential) {
		t.Errorf("RS256 (kid not in the static set): %v, want ErrInvalidCredential", err)
	}
	if _, err := v.Verify(t.Context(), "acme", p.HS256WithPublicKey(p.Std(now))); !errors.Is(err, auth.ErrInvalidCredential) {
		t.Errorf("HS256: %v, want ErrInvalidCredential", err)
	}
	if n := p.Fetches.Load(); n != 0 {
		t.Errorf("JWKS fetches = %d, want 0", n)
	}

	// Revision 2 holds a different key: the old one stops verifying.
	other := jwttest.New(t, p.Issuer, p.Audience)
	doc2, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &other.EC.PublicKey, KeyID: jwttest.ECKid}}})
	next := iss
	next.Keys, next.Revision = doc2, 2
	cur = next
	if _, err := v.Verify(t.Context(), "acme", p.SignES256(p.Std(now), nil)); !errors.Is(err, auth.ErrInvalidCredential) {
		t.Errorf("old key after the update: %v, want ErrInvalidCredential", err)
	}
	if _, err := v.Verify(t.Context(), "acme", other.SignES256(other.Std(now), nil)); err != nil {
		t.Errorf("new key after the update: %v", err)
	}
}
