package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
)

// fakeClock is an injectable clock that moves only when told to.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// fakeSource is an in-memory ConfigSource that counts its calls.
type fakeSource struct {
	mu    sync.Mutex
	cfgs  map[string]*catalog.TenantConfig
	err   error         // returned by every call when set
	block chan struct{} // when set, ConfigVersion waits for it to close

	versionCalls atomic.Int64
	loadCalls    atomic.Int64
}

var _ ConfigSource = (*fakeSource)(nil)

func newFakeSource(cfgs ...*catalog.TenantConfig) *fakeSource {
	s := &fakeSource{cfgs: make(map[string]*catalog.TenantConfig)}
	for _, c := range cfgs {
		s.cfgs[c.Tenant.ID] = c
	}
	return s
}

func (s *fakeSource) ConfigVersion(ctx context.Context, tenant string) (int64, error) {
	s.versionCalls.Add(1)
	if s.block != nil {
		<-s.block
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	c, ok := s.cfgs[tenant]
	if !ok {
		return 0, catalog.ErrNotFound
	}
	return c.Version, nil
}

func (s *fakeSource) LoadTenantConfig(ctx context.Context, tenant string) (*catalog.TenantConfig, error) {
	s.loadCalls.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	c, ok := s.cfgs[tenant]
	if !ok {
		return nil, catalog.ErrNotFound
	}
	return c, nil
}

// set replaces (or adds) a tenant's configuration.
func (s *fakeSource) set(c *catalog.TenantConfig) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfgs[c.Tenant.ID] = c
}

func (s *fakeSource) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *fakeSource) calls() (version, load int64) {
	return s.versionCalls.Load(), s.loadCalls.Load()
}

func (s *fakeSource) resetCalls() {
	s.versionCalls.Store(0)
	s.loadCalls.Store(0)
}

// countingSource wraps a real ConfigSource (a catalog) and counts calls.
type countingSource struct {
	src          ConfigSource
	versionCalls atomic.Int64
	loadCalls    atomic.Int64
}

func (c *countingSource) ConfigVersion(ctx context.Context, tenant string) (int64, error) {
	c.versionCalls.Add(1)
	return c.src.ConfigVersion(ctx, tenant)
}

func (c *countingSource) LoadTenantConfig(ctx context.Context, tenant string) (*catalog.TenantConfig, error) {
	c.loadCalls.Add(1)
	return c.src.LoadTenantConfig(ctx, tenant)
}

// echoed is what the echo upstream answers: what it received.
type echoed struct {
	Method    string              `json:"method"`
	Path      string              `json:"path"`
	Query     string              `json:"query"`
	Body      string              `json:"body"`
	Header    map[string][]string `json:"header"`
	Upstream  string              `json:"upstream"`
	RequestID string              `json:"requestId"`
}

// echoUpstream starts an upstream that answers with what it received.
func echoUpstream(t testing.TB, name string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Upstream", name)
		_ = json.NewEncoder(w).Encode(echoed{
			Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Body: string(body),
			Header: r.Header, Upstream: name, RequestID: r.Header.Get("X-Request-Id"),
		})
	}))
	t.Cleanup(s.Close)
	return s
}

// slowUpstream never answers until the test ends (or the client gives up).
func slowUpstream(t testing.TB) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(s.Close)                   // runs second: waits for handlers
	t.Cleanup(func() { close(release) }) // runs first
	return s
}

// refusedURL returns the URL of a server that is no longer listening.
func refusedURL(t testing.TB) string {
	t.Helper()
	s := httptest.NewServer(http.NotFoundHandler())
	u := s.URL
	s.Close()
	return u
}

var (
	t0       = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	sunsetAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

// upstreams are the integration URLs of testConfig.
type upstreams struct {
	main, other, slow, refused string
}

// testConfig is tenant acme: API "shop" (no base path) and API "orders"
// (base path /orders) with versions v1 published, v2 deprecated, v3 retired,
// v4 draft.
func testConfig(tenant string, version int64, up upstreams) *catalog.TenantConfig {
	ep := func(api, ver, method, path string, target model.Target) model.Endpoint {
		return model.Endpoint{ID: api + ver + method + path, API: api, Version: ver, Method: method, Path: path, Target: target}
	}
	to := func(integration, path string) model.Target {
		return model.Target{Type: model.TargetIntegration, Integration: integration, Path: path}
	}
	secure := ep("shop", "v1", "GET", "/secure", to("main", ""))
	secure.Policies.Auth = &model.AuthPolicy{Type: model.AuthAPIKey}
	limited := ep("shop", "v1", "GET", "/limited", to("main", ""))
	limited.Policies.RateLimit = &model.RateLimitPolicy{Algorithm: model.FixedWindow, Scope: model.ScopeTenant, Limit: 1, WindowSeconds: 1}
	public := ep("shop", "v1", "GET", "/public", to("main", ""))
	public.Policies.Auth = &model.AuthPolicy{Type: model.AuthNone}
	sunset := sunsetAt
	return &catalog.TenantConfig{
		Version: version,
		Tenant:  model.Tenant{ID: tenant, Name: tenant},
		APIs: []model.API{
			{Slug: "shop", Name: "Shop"},
			{Slug: "orders", Name: "Orders", BasePath: "/orders"},
		},
		Versions: []model.Version{
			{API: "shop", Name: "v1", Status: model.StatusPublished},
			{API: "shop", Name: "v2", Status: model.StatusDeprecated, SunsetAt: &sunset, Meta: model.Meta{UpdatedAt: t0}},
			{API: "shop", Name: "v3", Status: model.StatusRetired},
			{API: "shop", Name: "v4", Status: model.StatusDraft},
			{API: "orders", Name: "v1", Status: model.StatusPublished},
		},
		Integrations: []model.Integration{
			{Slug: "main", Type: model.IntegrationHTTP, URL: up.main, Headers: map[string]string{"X-Api-Key": "upstream-secret"}},
			{Slug: "other", Type: model.IntegrationHTTP, URL: up.other + "/base"},
			{Slug: "slow", Type: model.IntegrationHTTP, URL: up.slow, TimeoutMs: 20},
			{Slug: "refused", Type: model.IntegrationHTTP, URL: up.refused},
			{Slug: "gql", Type: model.IntegrationGraphQL, URL: up.main},
		},
		Endpoints: []model.Endpoint{
			ep("shop", "v1", "GET", "/items", to("main", "")),
			ep("shop", "v1", "POST", "/items", to("main", "")),
			ep("shop", "v1", "GET", "/items/{id}", to("main", "/things/{id}/detail")),
			ep("shop", "v1", "DELETE", "/items/{id}", to("main", "")),
			ep("shop", "v1", "GET", "/files/{path+}", to("other", "/blobs/{path}")),
			ep("shop", "v1", "GET", "/", to("main", "/root")),
			ep("shop", "v1", "GET", "/slow", to("slow", "")),
			ep("shop", "v1", "GET", "/down", to("refused", "")),
			ep("shop", "v1", "GET", "/graph", to("gql", "")),
			ep("shop", "v1", "GET", "/flow", model.Target{Type: model.TargetWorkflow, Workflow: "wf"}),
			secure, limited, public,
			ep("shop", "v2", "GET", "/items/{id}", to("main", "")),
			ep("shop", "v3", "GET", "/items/{id}", to("main", "")),
			ep("shop", "v4", "GET", "/items/{id}", to("main", "")),
			ep("orders", "v1", "GET", "/{orderID}/lines/{line}", to("other", "/o/{orderID}/l/{line}")),
		},
	}
}

// harness is a gateway over a fakeSource with a fake clock.
type harness struct {
	gw    *Gateway
	src   *fakeSource
	clock *fakeClock
	up    upstreams
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newHarness(t testing.TB, mutate func(*Config)) *harness {
	t.Helper()
	h := &harness{clock: newFakeClock(), logs: &syncBuffer{}}
	h.up = upstreams{
		main:    echoUpstream(t, "main").URL,
		other:   echoUpstream(t, "other").URL,
		slow:    slowUpstream(t).URL,
		refused: refusedURL(t),
	}
	h.src = newFakeSource(testConfig("acme", 1, h.up))
	cfg := Config{
		Source:          h.src,
		Forwarder:       proxy.New(proxy.Config{Logger: discardLogger()}),
		RefreshInterval: 2 * time.Second,
		Now:             h.clock.Now,
		Logger:          slog.New(slog.NewJSONHandler(h.logs, nil)),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	gw, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.gw = gw
	return h
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// do sends one request through the gateway.
func (h *harness) do(t testing.TB, method, target string, body io.Reader, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			r.Host = hdr[i+1]
			continue
		}
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.gw.ServeHTTP(w, r)
	return w
}

func decodeEcho(t testing.TB, w *httptest.ResponseRecorder) echoed {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, body %s", w.Code, w.Body)
	}
	var e echoed
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("decode upstream echo %q: %v", w.Body, err)
	}
	return e
}

// problemBody decodes a problem+json response.
func problemBody(t testing.TB, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (body %s)", ct, w.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("decode problem %q: %v", w.Body, err)
	}
	if id, _ := m["errorId"].(string); id == "" {
		t.Errorf("problem has no errorId: %s", w.Body)
	}
	return m
}

var errStoreDown = errors.New("store unavailable")
