package oauth2_test

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/auth/oauth2"
	"github.com/portico/portico/internal/model"
)

const testSeed = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz01"

// TestDeriveKeyKnownAnswer pins the derivation: the scalar is the
// HKDF-SHA256 output for counter 0, computed independently (RFC 5869 by
// hand with HMAC-SHA256); changing it would break every deployed token.
func TestDeriveKeyKnownAnswer(t *testing.T) {
	const want = "12d7e245045e5f14a66beb92ac9765a0112b20dcd52e5cd34620690a42127369"
	k, err := oauth2.DeriveKey([]byte(testSeed))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := k.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(raw); got != want {
		t.Fatalf("scalar = %s, want %s", got, want)
	}
	again, err := oauth2.DeriveKey([]byte(testSeed))
	if err != nil || !again.Equal(k) {
		t.Fatalf("derivation is not deterministic: %v", err)
	}
	other, err := oauth2.DeriveKey([]byte(testSeed[1:] + "x"))
	if err != nil || other.Equal(k) {
		t.Fatalf("another seed derived the same key: %v", err)
	}
}

func TestDeriveKeyRefusesShortSeed(t *testing.T) {
	if _, err := oauth2.DeriveKey([]byte(strings.Repeat("a", 31))); !errors.Is(err, oauth2.ErrShortSeed) {
		t.Fatalf("err = %v, want ErrShortSeed", err)
	}
}

// seeds is a fake secret: current and previous, and how often it is read.
type seeds struct {
	mu        sync.Mutex
	cur, prev string
	fetches   int
	err       error
}

func (s *seeds) fetch(context.Context) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches++
	return s.cur, s.prev, s.err
}

func (s *seeds) rotate(next string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur, s.prev = next, s.cur
}

func (s *seeds) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// seedServer is a Server over SeedKeys with a controlled clock, and its
// verifier, as one gateway instance.
type seedServer struct {
	srv   *oauth2.Server
	clock *time.Time
}

func newSeedServer(t *testing.T, sd *seeds, clock *time.Time) *seedServer {
	t.Helper()
	now := func() time.Time { return *clock }
	keys, err := oauth2.NewSeedKeys(t.Context(), oauth2.SeedConfig{Fetch: sd.fetch, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	hash := oauth2.HashSecret("pcs_s")
	srv, err := oauth2.New(oauth2.Config{Keys: keys, Now: now,
		Clients: func(_ context.Context, tenant, id string) (*model.OAuthClient, string, error) {
			if tenant != "acme" || id != "c1" {
				return nil, "", oauth2.ErrUnknownClient
			}
			return &model.OAuthClient{ID: "c1", Status: model.KeyActive}, hash, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return &seedServer{srv: srv, clock: clock}
}

func (s *seedServer) token(t *testing.T) string {
	t.Helper()
	r := httptest.NewRequest("POST", "/t/acme"+oauth2.TokenPath, strings.NewReader("grant_type=client_credentials"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth("c1", url.QueryEscape("pcs_s"))
	w := httptest.NewRecorder()
	s.srv.ServeTenant(w, r, "acme", oauth2.TokenPath)
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.AccessToken == "" {
		t.Fatalf("token: %d %s", w.Code, w.Body)
	}
	return body.AccessToken
}

func (s *seedServer) verify(t *testing.T, tok string) error {
	t.Helper()
	v, err := s.srv.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(t.Context(), "acme", tok)
	return err
}

func (s *seedServer) kids(t *testing.T) []string {
	t.Helper()
	w := httptest.NewRecorder()
	s.srv.ServeTenant(w, httptest.NewRequest("GET", "/t/acme"+oauth2.JWKSPath, nil), "acme", oauth2.JWKSPath)
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(w.Body.Bytes(), &set); err != nil {
		t.Fatalf("%s: %v", w.Body, err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.KeyID)
	}
	return kids
}

func thumbprint(t *testing.T, seed string) string {
	t.Helper()
	k, err := oauth2.DeriveKey([]byte(seed))
	if err != nil {
		t.Fatal(err)
	}
	tp, err := (&jose.JSONWebKey{Key: &k.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// TestSeedKeysAcrossInstancesAndRotation: two instances over the same seed
// verify each other's tokens; after a rotation each sees the new key within
// the refresh interval, tokens issued before it still verify, and an
// instance that has not refreshed yet reloads on a token with an unknown
// kid (at most once per MinReload).
func TestSeedKeysAcrossInstancesAndRotation(t *testing.T) {
	sd := &seeds{cur: testSeed}
	clock := now
	a := newSeedServer(t, sd, &clock)
	old := a.token(t)
	clock = clock.Add(2 * time.Minute)
	b := newSeedServer(t, sd, &clock) // a later cold start
	if err := b.verify(t, old); err != nil {
		t.Fatalf("instance B refused instance A's token: %v", err)
	}
	if got := a.kids(t); len(got) != 1 || got[0] != thumbprint(t, testSeed) {
		t.Fatalf("kids = %v", got)
	}

	next := strings.Repeat("N", 64)
	clock = clock.Add(time.Minute)
	sd.rotate(next)
	clock = clock.Add(time.Minute + 59*time.Second)
	if got := a.kids(t); len(got) != 1 {
		t.Fatalf("refreshed before the interval: kids = %v", got)
	}
	clock = clock.Add(time.Second)
	if got := a.kids(t); len(got) != 2 || got[0] != thumbprint(t, next) || got[1] != thumbprint(t, testSeed) {
		t.Fatalf("after the refresh interval: kids = %v, want new then old", got)
	}
	fresh := a.token(t)
	if err := a.verify(t, old); err != nil {
		t.Fatalf("a token issued before the rotation: %v", err)
	}

	// B's keys are 3 minutes old, not stale yet: the unknown kid makes it
	// reload once.
	fetches := sd.count()
	if err := b.verify(t, fresh); err != nil {
		t.Fatalf("instance B refused a token of the new key: %v", err)
	}
	if err := b.verify(t, old); err != nil {
		t.Fatalf("instance B refused a token of the previous key: %v", err)
	}
	if n := sd.count() - fetches; n != 1 {
		t.Fatalf("instance B fetched %d times, want 1", n)
	}

	// A forged kid costs at most one fetch per MinReload.
	forged := strings.Repeat("F", 64)
	s := newSeedServer(t, &seeds{cur: forged}, &clock).token(t)
	fetches = sd.count()
	for range 3 {
		if err := b.verify(t, s); !errors.Is(err, auth.ErrInvalidCredential) {
			t.Fatalf("token of another seed: %v", err)
		}
	}
	if n := sd.count() - fetches; n != 0 {
		t.Fatalf("unknown kids fetched %d times within MinReload, want 0", n)
	}

	// A second rotation retires the first key.
	third := strings.Repeat("M", 64)
	sd.rotate(third)
	clock = clock.Add(5 * time.Minute)
	if got := a.kids(t); len(got) != 2 || got[0] != thumbprint(t, third) || got[1] != thumbprint(t, next) {
		t.Fatalf("after a second rotation: kids = %v", got)
	}
}

// TestSeedKeysKeepKeysWhenFetchFails: a failed refresh keeps the keys and
// is reported; it is retried after MinReload, not on every request.
func TestSeedKeysKeepKeysWhenFetchFails(t *testing.T) {
	sd := &seeds{cur: testSeed}
	clock := now
	var reported []error
	keys, err := oauth2.NewSeedKeys(t.Context(), oauth2.SeedConfig{Fetch: sd.fetch, Now: func() time.Time { return clock },
		OnError: func(err error) { reported = append(reported, err) }})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := keys.Keys(t.Context())
	sd.err = errors.New("throttled")
	clock = clock.Add(5 * time.Minute)
	for range 3 {
		got, err := keys.Keys(t.Context())
		if err != nil || got != before {
			t.Fatalf("keys after a failed refresh: %v", err)
		}
	}
	if len(reported) != 1 || sd.count() != 2 {
		t.Fatalf("reported %v after %d fetches, want one failure of 2 fetches", reported, sd.count())
	}
	sd.err = nil
	clock = clock.Add(30 * time.Second)
	if _, _ = keys.Keys(t.Context()); sd.count() != 3 {
		t.Fatalf("not retried after MinReload: %d fetches", sd.count())
	}
}

func TestNewSeedKeysFailsFast(t *testing.T) {
	for name, sd := range map[string]*seeds{
		"fetch error": {err: errors.New("access denied")},
		"short seed":  {cur: "short"},
		"no seed":     {},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := oauth2.NewSeedKeys(t.Context(), oauth2.SeedConfig{Fetch: sd.fetch}); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}
