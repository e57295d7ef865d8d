// Package jwttest is a fake identity provider for tests: an ES256 and an
// RSA key published as a JWKS over TLS, a signer for valid tokens, and
// helpers to forge the hostile ones (alg none, HMAC with the public key,
// key-carrying headers, JSON serialization).
package jwttest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/portico/portico/internal/model"
)

// Key ids of the provider's keys.
const (
	ECKid  = "ec-1"
	RSAKid = "rsa-1"
)

// IdP is a fake identity provider.
type IdP struct {
	// Issuer is the "iss" of its tokens, Audience their "aud".
	Issuer, Audience string
	EC               *ecdsa.PrivateKey
	RSA              *rsa.PrivateKey
	Server           *httptest.Server
	// Fetches counts JWKS requests.
	Fetches atomic.Int64
}

// rsaKey is generated once per test binary (RSA generation is slow).
var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// New starts a provider whose JWKS is served over TLS until the test ends.
func New(tb testing.TB, issuer, audience string) *IdP {
	tb.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	p := &IdP{Issuer: issuer, Audience: audience, EC: ec, RSA: rsaKey()}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &ec.PublicKey, KeyID: ECKid, Algorithm: "ES256", Use: "sig"},
		{Key: &p.RSA.PublicKey, KeyID: RSAKid, Algorithm: "RS256", Use: "sig"},
	}}
	doc, err := json.Marshal(set)
	if err != nil {
		tb.Fatal(err)
	}
	p.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.Fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}))
	tb.Cleanup(p.Server.Close)
	return p
}

// Config returns the model.JWTIssuer trusting this provider.
func (p *IdP) Config(slug string) model.JWTIssuer {
	return model.JWTIssuer{Slug: slug, Issuer: p.Issuer, JWKSURL: p.Server.URL + "/jwks.json", Audiences: []string{p.Audience}, Algorithms: []string{"ES256", "RS256"}}
}

// Client is the HTTP client that trusts the provider's TLS certificate.
func (p *IdP) Client() *http.Client { return p.Server.Client() }

// Claims are the payload of a token; Std fills iss/aud/sub/iat/exp.
type Claims map[string]any

// Std returns standard claims valid at unix time now for one hour.
func (p *IdP) Std(now int64) Claims {
	return Claims{"iss": p.Issuer, "aud": p.Audience, "sub": "user-1", "iat": now, "nbf": now, "exp": now + 3600}
}

func b64(v []byte) string { return base64.RawURLEncoding.EncodeToString(v) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// SignES256 signs claims with the EC key under header (alg, kid and typ
// are filled unless present).
func (p *IdP) SignES256(claims Claims, header map[string]any) string {
	h := map[string]any{"alg": "ES256", "kid": ECKid, "typ": "JWT"}
	for k, v := range header {
		h[k] = v
	}
	signing := b64(mustJSON(h)) + "." + b64(mustJSON(claims))
	sum := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, p.EC, sum[:])
	if err != nil {
		panic(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signing + "." + b64(sig)
}

// SignRS256 signs claims with the RSA key.
func (p *IdP) SignRS256(claims Claims) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: p.RSA, KeyID: RSAKid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		panic(err)
	}
	obj, err := signer.Sign(mustJSON(claims))
	if err != nil {
		panic(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return s
}

// None returns an unsigned token with the given alg spelling ("none", "None", ...).
func None(alg, kid string, claims Claims) string {
	return b64(mustJSON(map[string]any{"alg": alg, "kid": kid})) + "." + b64(mustJSON(claims)) + "."
}

// HS256WithPublicKey forges the classic confusion attack: an HMAC keyed
// with the provider's RSA public key (PKIX DER and PEM-ish bytes).
func (p *IdP) HS256WithPublicKey(claims Claims) string {
	der, err := x509.MarshalPKIXPublicKey(&p.RSA.PublicKey)
	if err != nil {
		panic(err)
	}
	signing := b64(mustJSON(map[string]any{"alg": "HS256", "kid": RSAKid})) + "." + b64(mustJSON(claims))
	m := hmac.New(sha256.New, der)
	m.Write([]byte(signing))
	return signing + "." + b64(m.Sum(nil))
}

// JSONSerialization re-encodes a compact token as the flattened JSON
// serialization.
func JSONSerialization(compact string) string {
	var parts [3]string
	n := 0
	start := 0
	for i := 0; i < len(compact); i++ {
		if compact[i] == '.' && n < 2 {
			parts[n] = compact[start:i]
			n++
			start = i + 1
		}
	}
	parts[2] = compact[start:]
	return string(mustJSON(map[string]string{"protected": parts[0], "payload": parts[1], "signature": parts[2]}))
}
