package catalog_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/integration/ssrf"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
)

// TestJWKSURLCheckedAtSave: with the SSRF guard configured, a trusted
// issuer whose JWKS URL points at loopback, the metadata service or a
// private network is a validation error on /jwksUrl, on create and update.
func TestJWKSURLCheckedAtSave(t *testing.T) {
	c, st := guardedCatalog(t)
	ctx := t.Context()
	pointers := func(err error) []string { t.Helper(); return validationPointers(t, err) }
	issuer := func(u string) *model.JWTIssuer {
		return &model.JWTIssuer{Slug: "idp", Issuer: "https://idp.example.com/", JWKSURL: u, Audiences: []string{"api"}}
	}
	for _, u := range []string{
		"https://169.254.169.254/latest/meta-data",
		"https://127.0.0.1/jwks.json",
		"https://localhost/jwks.json",
		"https://2130706433/jwks.json",
		"https://[::1]/jwks.json",
		"https://10.0.0.8/jwks.json",
		"https://idp.example.com:22/jwks.json",
	} {
		_, err := c.CreateJWTIssuer(ctx, "acme", alice, issuer(u))
		if got := pointers(err); len(got) != 1 || got[0] != "/jwksUrl" {
			t.Errorf("%s: pointers %v, want [/jwksUrl]", u, got)
		}
	}
	good, err := c.CreateJWTIssuer(ctx, "acme", alice, issuer("https://idp.example.com/.well-known/jwks.json"))
	if err != nil {
		t.Fatal(err)
	}
	good.JWKSURL = "https://169.254.169.254/jwks"
	if got := pointers(func() error { _, err := c.UpdateJWTIssuer(ctx, "acme", alice, "idp", good.Revision, good); return err }()); len(got) != 1 || got[0] != "/jwksUrl" {
		t.Errorf("update to metadata address: pointers %v", got)
	}

	// An operator allowlist entry admits exactly that address.
	allowed, err := catalog.New(catalog.Config{Store: st, CheckUpstreamURL: ssrf.New(ssrf.Policy{Allow: []ssrf.Allowed{mustAllow(t, "127.0.0.1:8443")}}).CheckURL})
	if err != nil {
		t.Fatal(err)
	}
	ok := issuer("https://127.0.0.1:8443/jwks.json")
	ok.Slug = "local"
	if _, err := allowed.CreateJWTIssuer(ctx, "acme", alice, ok); err != nil {
		t.Errorf("allowlisted JWKS URL: %v", err)
	}
}

func mustAllow(t *testing.T, s string) ssrf.Allowed {
	t.Helper()
	a, err := ssrf.ParseAllowList(s)
	if err != nil || len(a) != 1 {
		t.Fatalf("allowlist %q: %v", s, err)
	}
	return a[0]
}

// TestStaticJWTKeysCheckedAtSave: an issuer holds exactly one key source,
// and stored keys must fit its algorithm allowlist.
func TestStaticJWTKeysCheckedAtSave(t *testing.T) {
	c, _ := guardedCatalog(t)
	ctx := t.Context()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	doc, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &ec.PublicKey, KeyID: "k1"}}})
	priv, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ec, KeyID: "k1"}}})
	tests := []struct {
		name string
		iss  model.JWTIssuer
		want []string // pointers (the document's own pointer below /keys); nil: saved
	}{
		{"ec key, ES256", model.JWTIssuer{Keys: doc, Algorithms: []string{"ES256"}}, nil},
		{"ec key, default algorithms", model.JWTIssuer{Keys: doc}, nil},
		{"ec key, RS256 only", model.JWTIssuer{Keys: doc, Algorithms: []string{"RS256"}}, []string{"/keys/keys/0/kty"}},
		{"private key", model.JWTIssuer{Keys: priv}, []string{"/keys/keys/0"}},
		{"not a JWKS", model.JWTIssuer{Keys: json.RawMessage(`[1]`)}, []string{"/keys"}},
		{"url and keys", model.JWTIssuer{Keys: doc, JWKSURL: "https://idp.example.com/jwks"}, []string{"/keys"}},
		{"neither", model.JWTIssuer{}, []string{"/jwksUrl"}},
		{"bad algorithm name skips the key check", model.JWTIssuer{Keys: doc, Algorithms: []string{"HS256"}}, []string{"/algorithms/0"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.iss
			v.Slug, v.Issuer, v.Audiences = "idp-"+string(rune('a'+i)), "https://idp.example.com/", []string{"api"}
			_, err := c.CreateJWTIssuer(ctx, "acme", alice, &v)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("create: %v", err)
				}
				return
			}
			var p *problem.Problem
			if !errors.As(err, &p) {
				t.Fatalf("err = %v, want a validation problem", err)
			}
			var got []string
			for _, fe := range p.Errors {
				got = append(got, fe.Pointer)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("pointers %v, want %v", got, tt.want)
			}
		})
	}
}

// TestJWTIntrospectionSecret: the introspection client secret is required,
// write-only (never in the issuer document, reads or the audit trail),
// kept across updates that omit it, and removed with the issuer; the
// introspection URL passes the SSRF guard.
func TestJWTIntrospectionSecret(t *testing.T) {
	c, _ := guardedCatalog(t)
	ctx := t.Context()
	iss := func(u, secret string) *model.JWTIssuer {
		return &model.JWTIssuer{Slug: "opaque", Issuer: "https://idp.example.com/", Audiences: []string{"api"},
			Introspection: &model.Introspection{URL: u, ClientID: "gw", ClientSecret: secret}}
	}
	pointer := func(err error) string {
		t.Helper()
		var p *problem.Problem
		if !errors.As(err, &p) || len(p.Errors) == 0 {
			t.Fatalf("err = %v, want a validation problem", err)
		}
		return p.Errors[0].Pointer
	}
	if _, err := c.CreateJWTIssuer(ctx, "acme", alice, iss("https://169.254.169.254/introspect", "s")); pointer(err) != "/introspection/url" {
		t.Errorf("metadata introspection URL: %v", err)
	}
	if _, err := c.CreateJWTIssuer(ctx, "acme", alice, iss("https://idp.example.com/introspect", "")); pointer(err) != "/introspection/clientSecret" {
		t.Errorf("no secret: %v", err)
	}
	out, err := c.CreateJWTIssuer(ctx, "acme", alice, iss("https://idp.example.com/introspect", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetJWTIssuer(ctx, "acme", "opaque")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []*model.JWTIssuer{out, got} {
		if v.Introspection.ClientSecret != "" || !v.Introspection.HasSecret {
			t.Errorf("issuer document %+v: secret must be out, hasSecret set", v.Introspection)
		}
	}
	if s, err := c.JWTIntrospectionSecret(ctx, "acme", "opaque"); err != nil || s != "s3cret" {
		t.Errorf("secret = %q, %v", s, err)
	}
	upd := iss("https://idp.example.com/introspect2", "")
	if _, err := c.UpdateJWTIssuer(ctx, "acme", alice, "opaque", out.Revision, upd); err != nil {
		t.Fatalf("update keeping the secret: %v", err)
	}
	if s, _ := c.JWTIntrospectionSecret(ctx, "acme", "opaque"); s != "s3cret" {
		t.Errorf("secret after an update without one = %q", s)
	}
	entries, _, err := c.ListAudit(ctx, "acme", catalog.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(string(e.After)+string(e.Before), "s3cret") {
			t.Errorf("audit entry %s %s holds the secret", e.Action, e.Resource)
		}
	}
	cur, _ := c.GetJWTIssuer(ctx, "acme", "opaque")
	if err := c.DeleteJWTIssuer(ctx, "acme", alice, "opaque", cur.Revision); err != nil {
		t.Fatal(err)
	}
	if _, err := c.JWTIntrospectionSecret(ctx, "acme", "opaque"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("secret after delete: %v", err)
	}
}
