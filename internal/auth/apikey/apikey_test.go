package apikey

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/model"
)

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		key, prefix, hash := Generate()
		if !WellFormed(key) {
			t.Fatalf("generated key %q is not well formed", key)
		}
		if !strings.HasPrefix(key, prefix) || len(prefix) != PrefixLen {
			t.Fatalf("prefix %q of %q", prefix, key)
		}
		if hash != HashOf(key) || len(hash.String()) != 64 {
			t.Fatalf("hash mismatch")
		}
		if seen[key] {
			t.Fatal("duplicate key")
		}
		seen[key] = true
	}
}

func TestWellFormed(t *testing.T) {
	key, _, _ := Generate()
	tests := []struct {
		name string
		key  string
		want bool
	}{
		{"generated", key, true},
		{"empty", "", false},
		{"scheme only", Scheme, false},
		{"short", key[:len(key)-1], false},
		{"long", key + "A", false},
		{"wrong scheme", "ptx_" + key[4:], false},
		{"padding", key[:len(key)-1] + "=", false},
		{"std alphabet", key[:10] + "+" + key[11:], false},
		{"non-zero padding bits", key[:len(key)-1] + "B", false},
		{"space", key[:10] + " " + key[11:], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WellFormed(tt.key); got != tt.want {
				t.Fatalf("WellFormed(%q) = %v", tt.key, got)
			}
		})
	}
}

func TestFromHeader(t *testing.T) {
	key, _, _ := Generate()
	other, _, _ := Generate()
	tests := []struct {
		name string
		h    http.Header
		want error
	}{
		{"x-api-key", http.Header{"X-Api-Key": {key}}, nil},
		{"authorization", http.Header{"Authorization": {"ApiKey " + key}}, nil},
		{"authorization lower-case scheme", http.Header{"Authorization": {"apikey " + key}}, nil},
		{"none", http.Header{}, auth.ErrNoCredential},
		{"bearer is not a key", http.Header{"Authorization": {"Bearer " + key}}, auth.ErrNoCredential},
		{"two x-api-key", http.Header{"X-Api-Key": {key, other}}, auth.ErrAmbiguous},
		{"two authorization", http.Header{"Authorization": {"ApiKey " + key, "ApiKey " + other}}, auth.ErrAmbiguous},
		{"both forms", http.Header{"X-Api-Key": {key}, "Authorization": {"ApiKey " + other}}, auth.ErrAmbiguous},
		{"bearer and x-api-key", http.Header{"X-Api-Key": {key}, "Authorization": {"Bearer x"}}, nil},
		{"malformed", http.Header{"X-Api-Key": {"secret"}}, auth.ErrInvalidCredential},
		{"empty", http.Header{"X-Api-Key": {""}}, auth.ErrInvalidCredential},
		{"scheme without key", http.Header{"Authorization": {"ApiKey "}}, auth.ErrInvalidCredential},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromHeader(tt.h)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err == nil && got != key {
				t.Fatalf("key = %q", got)
			}
		})
	}
}

func FuzzFromHeader(f *testing.F) {
	key, _, _ := Generate()
	f.Add(key, "")
	f.Add("", "ApiKey "+key)
	f.Add(key, "ApiKey "+key)
	f.Add("ptk_", "apikey  x")
	f.Fuzz(func(t *testing.T, xkey, authz string) {
		h := http.Header{}
		if xkey != "" {
			h["X-Api-Key"] = []string{xkey}
		}
		if authz != "" {
			h["Authorization"] = []string{authz}
		}
		got, err := FromHeader(h)
		if err == nil && !WellFormed(got) {
			t.Fatalf("accepted malformed key %q", got)
		}
		if err != nil && got != "" {
			t.Fatalf("returned key with error")
		}
	})
}

// fakeStore is a Lookup over a map that counts calls.
type fakeStore struct {
	mu    sync.Mutex
	keys  map[string]*Record // by hex hash
	calls atomic.Int64
	err   error
}

func (s *fakeStore) lookup(_ context.Context, hash string) (*Record, error) {
	s.calls.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	r := s.keys[hash]
	if r == nil {
		return nil, nil
	}
	cp := *r
	return &cp, nil
}

func (s *fakeStore) add(tenant string, k model.APIKey) string {
	key, prefix, hash := Generate()
	k.Prefix = prefix
	if k.Status == "" {
		k.Status = model.KeyActive
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys == nil {
		s.keys = map[string]*Record{}
	}
	s.keys[hash.String()] = &Record{Tenant: tenant, Key: k}
	return key
}

func (s *fakeStore) revoke(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[HashOf(key).String()].Key.Status = model.KeyRevoked
}

type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func newVerifier(t testing.TB, s *fakeStore, c *clock, mutate func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{Lookup: s.lookup, Now: c.now}
	if mutate != nil {
		mutate(&cfg)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := &fakeStore{}
	past, future := c.now().Add(-time.Second), c.now().Add(time.Hour)
	good := s.add("acme", model.APIKey{ID: "k1", Consumer: "mobile", Scopes: []string{"read"}, Plan: "gold"})
	revoked := s.add("acme", model.APIKey{ID: "k2", Consumer: "mobile", Status: model.KeyRevoked})
	expired := s.add("acme", model.APIKey{ID: "k3", Consumer: "mobile", ExpiresAt: &past})
	expiring := s.add("acme", model.APIKey{ID: "k4", Consumer: "mobile", ExpiresAt: &future})
	foreign := s.add("globex", model.APIKey{ID: "k5", Consumer: "web"})
	unknown, _, _ := Generate()
	v := newVerifier(t, s, c, nil)

	cl, err := v.Verify(ctx, "acme", good)
	if err != nil {
		t.Fatal(err)
	}
	if cl.Tenant != "acme" || cl.Consumer != "mobile" || cl.Subject != "k1" || cl.Plan != "gold" || cl.Scopes[0] != "read" || cl.ID() != "consumer:mobile" {
		t.Fatalf("caller = %+v", cl)
	}
	if _, err := v.Verify(ctx, "acme", expiring); err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]string{"revoked": revoked, "expired": expired, "other tenant": foreign, "unknown": unknown} {
		t.Run(name, func(t *testing.T) {
			for range 2 { // once from the store, once from the cache
				if _, err := v.Verify(ctx, "acme", key); !errors.Is(err, auth.ErrInvalidCredential) {
					t.Fatalf("err = %v", err)
				}
			}
		})
	}
	t.Run("expires while cached", func(t *testing.T) {
		c.advance(time.Hour)
		if _, err := v.Verify(ctx, "acme", expiring); !errors.Is(err, auth.ErrInvalidCredential) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestCacheHitReadsNothing(t *testing.T) {
	c := newClock()
	s := &fakeStore{}
	key := s.add("acme", model.APIKey{ID: "k1", Consumer: "mobile"})
	unknown, _, _ := Generate()
	v := newVerifier(t, s, c, nil)
	for range 100 {
		if _, err := v.Verify(context.Background(), "acme", key); err != nil {
			t.Fatal(err)
		}
		_, _ = v.Verify(context.Background(), "acme", unknown)
	}
	if n := s.calls.Load(); n != 2 {
		t.Fatalf("store calls = %d, want 2 (one per distinct key)", n)
	}
}

func TestRevocationBound(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := &fakeStore{}
	key := s.add("acme", model.APIKey{ID: "k1", Consumer: "mobile"})
	v := newVerifier(t, s, c, func(cfg *Config) { cfg.TTL = 30 * time.Second })
	if _, err := v.Verify(ctx, "acme", key); err != nil {
		t.Fatal(err)
	}
	s.revoke(key)
	c.advance(29 * time.Second)
	if _, err := v.Verify(ctx, "acme", key); err != nil {
		t.Fatalf("within the TTL the cached key still works: %v", err)
	}
	c.advance(time.Second)
	if _, err := v.Verify(ctx, "acme", key); !errors.Is(err, auth.ErrInvalidCredential) {
		t.Fatalf("after the TTL a revoked key must fail: %v", err)
	}
}

func TestForgetIsImmediate(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := &fakeStore{}
	key := s.add("acme", model.APIKey{ID: "k1", Consumer: "mobile"})
	v := newVerifier(t, s, c, nil)
	if _, err := v.Verify(ctx, "acme", key); err != nil {
		t.Fatal(err)
	}
	s.revoke(key)
	v.Forget(HashOf(key).String())
	if _, err := v.Verify(ctx, "acme", key); !errors.Is(err, auth.ErrInvalidCredential) {
		t.Fatalf("err = %v", err)
	}
	v.Forget("not hex") // ignored
}

func TestStoreError(t *testing.T) {
	c := newClock()
	s := &fakeStore{err: errors.New("down")}
	key := s.add("acme", model.APIKey{ID: "k1", Consumer: "mobile"})
	v := newVerifier(t, s, c, nil)
	_, err := v.Verify(context.Background(), "acme", key)
	if err == nil || errors.Is(err, auth.ErrInvalidCredential) {
		t.Fatalf("a store failure is not a verdict on the key: %v", err)
	}
}

func TestBounded(t *testing.T) {
	c := newClock()
	s := &fakeStore{}
	key := s.add("acme", model.APIKey{ID: "k1", Consumer: "mobile"})
	v := newVerifier(t, s, c, func(cfg *Config) { cfg.MaxEntries = 50 })
	if _, err := v.Verify(context.Background(), "acme", key); err != nil {
		t.Fatal(err)
	}
	for range 500 {
		k, _, _ := Generate()
		_, _ = v.Verify(context.Background(), "acme", k)
	}
	if n := v.n.Load(); n > 50 {
		t.Fatalf("cache holds %d entries, bound 50", n)
	}
	before := s.calls.Load()
	if _, err := v.Verify(context.Background(), "acme", key); err != nil {
		t.Fatal(err)
	}
	if s.calls.Load() != before {
		t.Fatal("a flood of unknown keys evicted a known one")
	}
}
