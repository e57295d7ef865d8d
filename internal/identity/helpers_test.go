package identity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// fakeClock is an injectable clock advanced by tests (no sleeps).
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64JSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64(b)
}

// mint builds a compact JWS by hand so tests can produce tokens go-jose's
// builder refuses to (odd headers, wrong algorithms). key is an
// *ecdsa.PrivateKey (ES256), *rsa.PrivateKey (RS256) or []byte (HS256);
// the header's alg must be set by the caller.
func mint(t testing.TB, header, claims map[string]any, key any) string {
	t.Helper()
	signing := b64JSON(t, header) + "." + b64JSON(t, claims)
	digest := sha256.Sum256([]byte(signing))
	var sig []byte
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	case *rsa.PrivateKey:
		var err error
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
		if err != nil {
			t.Fatal(err)
		}
	case []byte:
		m := hmac.New(sha256.New, k)
		m.Write([]byte(signing))
		sig = m.Sum(nil)
	case nil:
	default:
		t.Fatalf("mint: unsupported key %T", key)
	}
	return signing + "." + b64(sig)
}

// fixture is a verifier over an EC and an RSA key, with a fixed clock.
type fixture struct {
	now      time.Time
	ec       *ecdsa.PrivateKey
	ecKID    string
	rsa      *rsa.PrivateKey
	rsaKID   string
	verifier *Verifier
}

const (
	testIssuer   = "https://login.portico.test"
	testAudience = "portico-console"
)

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC),
		ec:  ec, ecKID: "ec-1",
		rsa: rk, rsaKID: "rsa-1",
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &ec.PublicKey, KeyID: f.ecKID, Algorithm: string(jose.ES256), Use: "sig"},
		{Key: &rk.PublicKey, KeyID: f.rsaKID, Use: "sig"},
	}}
	f.verifier, err = NewVerifier(VerifierConfig{
		Issuer:   testIssuer,
		Audience: testAudience,
		Keys:     StaticKeys(set),
		Now:      func() time.Time { return f.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) claims() map[string]any {
	return map[string]any{
		"iss":    testIssuer,
		"sub":    "user-1",
		"aud":    testAudience,
		"iat":    f.now.Add(-time.Minute).Unix(),
		"nbf":    f.now.Add(-time.Minute).Unix(),
		"exp":    f.now.Add(time.Hour).Unix(),
		"tenant": "acme",
		"role":   "admin",
		"email":  "ada@acme.test",
	}
}

func (f *fixture) ecHeader() map[string]any {
	return map[string]any{"alg": "ES256", "typ": "JWT", "kid": f.ecKID}
}
