package identity

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// jwksServer is a TLS httptest server serving a mutable JWKS and counting
// fetches.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int32

	mu     sync.Mutex
	body   []byte
	status int
}

func newJWKSServer(t *testing.T, set jose.JSONWebKeySet) *jwksServer {
	t.Helper()
	s := &jwksServer{status: http.StatusOK}
	s.setKeys(t, set)
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		status, body := s.status, s.body
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setKeys(t *testing.T, set jose.JSONWebKeySet) {
	t.Helper()
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	s.setRaw(http.StatusOK, b)
}

func (s *jwksServer) setRaw(status int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func ecJWK(t *testing.T, kid string) jose.JSONWebKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"}
}

func newRemote(t *testing.T, srv *jwksServer, clock *fakeClock, mod func(*RemoteJWKSConfig)) *RemoteJWKS {
	t.Helper()
	cfg := RemoteJWKSConfig{URL: srv.URL + "/jwks.json", Client: srv.Client(), Now: clock.Now}
	if mod != nil {
		mod(&cfg)
	}
	r, err := NewRemoteJWKS(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wantKeys(t *testing.T, r *RemoteJWKS, kid string, n int) {
	t.Helper()
	keys, err := r.Keys(t.Context(), kid)
	if err != nil {
		t.Fatalf("Keys(%q) error = %v", kid, err)
	}
	if len(keys) != n {
		t.Fatalf("Keys(%q) returned %d keys, want %d", kid, len(keys), n)
	}
}

func wantFetches(t *testing.T, srv *jwksServer, n int32) {
	t.Helper()
	if got := srv.fetches.Load(); got != n {
		t.Fatalf("fetches = %d, want %d", got, n)
	}
}

func TestRemoteJWKSCachesAndRefetches(t *testing.T) {
	k1, k2 := ecJWK(t, "k1"), ecJWK(t, "k2")
	srv := newJWKSServer(t, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k1}})
	clock := newFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	r := newRemote(t, srv, clock, nil)

	wantKeys(t, r, "k1", 1)
	wantKeys(t, r, "k1", 1)
	wantFetches(t, srv, 1) // cached

	wantKeys(t, r, "k2", 0)
	wantFetches(t, srv, 1) // unknown kid within MinRefresh of the first fetch: no refetch

	clock.Advance(time.Minute)
	srv.setKeys(t, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k1, k2}}) // rotation
	wantKeys(t, r, "k2", 1)
	wantFetches(t, srv, 2) // unknown kid after MinRefresh: one refetch finds the new key

	for range 10 {
		wantKeys(t, r, "forged", 0)
	}
	wantFetches(t, srv, 2) // a flood of made-up kids causes no fetches within MinRefresh

	clock.Advance(59 * time.Second)
	wantKeys(t, r, "forged", 0)
	wantFetches(t, srv, 2)
	clock.Advance(time.Second)
	wantKeys(t, r, "forged", 0)
	wantKeys(t, r, "forged", 0)
	wantFetches(t, srv, 3) // at most one refetch per MinRefresh

	wantKeys(t, r, "k1", 1)
	wantFetches(t, srv, 3) // known kids keep coming from the cache
}

func TestRemoteJWKSMaxAge(t *testing.T) {
	srv := newJWKSServer(t, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{ecJWK(t, "k1")}})
	clock := newFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	r := newRemote(t, srv, clock, func(c *RemoteJWKSConfig) { c.MaxAge = 10 * time.Minute })

	wantKeys(t, r, "k1", 1)
	clock.Advance(10 * time.Minute)
	wantKeys(t, r, "k1", 1)
	wantFetches(t, srv, 2) // expired set is refetched

	// The provider fails: the stale set keeps serving.
	srv.setRaw(http.StatusInternalServerError, []byte("oops"))
	clock.Advance(10 * time.Minute)
	wantKeys(t, r, "k1", 1)
	wantFetches(t, srv, 3)
	wantKeys(t, r, "k1", 1)
	wantFetches(t, srv, 3) // and the failure is throttled too
}

func TestRemoteJWKSBadResponses(t *testing.T) {
	big := `{"keys":[],"pad":"` + strings.Repeat("x", 1<<20) + `"}`
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"non-200", http.StatusNotFound, `{"keys":[]}`},
		{"redirect", http.StatusFound, ``},
		{"oversize", http.StatusOK, big},
		{"not JSON", http.StatusOK, `<html>`},
		{"no usable keys", http.StatusOK, `{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"h"}]}`},
		{"encryption key only", http.StatusOK, func() string {
			k := ecJWK(t, "enc")
			k.Use, k.Algorithm = "enc", ""
			b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k}})
			return string(b)
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newJWKSServer(t, jose.JSONWebKeySet{})
			srv.setRaw(tt.status, []byte(tt.body))
			clock := newFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			r := newRemote(t, srv, clock, nil)
			_, err := r.Keys(t.Context(), "k1")
			if !errors.Is(err, ErrJWKSFetch) {
				t.Fatalf("Keys() error = %v, want ErrJWKSFetch", err)
			}
			// Failures are throttled as well: no hammering a broken provider.
			_, err = r.Keys(t.Context(), "k1")
			if !errors.Is(err, ErrJWKSFetch) {
				t.Fatalf("second Keys() error = %v, want ErrJWKSFetch", err)
			}
			wantFetches(t, srv, 1)
		})
	}
}

func TestRemoteJWKSSkipsOddKeys(t *testing.T) {
	good := ecJWK(t, "good")
	b, _ := json.Marshal(good)
	body := `{"keys":[{"kty":"weird","kid":"x"},{"kty":"oct","k":"c2VjcmV0","kid":"good"},` + string(b) + `]}`
	srv := newJWKSServer(t, jose.JSONWebKeySet{})
	srv.setRaw(http.StatusOK, []byte(body))
	r := newRemote(t, srv, newFakeClock(time.Now()), nil)
	wantKeys(t, r, "good", 1)
	wantKeys(t, r, "x", 0)
}

func TestNewRemoteJWKSConfig(t *testing.T) {
	for _, u := range []string{"", "http://idp.test/jwks.json", "/jwks.json", "https://"} {
		if _, err := NewRemoteJWKS(RemoteJWKSConfig{URL: u}); err == nil {
			t.Errorf("NewRemoteJWKS(%q) succeeded, want error", u)
		}
	}
}

func TestVerifyWithRemoteJWKS(t *testing.T) {
	s, err := LoadOrCreateSigner(t.TempDir(), testIssuer)
	if err != nil {
		t.Fatal(err)
	}
	var fetches atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		s.JWKSHandler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	clock := newFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	remote, err := NewRemoteJWKS(RemoteJWKSConfig{URL: srv.URL, Client: srv.Client(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(VerifierConfig{Issuer: testIssuer, Audience: ConsoleAudience, Keys: remote, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Issue(Principal{Subject: "u", Tenant: "acme", Role: RoleDeveloper}, time.Hour, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := v.Verify(t.Context(), tok); err != nil {
			t.Fatalf("Verify() error = %v", err)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("fetches = %d, want 1", n)
	}
}

func TestRemoteJWKSConcurrentCallersShareFetch(t *testing.T) {
	srv := newJWKSServer(t, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{ecJWK(t, "k1")}})
	r := newRemote(t, srv, newFakeClock(time.Now()), nil)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			if _, err := r.Keys(t.Context(), "k1"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	wantFetches(t, srv, 1)
}

func TestRemoteJWKSCancelledCallerDoesNotThrottle(t *testing.T) {
	srv := newJWKSServer(t, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{ecJWK(t, "k1")}})
	r := newRemote(t, srv, newFakeClock(time.Now()), nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := r.Keys(ctx, "k1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Keys(cancelled) error = %v, want context.Canceled", err)
	}
	wantKeys(t, r, "k1", 1) // the next caller fetches at once
}
