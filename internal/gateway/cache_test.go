package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/cache"
	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
)

// scripted is an upstream whose answer the test sets, counting calls.
type scripted struct {
	calls  atomic.Int64
	mu     sync.Mutex
	status int
	header http.Header
	body   string
	hold   chan struct{} // when set, every call waits for it to close
}

func (s *scripted) set(status int, body string, kv ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body, s.header = status, body, http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		s.header.Add(kv[i], kv[i+1])
	}
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.calls.Add(1)
	if s.hold != nil {
		<-s.hold
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, vs := range s.header {
		w.Header()[k] = vs
	}
	w.Header().Set("X-Call", strconv.FormatInt(n, 10))
	w.WriteHeader(s.status)
	_, _ = w.Write([]byte(s.body))
}

// userAuth authenticates X-User as an API-key caller of the tenant.
type userAuth struct{}

func (userAuth) Authenticate(_ context.Context, tenant string, h http.Header) (*caller.Caller, error) {
	if u := h.Get("X-User"); u != "" {
		return &caller.Caller{Kind: caller.APIKey, Tenant: tenant, Subject: u}, nil
	}
	return nil, errors.New("no user")
}

// cacheConfig is tenant's API shop v1 with GET /c/{id} cached by p and
// GET /auth/{id} cached by ap behind API-key auth, both on upstream url.
func cacheConfig(tenant string, version int64, url string, p, ap *model.CachePolicy) *catalog.TenantConfig {
	to := model.Target{Type: model.TargetIntegration, Integration: "up"}
	c := model.Endpoint{ID: "c", API: "shop", Version: "v1", Method: "GET", Path: "/c/{id}", Target: to}
	c.Policies.Cache = p
	a := model.Endpoint{ID: "a", API: "shop", Version: "v1", Method: "GET", Path: "/auth/{id}", Target: to}
	a.Policies.Cache = ap
	a.Policies.Auth = &model.AuthPolicy{Type: model.AuthAPIKey}
	return &catalog.TenantConfig{
		Version:      version,
		Tenant:       model.Tenant{ID: tenant, Name: tenant},
		APIs:         []model.API{{Slug: "shop", Name: "Shop"}},
		Versions:     []model.Version{{API: "shop", Name: "v1", Status: model.StatusPublished}},
		Integrations: []model.Integration{{Slug: "up", Type: model.IntegrationHTTP, URL: url}},
		Endpoints:    []model.Endpoint{c, a},
	}
}

type cacheHarness struct {
	*harness
	up *scripted
}

func newCacheHarness(t testing.TB, p, ap *model.CachePolicy, mutate func(*Config)) *cacheHarness {
	t.Helper()
	up := &scripted{}
	up.set(200, `{"ok":true}`, "Content-Type", "application/json", "Etag", `"v1"`)
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	var h *harness
	h = newHarness(t, func(c *Config) {
		c.Authenticators = map[model.AuthType]Authenticator{model.AuthAPIKey: userAuth{}}
		cc, err := cache.New(cache.Config{Now: c.Now, Logger: c.Logger})
		if err != nil {
			t.Fatal(err)
		}
		c.Cache = cc
		if mutate != nil {
			mutate(c)
		}
	})
	if ap == nil {
		ap = &model.CachePolicy{TTLSeconds: 60}
	}
	h.src.set(cacheConfig("acme", 1, srv.URL, p, ap))
	h.src.set(cacheConfig("globex", 1, srv.URL, p, ap))
	return &cacheHarness{harness: h, up: up}
}

func TestCacheMissHitAgeExpiry(t *testing.T) {
	h := newCacheHarness(t, &model.CachePolicy{TTLSeconds: 60}, nil, nil)
	w := h.do(t, "GET", "/t/acme/v1/c/1", nil)
	if w.Code != 200 || w.Header().Get("X-Cache") != "MISS" || w.Header().Get("Age") != "" {
		t.Fatalf("first: %d X-Cache=%q Age=%q", w.Code, w.Header().Get("X-Cache"), w.Header().Get("Age"))
	}
	h.clock.Advance(7 * time.Second)
	w = h.do(t, "GET", "/t/acme//v1/c/1/", nil) // the same canonical path
	if w.Code != 200 || w.Header().Get("X-Cache") != "HIT" || w.Header().Get("Age") != "7" || w.Body.String() != `{"ok":true}` {
		t.Fatalf("second: %d X-Cache=%q Age=%q body %q", w.Code, w.Header().Get("X-Cache"), w.Header().Get("Age"), w.Body)
	}
	if w.Header().Get("X-Request-Id") == "" || w.Header().Get("Content-Length") != "11" || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("hit headers: %v", w.Header())
	}
	if n := h.up.calls.Load(); n != 1 {
		t.Fatalf("%d upstream calls, want 1", n)
	}
	h.clock.Advance(53 * time.Second)
	if w := h.do(t, "GET", "/t/acme/v1/c/1", nil); w.Header().Get("X-Cache") != "MISS" || h.up.calls.Load() != 2 {
		t.Fatalf("after the TTL: X-Cache=%q, %d calls", w.Header().Get("X-Cache"), h.up.calls.Load())
	}
}

// TestCacheStorability: what the upstream answers decides whether a
// response is stored (one upstream call for two requests) or not (two).
func TestCacheStorability(t *testing.T) {
	tests := []struct {
		name   string
		policy model.CachePolicy
		status int
		body   string
		hdr    []string
		stored bool
	}{
		{"plain 200", model.CachePolicy{}, 200, "x", nil, true},
		{"204", model.CachePolicy{}, 204, "", nil, true},
		{"Set-Cookie never", model.CachePolicy{IgnoreCacheControl: true}, 200, "x", []string{"Set-Cookie", "s=1"}, false},
		{"no-store", model.CachePolicy{}, 200, "x", []string{"Cache-Control", "no-store"}, false},
		{"private", model.CachePolicy{}, 200, "x", []string{"Cache-Control", "private, max-age=60"}, false},
		{"no-cache", model.CachePolicy{}, 200, "x", []string{"Cache-Control", "no-cache"}, false},
		{"max-age=0", model.CachePolicy{}, 200, "x", []string{"Cache-Control", "max-age=0"}, false},
		{"s-maxage wins over max-age=0", model.CachePolicy{}, 200, "x", []string{"Cache-Control", "max-age=0, s-maxage=30"}, true},
		{"max-age=30", model.CachePolicy{}, 200, "x", []string{"Cache-Control", "public, max-age=30"}, true},
		{"no-store overridden", model.CachePolicy{IgnoreCacheControl: true}, 200, "x", []string{"Cache-Control", "no-store, private"}, true},
		{"500", model.CachePolicy{}, 500, "x", nil, false},
		{"404 not configured", model.CachePolicy{}, 404, "x", nil, false},
		{"404 configured", model.CachePolicy{Statuses: []int{404}}, 404, "x", nil, true},
		{"Vary on an unkeyed header", model.CachePolicy{}, 200, "x", []string{"Vary", "Accept-Language"}, false},
		{"Vary on a key header", model.CachePolicy{KeyHeaders: []string{"accept-language"}}, 200, "x", []string{"Vary", "Accept-Language"}, true},
		{"Vary *", model.CachePolicy{KeyHeaders: []string{"Accept"}}, 200, "x", []string{"Vary", "*"}, false},
		{"body over maxEntryBytes", model.CachePolicy{MaxEntrySize: 10}, 200, "0123456789a", nil, false},
		{"body at maxEntryBytes", model.CachePolicy{MaxEntrySize: 10}, 200, "0123456789", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.policy
			p.TTLSeconds = 60
			h := newCacheHarness(t, &p, nil, nil)
			h.up.set(tc.status, tc.body, tc.hdr...)
			first := h.do(t, "GET", "/t/acme/v1/c/1", nil)
			h.clock.Advance(10 * time.Second)
			second := h.do(t, "GET", "/t/acme/v1/c/1", nil)
			if first.Code != tc.status || second.Code != tc.status || second.Body.String() != tc.body {
				t.Fatalf("statuses %d, %d body %q", first.Code, second.Code, second.Body)
			}
			want, xc := int64(2), "MISS"
			if tc.stored {
				want, xc = 1, "HIT"
			}
			if got := h.up.calls.Load(); got != want || second.Header().Get("X-Cache") != xc {
				t.Fatalf("%d upstream calls, X-Cache %q; want %d, %s", got, second.Header().Get("X-Cache"), want, xc)
			}
			if tc.stored && second.Header().Get("Set-Cookie") != "" {
				t.Fatal("a stored response carries Set-Cookie")
			}
		})
	}
}

// TestCacheKeys: which requests share an entry.
func TestCacheKeys(t *testing.T) {
	tests := []struct {
		name        string
		policy      model.CachePolicy
		first, then []string // target, then header name/value pairs
		shared      bool
	}{
		{"query order", model.CachePolicy{}, []string{"/t/acme/v1/c/1?a=1&b=2"}, []string{"/t/acme/v1/c/1?b=2&a=1"}, true},
		{"query escaping", model.CachePolicy{}, []string{"/t/acme/v1/c/1?a=%41"}, []string{"/t/acme/v1/c/1?a=A"}, true},
		{"query value", model.CachePolicy{}, []string{"/t/acme/v1/c/1?a=1"}, []string{"/t/acme/v1/c/1?a=2"}, false},
		{"repeated values keep their order", model.CachePolicy{}, []string{"/t/acme/v1/c/1?a=1&a=2"}, []string{"/t/acme/v1/c/1?a=2&a=1"}, false},
		{"path param", model.CachePolicy{}, []string{"/t/acme/v1/c/1"}, []string{"/t/acme/v1/c/2"}, false},
		{"other tenant", model.CachePolicy{}, []string{"/t/acme/v1/c/1"}, []string{"/t/globex/v1/c/1"}, false},
		{"unkeyed header ignored", model.CachePolicy{}, []string{"/t/acme/v1/c/1", "Accept", "a"}, []string{"/t/acme/v1/c/1", "Accept", "b"}, true},
		{"key header", model.CachePolicy{KeyHeaders: []string{"Accept"}}, []string{"/t/acme/v1/c/1", "Accept", "a"}, []string{"/t/acme/v1/c/1", "Accept", "b"}, false},
		{"key header equal", model.CachePolicy{KeyHeaders: []string{"Accept"}}, []string{"/t/acme/v1/c/1", "Accept", "a"}, []string{"/t/acme/v1/c/1", "Accept", "a"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.policy
			p.TTLSeconds = 60
			h := newCacheHarness(t, &p, nil, nil)
			h.do(t, "GET", tc.first[0], nil, tc.first[1:]...)
			w := h.do(t, "GET", tc.then[0], nil, tc.then[1:]...)
			if got := w.Header().Get("X-Cache") == "HIT"; got != tc.shared || (h.up.calls.Load() == 1) != tc.shared {
				t.Fatalf("X-Cache %q after %d calls; shared want %v", w.Header().Get("X-Cache"), h.up.calls.Load(), tc.shared)
			}
		})
	}
}

// TestCacheCallerIsolation: an authenticated endpoint keys on the caller
// unless its policy says shared; an endpoint without auth bypasses the
// cache for requests with credentials it cannot tell apart.
func TestCacheCallerIsolation(t *testing.T) {
	type req struct {
		path string
		hdr  []string
		hit  bool
	}
	tests := []struct {
		name   string
		policy model.CachePolicy // on /auth/{id}; /c/{id} has TTL only
		reqs   []req
	}{
		{"per caller by default", model.CachePolicy{}, []req{
			{"/auth/1", []string{"X-User", "alice"}, false},
			{"/auth/1", []string{"X-User", "bob"}, false},
			{"/auth/1", []string{"X-User", "alice"}, true},
			{"/auth/1", []string{"X-User", "bob"}, true},
		}},
		{"shared on request", model.CachePolicy{Shared: true}, []req{
			{"/auth/1", []string{"X-User", "alice"}, false},
			{"/auth/1", []string{"X-User", "bob"}, true},
		}},
		{"perPrincipal beats shared", model.CachePolicy{Shared: true, PerPrincipal: true}, []req{
			{"/auth/1", []string{"X-User", "alice"}, false},
			{"/auth/1", []string{"X-User", "bob"}, false},
		}},
		{"no auth: Authorization bypasses", model.CachePolicy{}, []req{
			{"/c/1", []string{"Authorization", "Bearer a"}, false},
			{"/c/1", []string{"Authorization", "Bearer a"}, false},
			{"/c/1", nil, false},
			{"/c/1", []string{"Authorization", "Bearer b"}, false},
			{"/c/1", []string{"Cookie", "s=b"}, false},
			{"/c/1", nil, true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.policy
			p.TTLSeconds = 60
			h := newCacheHarness(t, &model.CachePolicy{TTLSeconds: 60}, &p, nil)
			for i, r := range tc.reqs {
				w := h.do(t, "GET", "/t/acme/v1"+r.path, nil, r.hdr...)
				if w.Code != 200 || (w.Header().Get("X-Cache") == "HIT") != r.hit {
					t.Fatalf("request %d (%s %v): %d X-Cache %q, want hit=%v", i, r.path, r.hdr, w.Code, w.Header().Get("X-Cache"), r.hit)
				}
			}
		})
	}
}

// TestCacheStampede: concurrent misses of one key through the gateway make
// one upstream call; every request gets the full response.
func TestCacheStampede(t *testing.T) {
	const n = 300
	hold := make(chan struct{})
	h := newCacheHarness(t, &model.CachePolicy{TTLSeconds: 60}, nil, nil)
	h.up.hold = hold
	var started, done sync.WaitGroup
	started.Add(n)
	codes := make([]int, n)
	bodies := make([]string, n)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			w := h.do(t, "GET", "/t/acme/v1/c/1", nil)
			codes[i], bodies[i] = w.Code, w.Body.String()
		}()
	}
	started.Wait()
	close(hold)
	done.Wait()
	if got := h.up.calls.Load(); got != 1 {
		t.Fatalf("%d upstream calls for %d concurrent misses, want 1", got, n)
	}
	for i := range n {
		if codes[i] != 200 || bodies[i] != `{"ok":true}` {
			t.Fatalf("request %d: %d %q", i, codes[i], bodies[i])
		}
	}
}

func TestCacheConditionalAndHead(t *testing.T) {
	h := newCacheHarness(t, &model.CachePolicy{TTLSeconds: 60}, nil, nil)
	if w := h.do(t, "HEAD", "/t/acme/v1/c/1", nil); w.Code != 200 || w.Header().Get("X-Cache") != "MISS" {
		t.Fatalf("HEAD miss: %d %q", w.Code, w.Header().Get("X-Cache"))
	}
	if w := h.do(t, "GET", "/t/acme/v1/c/1", nil); w.Header().Get("X-Cache") != "MISS" || w.Body.String() != `{"ok":true}` {
		t.Fatalf("a HEAD filled the GET entry: %q %q", w.Header().Get("X-Cache"), w.Body)
	}
	w := h.do(t, "HEAD", "/t/acme/v1/c/1", nil)
	if w.Code != 200 || w.Header().Get("X-Cache") != "HIT" || w.Body.Len() != 0 || w.Header().Get("Content-Length") != "11" {
		t.Fatalf("HEAD hit: %d %q body %q", w.Code, w.Header().Get("X-Cache"), w.Body)
	}
	for _, tc := range []struct {
		inm  string
		want int
	}{{`"v1"`, 304}, {`W/"v1"`, 304}, {`"x", "v1"`, 304}, {`*`, 304}, {`"v2"`, 200}} {
		w := h.do(t, "GET", "/t/acme/v1/c/1", nil, "If-None-Match", tc.inm)
		if w.Code != tc.want || (tc.want == 304 && (w.Body.Len() != 0 || w.Header().Get("Etag") != `"v1"`)) {
			t.Errorf("If-None-Match %s: %d body %q etag %q, want %d", tc.inm, w.Code, w.Body, w.Header().Get("Etag"), tc.want)
		}
	}
	if n := h.up.calls.Load(); n != 2 {
		t.Fatalf("%d upstream calls, want 2", n)
	}
}

func TestCacheInvalidation(t *testing.T) {
	h := newCacheHarness(t, &model.CachePolicy{TTLSeconds: 600}, nil, nil)
	hit := func() bool { return h.do(t, "GET", "/t/acme/v1/c/1", nil).Header().Get("X-Cache") == "HIT" }
	hit()
	if !hit() {
		t.Fatal("no hit")
	}
	// A published change (a new config version) starts a fresh key space.
	cfg := cacheConfig("acme", 2, h.src.cfgs["acme"].Integrations[0].URL, &model.CachePolicy{TTLSeconds: 600}, &model.CachePolicy{TTLSeconds: 60})
	h.src.set(cfg)
	h.clock.Advance(3 * time.Second) // past the snapshot refresh interval
	if hit() {
		t.Fatal("hit across a config change")
	}
	if !hit() {
		t.Fatal("no hit on the new version")
	}
	n, err := h.gw.cfg.Cache.Purge(context.Background(), cache.Selector{Tenant: "acme", API: "shop", Version: "v1", Path: "/v1/c/1"})
	if err != nil || n != 2 { // the entries of both config versions
		t.Fatalf("purge = %d, %v", n, err)
	}
	if hit() {
		t.Fatal("hit after a purge")
	}
}

// failingL2 is an L2 that is never reachable.
type failingL2 struct{}

func (failingL2) Get(context.Context, string) (*cache.Entry, error) { return nil, errors.New("down") }
func (failingL2) Set(context.Context, string, *cache.Entry) error   { return errors.New("down") }
func (failingL2) Purge(context.Context, cache.Selector) (int, error) {
	return 0, errors.New("down")
}

func TestCacheL2Unreachable(t *testing.T) {
	h := newCacheHarness(t, &model.CachePolicy{TTLSeconds: 60}, nil, func(c *Config) {
		cc, err := cache.New(cache.Config{L2: failingL2{}, Now: c.Now, Logger: c.Logger})
		if err != nil {
			t.Fatal(err)
		}
		c.Cache = cc
	})
	for i := range 3 {
		if w := h.do(t, "GET", "/t/acme/v1/c/1", nil); w.Code != 200 {
			t.Fatalf("request %d: %d with L2 down", i, w.Code)
		}
	}
	if n := h.up.calls.Load(); n != 1 {
		t.Fatalf("%d upstream calls; L1 should still serve", n)
	}
}

func TestCachePolicyNoLongerFailsClosed(t *testing.T) {
	if got := unsupportedPolicy(model.Policies{Cache: &model.CachePolicy{TTLSeconds: 1}}); got != "" {
		t.Fatalf("unsupportedPolicy = %q", got)
	}
}
