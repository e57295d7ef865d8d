package identity

import (
	"crypto"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func TestSignerPersistence(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s1, err := LoadOrCreateSigner(dir, testIssuer)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, SignerKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %#o, want 0600", st.Mode().Perm())
	}
	s2, err := LoadOrCreateSigner(dir, testIssuer)
	if err != nil {
		t.Fatal(err)
	}
	if s1.KeyID() == "" || s1.KeyID() != s2.KeyID() {
		t.Fatalf("kid after reload = %q, want %q", s2.KeyID(), s1.KeyID())
	}
	// kid is the RFC 7638 thumbprint of the public key.
	pub := s1.PublicJWKS().Keys[0]
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if b64(tp) != s1.KeyID() || pub.KeyID != s1.KeyID() {
		t.Errorf("kid %q is not the SHA-256 thumbprint %q", s1.KeyID(), b64(tp))
	}
	if !pub.IsPublic() {
		t.Error("PublicJWKS contains a private key")
	}

	// A token from the first instance verifies against the second's keys.
	now := time.Now()
	tok, err := s1.Issue(Principal{Subject: "u", Tenant: "acme", Role: RoleOwner, Email: "u@acme.test"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(VerifierConfig{Issuer: testIssuer, Audience: ConsoleAudience, Keys: StaticKeys(s2.PublicJWKS()),
		Algorithms: []jose.SignatureAlgorithm{jose.ES256}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatalf("Verify(issued token) error = %v", err)
	}
	if p.Subject != "u" || p.Tenant != "acme" || p.Role != RoleOwner || p.Email != "u@acme.test" || p.Issuer != testIssuer {
		t.Errorf("Verify() = %+v", p)
	}

	// The claims the brief promises are all present.
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := parsed.UnsafeClaimsWithoutVerification(&claims); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"iss", "sub", "aud", "iat", "nbf", "exp", "jti", "tenant", "role", "email"} {
		if _, ok := claims[c]; !ok {
			t.Errorf("issued token lacks claim %q", c)
		}
	}
	if h := parsed.Headers[0]; h.KeyID != s1.KeyID() || h.ExtraHeaders["typ"] != "JWT" {
		t.Errorf("header = %+v", h)
	}
}

func TestSignerRefusesLooseKeyFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadOrCreateSigner(dir, testIssuer); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, SignerKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSigner(dir, testIssuer); err == nil {
		t.Fatal("LoadOrCreateSigner accepted a world-readable key file")
	}
}

func TestSignerRefusesGarbage(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, SignerKeyFile), []byte(`{"kty":"oct","k":"c2VjcmV0"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSigner(dir, testIssuer); err == nil {
		t.Fatal("LoadOrCreateSigner accepted a symmetric key")
	}
}

func TestSignerConcurrentCreate(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	kids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, err := LoadOrCreateSigner(dir, testIssuer)
			if err != nil {
				t.Error(err)
				return
			}
			kids[i] = s.KeyID()
		})
	}
	wg.Wait()
	for _, k := range kids {
		if k != kids[0] {
			t.Fatalf("concurrent creators disagree on the key: %q", kids)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data dir holds %d files, want only the key file", len(entries))
	}
}

func TestIssueValidation(t *testing.T) {
	s, err := LoadOrCreateSigner(t.TempDir(), testIssuer)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tests := []struct {
		name string
		p    Principal
		ttl  time.Duration
	}{
		{"no subject", Principal{Tenant: "t", Role: RoleViewer}, time.Hour},
		{"no tenant", Principal{Subject: "s", Role: RoleViewer}, time.Hour},
		{"bad role", Principal{Subject: "s", Tenant: "t", Role: "root"}, time.Hour},
		{"zero ttl", Principal{Subject: "s", Tenant: "t", Role: RoleViewer}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Issue(tt.p, tt.ttl, now); err == nil {
				t.Fatal("Issue() succeeded, want error")
			}
		})
	}
}

func TestJWKSHandler(t *testing.T) {
	s, err := LoadOrCreateSigner(t.TempDir(), testIssuer)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.JWKSHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=300" {
		t.Errorf("Cache-Control = %q", cc)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 || set.Keys[0].KeyID != s.KeyID() || !set.Keys[0].IsPublic() {
		t.Fatalf("served JWKS = %+v", set)
	}
	if _, hasD := jsonMap(t, rec.Body.Bytes())["keys"].([]any)[0].(map[string]any)["d"]; hasD {
		t.Fatal("served JWKS contains the private exponent")
	}

	rec = httptest.NewRecorder()
	s.JWKSHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST status = %d, want 405", rec.Code)
	}
}

func jsonMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
