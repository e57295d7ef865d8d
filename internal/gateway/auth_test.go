package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/auth/apikey"
	"github.com/portico/portico/internal/auth/detect"
	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
)

// countingUpstream echoes what it received and counts calls.
type countingUpstream struct {
	*httptest.Server
	calls atomic.Int64
}

func newCountingUpstream(t testing.TB) *countingUpstream {
	t.Helper()
	u := &countingUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.calls.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(echoed{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Header: r.Header})
	}))
	t.Cleanup(u.Close)
	return u
}

// keyStore is an in-memory apikey.Lookup.
type keyStore struct {
	mu    sync.Mutex
	keys  map[string]*apikey.Record
	err   error
	calls atomic.Int64
}

func (s *keyStore) lookup(_ context.Context, hash string) (*apikey.Record, error) {
	s.calls.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	if r, ok := s.keys[hash]; ok {
		cp := *r
		return &cp, nil
	}
	return nil, nil
}

func (s *keyStore) issue(tenant string, k model.APIKey) string {
	key, prefix, hash := apikey.Generate()
	k.Prefix = prefix
	if k.Status == "" {
		k.Status = model.KeyActive
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys == nil {
		s.keys = map[string]*apikey.Record{}
	}
	s.keys[hash.String()] = &apikey.Record{Tenant: tenant, Key: k}
	return key
}

func (s *keyStore) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// callerSpy is a Forwarder that records the caller later stages see.
type callerSpy struct {
	next Forwarder
	mu   sync.Mutex
	last *caller.Caller
}

func (s *callerSpy) Forward(w http.ResponseWriter, r *http.Request, t proxy.Target) error {
	c, _ := caller.From(r.Context())
	s.mu.Lock()
	s.last = c
	s.mu.Unlock()
	return s.next.Forward(w, r, t)
}

// authConfig is a tenant whose v1 endpoints carry auth policies.
func authConfig(tenant, upstream string) *catalog.TenantConfig {
	ep := func(path string, pol *model.AuthPolicy) model.Endpoint {
		return model.Endpoint{ID: path, API: "shop", Version: "v1", Method: "GET", Path: path,
			Target: model.Target{Type: model.TargetIntegration, Integration: "main"}, Policies: model.Policies{Auth: pol}}
	}
	return &catalog.TenantConfig{
		Version:      1,
		Tenant:       model.Tenant{ID: tenant, Name: tenant},
		APIs:         []model.API{{Slug: "shop", Name: "Shop"}},
		Versions:     []model.Version{{API: "shop", Name: "v1", Status: model.StatusPublished}},
		Integrations: []model.Integration{{Slug: "main", Type: model.IntegrationHTTP, URL: upstream}},
		Endpoints: []model.Endpoint{
			ep("/keyed", &model.AuthPolicy{Type: model.AuthAPIKey}),
			ep("/scoped", &model.AuthPolicy{Type: model.AuthAPIKey, Scopes: []string{"orders:read", "orders:write"}}),
			ep("/roled", &model.AuthPolicy{Type: model.AuthAPIKey, Roles: []string{"admin"}}),
			ep("/jwt", &model.AuthPolicy{Type: model.AuthJWT}),
			ep("/open", nil),
		},
	}
}

type authHarness struct {
	gw    *Gateway
	up    *countingUpstream
	keys  *keyStore
	ver   *apikey.Verifier
	spy   *callerSpy
	clock *fakeClock
}

func newAuthHarness(t testing.TB) *authHarness {
	t.Helper()
	h := &authHarness{up: newCountingUpstream(t), keys: &keyStore{}, clock: newFakeClock()}
	ver, err := apikey.New(apikey.Config{Lookup: h.keys.lookup, Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	h.ver = ver
	h.spy = &callerSpy{next: proxy.New(proxy.Config{Logger: discardLogger()})}
	gw, err := New(Config{
		Source:         newFakeSource(authConfig("acme", h.up.URL), authConfig("globex", h.up.URL)),
		Forwarder:      h.spy,
		Now:            h.clock.Now,
		Logger:         discardLogger(),
		Authenticators: map[model.AuthType]Authenticator{model.AuthAPIKey: ver},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.gw = gw
	return h
}

func (h *authHarness) do(target string, hdr http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", target, nil)
	for k, vs := range hdr {
		r.Header[k] = vs
	}
	w := httptest.NewRecorder()
	h.gw.ServeHTTP(w, r)
	return w
}

func TestAPIKeySecuritySuite(t *testing.T) {
	h := newAuthHarness(t)
	past := h.clock.Now().Add(-time.Minute)
	good := h.keys.issue("acme", model.APIKey{ID: "k1", Consumer: "mobile", Plan: "gold", Scopes: []string{"orders:read"}})
	both := h.keys.issue("acme", model.APIKey{ID: "k2", Consumer: "mobile", Scopes: []string{"orders:read", "orders:write"}})
	revoked := h.keys.issue("acme", model.APIKey{ID: "k3", Consumer: "mobile", Status: model.KeyRevoked})
	expired := h.keys.issue("acme", model.APIKey{ID: "k4", Consumer: "mobile", ExpiresAt: &past})
	foreign := h.keys.issue("globex", model.APIKey{ID: "k5", Consumer: "web"})
	unknown, _, _ := apikey.Generate()

	const invalid = `ApiKey realm="acme", error="invalid_token"`
	tests := []struct {
		name      string
		target    string
		hdr       http.Header
		status    int
		challenge string
	}{
		{"no key", "/t/acme/v1/keyed", nil, 401, `ApiKey realm="acme"`},
		{"unknown key", "/t/acme/v1/keyed", http.Header{"X-Api-Key": {unknown}}, 401, invalid},
		{"malformed key", "/t/acme/v1/keyed", http.Header{"X-Api-Key": {"hunter2"}}, 401, invalid},
		{"revoked key", "/t/acme/v1/keyed", http.Header{"X-Api-Key": {revoked}}, 401, invalid},
		{"expired key", "/t/acme/v1/keyed", http.Header{"X-Api-Key": {expired}}, 401, invalid},
		{"another tenant's valid key", "/t/acme/v1/keyed", http.Header{"X-Api-Key": {foreign}}, 401, invalid},
		{"key in the query string", "/t/acme/v1/keyed?api_key=" + good, nil, 401, `ApiKey realm="acme"`},
		{"key as access_token", "/t/acme/v1/keyed?access_token=" + good, nil, 401, `ApiKey realm="acme"`},
		{"key as bearer token", "/t/acme/v1/keyed", http.Header{"Authorization": {"Bearer " + good}}, 401, `ApiKey realm="acme"`},
		{"duplicate X-Api-Key", "/t/acme/v1/keyed", http.Header{"X-Api-Key": {good, good}}, 400, `ApiKey realm="acme", error="invalid_request"`},
		{"duplicate Authorization", "/t/acme/v1/keyed", http.Header{"Authorization": {"ApiKey " + good, "ApiKey " + unknown}}, 400, `ApiKey realm="acme", error="invalid_request"`},
		{"key in both headers", "/t/acme/v1/keyed", http.Header{"X-Api-Key": {good}, "Authorization": {"ApiKey " + good}}, 400, `ApiKey realm="acme", error="invalid_request"`},
		{"tenant header does not choose the tenant", "/t/acme/v1/keyed", http.Header{"X-Api-Key": {foreign}, "X-Tenant": {"globex"}}, 401, invalid},
		{"missing scope", "/t/acme/v1/scoped", http.Header{"X-Api-Key": {good}}, 403, `ApiKey realm="acme", error="insufficient_scope", scope="orders:read orders:write"`},
		{"missing role", "/t/acme/v1/roled", http.Header{"X-Api-Key": {both}}, 403, `ApiKey realm="acme", error="insufficient_scope"`},
		{"no authenticator for jwt fails closed", "/t/acme/v1/jwt", http.Header{"Authorization": {"Bearer x.y.z"}}, 503, ""},
	}
	var invalidBody string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.up.calls.Load()
			w := h.do(tt.target, tt.hdr)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tt.challenge {
				t.Fatalf("WWW-Authenticate = %q, want %q", got, tt.challenge)
			}
			p := problemBody(t, w)
			if n := h.up.calls.Load() - before; n != 0 {
				t.Fatalf("upstream called %d times", n)
			}
			if tt.challenge == invalid {
				// Unknown, malformed, revoked, expired and foreign keys
				// are indistinguishable.
				delete(p, "errorId")
				b, _ := json.Marshal(p)
				if invalidBody == "" {
					invalidBody = string(b)
				} else if string(b) != invalidBody {
					t.Fatalf("body %s differs from %s", b, invalidBody)
				}
			}
		})
	}

	t.Run("valid key", func(t *testing.T) {
		for _, hdr := range []http.Header{{"X-Api-Key": {good}}, {"Authorization": {"ApiKey " + good}}} {
			before := h.up.calls.Load()
			w := h.do("/t/acme/v1/keyed", hdr)
			e := decodeEcho(t, w)
			if h.up.calls.Load()-before != 1 {
				t.Fatal("upstream not called once")
			}
			for k := range e.Header {
				if strings.EqualFold(k, "X-Api-Key") || strings.EqualFold(k, "Authorization") {
					t.Fatalf("the caller's credential reached the upstream: %s", k)
				}
			}
			h.spy.mu.Lock()
			c := h.spy.last
			h.spy.mu.Unlock()
			if c == nil || c.Kind != caller.APIKey || c.Tenant != "acme" || c.Consumer != "mobile" || c.Plan != "gold" || c.Subject != "k1" {
				t.Fatalf("caller in context = %+v", c)
			}
		}
	})
	t.Run("scopes met", func(t *testing.T) {
		decodeEcho(t, h.do("/t/acme/v1/scoped", http.Header{"X-Api-Key": {both}}))
	})
	t.Run("the same key works on its own tenant", func(t *testing.T) {
		decodeEcho(t, h.do("/t/globex/v1/keyed", http.Header{"X-Api-Key": {foreign}}))
	})
	t.Run("public endpoint has an anonymous caller", func(t *testing.T) {
		decodeEcho(t, h.do("/t/acme/v1/open", nil))
		h.spy.mu.Lock()
		defer h.spy.mu.Unlock()
		if h.spy.last != nil {
			t.Fatalf("caller = %+v", h.spy.last)
		}
	})
}

func TestAPIKeyRevocation(t *testing.T) {
	h := newAuthHarness(t)
	key := h.keys.issue("acme", model.APIKey{ID: "k1", Consumer: "mobile"})
	hdr := http.Header{"X-Api-Key": {key}}
	decodeEcho(t, h.do("/t/acme/v1/keyed", hdr))

	h.keys.mu.Lock()
	h.keys.keys[apikey.HashOf(key).String()].Key.Status = model.KeyRevoked
	h.keys.mu.Unlock()
	// Another instance sees it within the TTL (30s by default)...
	h.clock.Advance(31 * time.Second)
	if w := h.do("/t/acme/v1/keyed", hdr); w.Code != 401 {
		t.Fatalf("after the TTL: status = %d", w.Code)
	}

	// ...and the revoking instance at once.
	key2 := h.keys.issue("acme", model.APIKey{ID: "k2", Consumer: "mobile"})
	hdr2 := http.Header{"X-Api-Key": {key2}}
	decodeEcho(t, h.do("/t/acme/v1/keyed", hdr2))
	h.keys.mu.Lock()
	h.keys.keys[apikey.HashOf(key2).String()].Key.Status = model.KeyRevoked
	h.keys.mu.Unlock()
	h.ver.Forget(apikey.HashOf(key2).String())
	if w := h.do("/t/acme/v1/keyed", hdr2); w.Code != 401 {
		t.Fatalf("after Forget: status = %d", w.Code)
	}
}

func TestAPIKeyStoreDown(t *testing.T) {
	h := newAuthHarness(t)
	key := h.keys.issue("acme", model.APIKey{ID: "k1", Consumer: "mobile"})
	h.keys.setErr(errors.New("store down"))
	w := h.do("/t/acme/v1/keyed", http.Header{"X-Api-Key": {key}})
	if w.Code != 503 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("status = %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if h.up.calls.Load() != 0 {
		t.Fatal("upstream called")
	}
}

func TestAPIKeyCacheHitReadsNoStore(t *testing.T) {
	h := newAuthHarness(t)
	key := h.keys.issue("acme", model.APIKey{ID: "k1", Consumer: "mobile"})
	hdr := http.Header{"X-Api-Key": {key}}
	for range 20 {
		decodeEcho(t, h.do("/t/acme/v1/keyed", hdr))
	}
	if n := h.keys.calls.Load(); n != 1 {
		t.Fatalf("key store read %d times for 20 requests, want 1", n)
	}
}

func TestFailedAuthBlocksTheSourceOnly(t *testing.T) {
	h := newAuthHarness(t)
	var events []detect.Event
	det := detect.New(detect.Config{IPThreshold: 5, Threshold: 3, OnEvent: func(e detect.Event) { events = append(events, e) }})
	h.gw.cfg.Failures = det
	good := h.keys.issue("acme", model.APIKey{ID: "k1", Consumer: "mobile"})
	guess, _, _ := apikey.Generate()
	do := func(ip, key string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/t/acme/v1/keyed", nil)
		r.RemoteAddr = ip + ":4711"
		r.Header.Set("X-Api-Key", key)
		w := httptest.NewRecorder()
		h.gw.ServeHTTP(w, r)
		return w
	}
	for range 5 {
		if w := do("203.0.113.9", guess); w.Code != 401 {
			t.Fatalf("status = %d", w.Code)
		}
	}
	before := h.up.calls.Load()
	w := do("203.0.113.9", good)
	if w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("blocked source: status %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	problemBody(t, w)
	if h.up.calls.Load() != before {
		t.Fatal("upstream called for a blocked source")
	}
	// The legitimate consumer, from its own address, is not locked out.
	decodeEcho(t, do("198.51.100.7", good))
	var byIP, byPrefix bool
	for _, e := range events {
		byIP = byIP || (e.By == detect.ByIP && e.Value == "203.0.113.9" && e.Tenant == "acme")
		byPrefix = byPrefix || (e.By == detect.ByPrefix && e.Value == guess[:apikey.PrefixLen])
	}
	if !byIP || !byPrefix {
		t.Fatalf("events = %+v", events)
	}
}
