package identity

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestVerify(t *testing.T) {
	f := newFixture(t)
	attacker, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&f.ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}

	with := func(mod func(h, c map[string]any)) string {
		h, c := f.ecHeader(), f.claims()
		mod(h, c)
		return mint(t, h, c, f.ec)
	}
	valid := with(func(h, c map[string]any) {})
	parts := strings.Split(valid, ".")

	tests := []struct {
		name  string
		token string
		want  Principal // zero: expect ErrInvalidToken
	}{
		{
			name:  "valid ES256",
			token: valid,
			want: Principal{Subject: "user-1", Tenant: "acme", Email: "ada@acme.test", Role: RoleAdmin,
				Issuer: testIssuer, ExpiresAt: f.now.Add(time.Hour)},
		},
		{
			name: "valid RS256",
			token: func() string {
				c := f.claims()
				c["role"] = "viewer"
				delete(c, "email")
				return mint(t, map[string]any{"alg": "RS256", "kid": f.rsaKID}, c, f.rsa)
			}(),
			want: Principal{Subject: "user-1", Tenant: "acme", Role: RoleViewer,
				Issuer: testIssuer, ExpiresAt: f.now.Add(time.Hour)},
		},
		{
			name:  "audience array",
			token: with(func(h, c map[string]any) { c["aud"] = []string{"other", testAudience} }),
			want: Principal{Subject: "user-1", Tenant: "acme", Email: "ada@acme.test", Role: RoleAdmin,
				Issuer: testIssuer, ExpiresAt: f.now.Add(time.Hour)},
		},
		{
			name:  "expired within leeway",
			token: with(func(h, c map[string]any) { c["exp"] = f.now.Add(-10 * time.Second).Unix() }),
			want: Principal{Subject: "user-1", Tenant: "acme", Email: "ada@acme.test", Role: RoleAdmin,
				Issuer: testIssuer, ExpiresAt: f.now.Add(-10 * time.Second)},
		},
		{name: "expired", token: with(func(h, c map[string]any) { c["exp"] = f.now.Add(-time.Minute).Unix() })},
		{name: "no exp", token: with(func(h, c map[string]any) { delete(c, "exp") })},
		{name: "not yet valid", token: with(func(h, c map[string]any) { c["nbf"] = f.now.Add(time.Minute).Unix() })},
		{name: "issued in the future", token: with(func(h, c map[string]any) { c["iat"] = f.now.Add(time.Minute).Unix() })},
		{name: "wrong issuer", token: with(func(h, c map[string]any) { c["iss"] = "https://evil.test" })},
		{name: "no issuer", token: with(func(h, c map[string]any) { delete(c, "iss") })},
		{name: "wrong audience", token: with(func(h, c map[string]any) { c["aud"] = "someone-else" })},
		{name: "no audience", token: with(func(h, c map[string]any) { delete(c, "aud") })},
		{name: "no subject", token: with(func(h, c map[string]any) { delete(c, "sub") })},
		{name: "missing tenant", token: with(func(h, c map[string]any) { delete(c, "tenant") })},
		{name: "empty tenant", token: with(func(h, c map[string]any) { c["tenant"] = "" })},
		{name: "tenant not a string", token: with(func(h, c map[string]any) { c["tenant"] = 42 })},
		{name: "missing role", token: with(func(h, c map[string]any) { delete(c, "role") })},
		{name: "bad role", token: with(func(h, c map[string]any) { c["role"] = "root" })},
		{name: "role wrong case", token: with(func(h, c map[string]any) { c["role"] = "Owner" })},
		{name: "email not a string", token: with(func(h, c map[string]any) { c["email"] = true })},
		{
			name:  "HS256 signed with the public key bytes",
			token: mint(t, map[string]any{"alg": "HS256", "kid": f.ecKID}, f.claims(), pubDER),
		},
		{
			name:  "alg none",
			token: mint(t, map[string]any{"alg": "none", "kid": f.ecKID}, f.claims(), nil),
		},
		{
			name:  "ES256 token naming the RSA key",
			token: mint(t, map[string]any{"alg": "ES256", "kid": f.rsaKID}, f.claims(), f.ec),
		},
		{
			name:  "RS256 token naming the EC key",
			token: mint(t, map[string]any{"alg": "RS256", "kid": f.ecKID}, f.claims(), f.rsa),
		},
		{
			name:  "ES384 not allowed",
			token: with(func(h, c map[string]any) { h["alg"] = "ES384" }),
		},
		{name: "unknown kid", token: with(func(h, c map[string]any) { h["kid"] = "nope" })},
		{name: "no kid", token: with(func(h, c map[string]any) { delete(h, "kid") })},
		{name: "signed by another key", token: mint(t, f.ecHeader(), f.claims(), attacker)},
		{
			name: "tampered payload",
			token: parts[0] + "." + b64JSON(t, func() map[string]any {
				c := f.claims()
				c["role"] = "owner"
				return c
			}()) + "." + parts[2],
		},
		{name: "tampered signature", token: parts[0] + "." + parts[1] + "." + b64(make([]byte, 64))},
		{
			name: "embedded jwk header (attacker key)",
			token: func() string {
				h := f.ecHeader()
				h["jwk"] = jose.JSONWebKey{Key: &attacker.PublicKey}
				return mint(t, h, f.claims(), attacker)
			}(),
		},
		{
			name:  "embedded jwk header (valid signature)",
			token: with(func(h, c map[string]any) { h["jwk"] = jose.JSONWebKey{Key: &f.ec.PublicKey} }),
		},
		{name: "jku header", token: with(func(h, c map[string]any) { h["jku"] = "https://evil.test/jwks" })},
		{name: "x5u header", token: with(func(h, c map[string]any) { h["x5u"] = "https://evil.test/cert" })},
		{name: "x5c header", token: with(func(h, c map[string]any) { h["x5c"] = []string{"MIIB"} })},
		{name: "crit header", token: with(func(h, c map[string]any) { h["crit"] = []string{"exp"}; h["exp"] = 1 })},
		{name: "crit b64", token: with(func(h, c map[string]any) { h["crit"] = []string{"b64"}; h["b64"] = true })},
		{
			name:  "oversize",
			token: with(func(h, c map[string]any) { c["pad"] = strings.Repeat("x", MaxTokenSize) }),
		},
		{name: "JSON serialization", token: `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`},
		{name: "empty", token: ""},
		{name: "two segments", token: parts[0] + "." + parts[1]},
		{name: "four segments", token: valid + ".x"},
		{name: "header not JSON", token: b64([]byte("nope")) + "." + parts[1] + "." + parts[2]},
		{name: "header not base64", token: "!!!." + parts[1] + "." + parts[2]},
		{name: "payload not JSON", token: mintRaw(t, f, "not json")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.verifier.Verify(t.Context(), tt.token)
			if tt.want == (Principal{}) {
				if err == nil {
					t.Fatalf("Verify() = %+v, want error", got)
				}
				t.Log(err)
				if !errors.Is(err, ErrInvalidToken) {
					t.Fatalf("Verify() error = %v, want ErrInvalidToken", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify() error = %v", err)
			}
			if !got.ExpiresAt.Equal(tt.want.ExpiresAt) {
				t.Errorf("ExpiresAt = %v, want %v", got.ExpiresAt, tt.want.ExpiresAt)
			}
			got.ExpiresAt, tt.want.ExpiresAt = time.Time{}, time.Time{}
			if got != tt.want {
				t.Errorf("Verify() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// mintRaw signs an arbitrary payload string with the fixture's EC key.
func mintRaw(t *testing.T, f *fixture, payload string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: f.ec, KeyID: f.ecKID}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyCustomClaimNames(t *testing.T) {
	f := newFixture(t)
	v, err := NewVerifier(VerifierConfig{
		Issuer: testIssuer, Audience: testAudience,
		Keys:        StaticKeys(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.ec.PublicKey, KeyID: f.ecKID}}}),
		Now:         func() time.Time { return f.now },
		TenantClaim: "custom:tenant", RoleClaim: "custom:role", EmailClaim: "email",
	})
	if err != nil {
		t.Fatal(err)
	}
	c := f.claims()
	delete(c, "tenant")
	delete(c, "role")
	c["custom:tenant"], c["custom:role"] = "globex", "owner"
	p, err := v.Verify(t.Context(), mint(t, f.ecHeader(), c, f.ec))
	if err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
	if p.Tenant != "globex" || p.Role != RoleOwner {
		t.Errorf("Verify() = %+v, want tenant globex, role owner", p)
	}
}

type failingKeys struct{ err error }

func (f failingKeys) Keys(context.Context, string) ([]jose.JSONWebKey, error) { return nil, f.err }

func TestVerifyKeySourceError(t *testing.T) {
	f := newFixture(t)
	boom := errors.New("jwks down")
	v, err := NewVerifier(VerifierConfig{Issuer: testIssuer, Audience: testAudience, Keys: failingKeys{boom}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(t.Context(), mint(t, f.ecHeader(), f.claims(), f.ec))
	if !errors.Is(err, boom) {
		t.Fatalf("Verify() error = %v, want the key source's error", err)
	}
	if errors.Is(err, ErrInvalidToken) {
		t.Fatalf("Verify() error = %v: a key source failure is not an invalid token", err)
	}
}

func TestNewVerifierConfig(t *testing.T) {
	keys := StaticKeys(jose.JSONWebKeySet{})
	tests := []struct {
		name string
		cfg  VerifierConfig
		ok   bool
	}{
		{"defaults", VerifierConfig{Issuer: "i", Audience: "a", Keys: keys}, true},
		{"no issuer", VerifierConfig{Audience: "a", Keys: keys}, false},
		{"no audience", VerifierConfig{Issuer: "i", Keys: keys}, false},
		{"no keys", VerifierConfig{Issuer: "i", Audience: "a"}, false},
		{"HS256", VerifierConfig{Issuer: "i", Audience: "a", Keys: keys, Algorithms: []jose.SignatureAlgorithm{jose.HS256}}, false},
		{"none", VerifierConfig{Issuer: "i", Audience: "a", Keys: keys, Algorithms: []jose.SignatureAlgorithm{"none"}}, false},
		{"EdDSA", VerifierConfig{Issuer: "i", Audience: "a", Keys: keys, Algorithms: []jose.SignatureAlgorithm{jose.EdDSA}}, true},
		{"negative leeway", VerifierConfig{Issuer: "i", Audience: "a", Keys: keys, Leeway: -time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewVerifier(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("NewVerifier() error = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestStaticKeysDropsSymmetricAndPrivate(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ks := StaticKeys(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: []byte("secret"), KeyID: "k"},
		{Key: ec, KeyID: "k"},
	}})
	got, err := ks.Keys(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("Keys() returned %d keys, want 1", len(got))
	}
	if _, ok := got[0].Key.(*ecdsa.PublicKey); !ok {
		t.Fatalf("Keys()[0] is %T, want *ecdsa.PublicKey", got[0].Key)
	}
}
