package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/portico/portico/internal/cache"
	cacheredis "github.com/portico/portico/internal/cache/redis"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/integration"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
	"github.com/portico/portico/internal/testenv/redisserver"
)

// Upstream modes of failingUpstream besides an HTTP status.
const (
	upOK      = 0
	upDrop    = -1 // the connection closes without an answer
	upHang    = -2 // no answer until the request ends (the gateway times out)
	staleBody = `{"v":"old"}`
)

// failingUpstream answers 200 with staleBody and the Cache-Control in cc
// until the test switches mode to a failure.
type failingUpstream struct {
	calls atomic.Int64
	mode  atomic.Int64
	cc    string
	gate  chan struct{} // when set, every call waits for it to close
}

func (u *failingUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.calls.Add(1)
	if u.gate != nil {
		<-u.gate
	}
	switch m := u.mode.Load(); {
	case m == upDrop:
		c, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = c.Close()
		}
	case m == upHang:
		<-r.Context().Done()
	case m > 0:
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Upstream-Error", "yes")
		w.WriteHeader(int(m))
		_, _ = w.Write([]byte("upstream broke"))
	default:
		w.Header().Set("Content-Type", "application/json")
		if u.cc != "" {
			w.Header().Set("Cache-Control", u.cc)
		}
		_, _ = w.Write([]byte(staleBody))
	}
}

type staleHarness struct {
	*harness
	up *failingUpstream
}

// newStaleHarness is tenant acme with GET /c/{id} cached by p on an
// integration (timeout 300 ms, breaker br when set) calling a
// failingUpstream, through the integration engine; l2 is the cache's L2.
func newStaleHarness(t *testing.T, p *model.CachePolicy, cc string, br *model.BreakerPolicy, l2 func(now func() time.Time) cache.Store) *staleHarness {
	t.Helper()
	up := &failingUpstream{cc: cc}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	h := newHarness(t, func(c *Config) {
		fwd := proxy.New(proxy.Config{Logger: discardLogger()})
		eng, err := integration.New(integration.Config{Forwarder: fwd})
		if err != nil {
			t.Fatal(err)
		}
		c.Forwarder, c.Integrations = fwd, eng
		cfg := cache.Config{Now: c.Now, Logger: discardLogger()}
		if l2 != nil {
			cfg.L2 = l2(c.Now)
		}
		if c.Cache, err = cache.New(cfg); err != nil {
			t.Fatal(err)
		}
	})
	h.src.set(staleConfig(srv.URL, p, br))
	return &staleHarness{harness: h, up: up}
}

func staleConfig(url string, p *model.CachePolicy, br *model.BreakerPolicy) *catalog.TenantConfig {
	ep := model.Endpoint{ID: "c", API: "shop", Version: "v1", Method: "GET", Path: "/c/{id}",
		Target: model.Target{Type: model.TargetIntegration, Integration: "up"}}
	ep.Policies.Cache = p
	return &catalog.TenantConfig{
		Version:      1,
		Tenant:       model.Tenant{ID: "acme", Name: "acme"},
		APIs:         []model.API{{Slug: "shop", Name: "Shop"}},
		Versions:     []model.Version{{API: "shop", Name: "v1", Status: model.StatusPublished}},
		Integrations: []model.Integration{{Slug: "up", Type: model.IntegrationHTTP, URL: url, TimeoutMs: 300, CircuitBreaker: br}},
		Endpoints:    []model.Endpoint{ep},
	}
}

func seconds(n int) *int { return &n }

// TestStaleIfError: once an entry's TTL (60 s) has passed, a failing
// upstream (5xx, dropped connection, timeout) is answered with the
// expired entry while its stale-if-error window (the policy's, else the
// upstream's Cache-Control) lasts: 200, X-Cache: STALE, the entry's Age,
// none of the failed response's headers. Client errors, failures after the
// window, and endpoints without a window pass the failure through.
func TestStaleIfError(t *testing.T) {
	tests := []struct {
		name   string
		policy *model.CachePolicy
		cc     string // the upstream's Cache-Control on the stored response
		method string
		after  time.Duration // since the entry was stored
		mode   int64
		stale  bool
		status int // without stale
	}{
		{name: "500", policy: &model.CachePolicy{TTLSeconds: 60, StaleIfErrorSeconds: seconds(300)}, after: 90 * time.Second, mode: 500, stale: true},
		{name: "502", policy: &model.CachePolicy{TTLSeconds: 60, StaleIfErrorSeconds: seconds(300)}, after: 90 * time.Second, mode: 502, stale: true},
		{name: "503", policy: &model.CachePolicy{TTLSeconds: 60, StaleIfErrorSeconds: seconds(300)}, after: 90 * time.Second, mode: 503, stale: true},
		{name: "504", policy: &model.CachePolicy{TTLSeconds: 60, StaleIfErrorSeconds: seconds(300)}, after: 90 * time.Second, mode: 504, stale: true},
		{name: "connection dropped", policy: &model.CachePolicy{TTLSeconds: 60, StaleIfErrorSeconds: seconds(300)}, after: 90 * time.Second, mode: upDrop, stale: true},
		{name: "timeout", policy: &model.CachePolicy{TTLSeconds: 60, StaleIfErrorSeconds: seconds(300)}, after: 90 * time.Second, mode: upHang, stale: true},
		{name: "HEAD", policy: &model.CachePolicy{TTLSeconds: 60, StaleIfErrorSeconds: seconds(300)}, method: "HEAD", after: 90 * time.Second, mode: 503, stale: true},
		{name: "last second of the window", policy: &model.CachePolicy{TTLSeconds: 60, StaleIfErrorSeconds: seconds(300)}, after: 359 * time.Second, mode: 503, stale: true},
		{name: "window over", policy: &model.CachePolicy{TTLSeconds: 60, StaleIfErrorSeconds: seconds(300)}, after: 360 * time.Second, mode: 503, status: 503},
		{name: "501 is not a failure to hide", policy: &model.CachePolicy{TTLSeconds: 60, StaleIfErrorSeconds: seconds(300)}, after: 90 * time.Second, mode: 501, status: 501},
		{name: "404 passes", policy: &model.CachePolicy{TTLSeconds: 60, StaleIfErrorSeconds: seconds(300)}, after: 90 * time.Second, mode: 404, status: 404},
		{name: "no window", policy: &model.CachePolicy{TTLSeconds: 60}, after: 61 * time.Second, mode: 503, status: 503},
		{name: "upstream stale-if-error", policy: &model.CachePolicy{TTLSeconds: 60}, cc: "max-age=60, stale-if-error=120", after: 179 * time.Second, mode: 503, stale: true},
		{name: "upstream stale-if-error over", policy: &model.CachePolicy{TTLSeconds: 60}, cc: "max-age=60, stale-if-error=120", after: 180 * time.Second, mode: 503, status: 503},
		{name: "policy overrides upstream", policy: &model.CachePolicy{TTLSeconds: 60, StaleIfErrorSeconds: seconds(0)}, cc: "stale-if-error=120", after: 61 * time.Second, mode: 503, status: 503},
		{name: "ignoreCacheControl ignores upstream stale-if-error", policy: &model.CachePolicy{TTLSeconds: 60, IgnoreCacheControl: true}, cc: "stale-if-error=120", after: 61 * time.Second, mode: 503, status: 503},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newStaleHarness(t, tc.policy, tc.cc, nil, nil)
			if w := h.do(t, "GET", "/t/acme/v1/c/1", nil); w.Code != 200 || w.Header().Get("X-Cache") != "MISS" {
				t.Fatalf("fill: %d %q", w.Code, w.Header().Get("X-Cache"))
			}
			h.clock.Advance(tc.after)
			h.up.mode.Store(tc.mode)
			method := tc.method
			if method == "" {
				method = "GET"
			}
			w := h.do(t, method, "/t/acme/v1/c/1", nil)
			st := h.gw.cfg.Cache.EndpointStats("acme")[0]
			if !tc.stale {
				if w.Code != tc.status || w.Header().Get("X-Cache") != "MISS" || st.Stale != 0 {
					t.Fatalf("got %d X-Cache %q (stale count %d), want %d MISS", w.Code, w.Header().Get("X-Cache"), st.Stale, tc.status)
				}
				return
			}
			wantBody := staleBody
			if method == "HEAD" {
				wantBody = ""
			}
			hd := w.Header()
			if w.Code != 200 || hd.Get("X-Cache") != "STALE" || w.Body.String() != wantBody {
				t.Fatalf("got %d X-Cache %q body %q, want the stale entry", w.Code, hd.Get("X-Cache"), w.Body)
			}
			if hd.Get("Age") != strconv.Itoa(int(tc.after/time.Second)) || hd.Get("Content-Type") != "application/json" ||
				hd.Get("X-Upstream-Error") != "" || hd.Get("Warning") != "" || hd.Get("X-Request-Id") == "" {
				t.Fatalf("stale headers %v", hd)
			}
			if st.Stale != 1 || st.Hits != 0 || st.Misses != 1 {
				t.Fatalf("counters %+v: want 1 miss (the fill), 1 stale", st)
			}
		})
	}
}

// TestStaleThenRecovered: while the upstream fails every request gets the
// stale entry (each one tries the upstream); once it recovers the next
// request refills the entry and the one after is a hit.
func TestStaleThenRecovered(t *testing.T) {
	h := newStaleHarness(t, &model.CachePolicy{TTLSeconds: 60, StaleIfErrorSeconds: seconds(600)}, "", nil, nil)
	h.do(t, "GET", "/t/acme/v1/c/1", nil)
	h.clock.Advance(2 * time.Minute)
	h.up.mode.Store(502)
	for i := range 3 {
		if w := h.do(t, "GET", "/t/acme/v1/c/1", nil); w.Header().Get("X-Cache") != "STALE" {
			t.Fatalf("request %d: %d %q", i, w.Code, w.Header().Get("X-Cache"))
		}
	}
	if n := h.up.calls.Load(); n != 4 {
		t.Fatalf("%d upstream calls, want 4 (the fill and one per failed request)", n)
	}
	if !strings.Contains(h.logs.String(), `"cache":"STALE"`) {
		t.Fatalf("access log has no cache STALE: %s", h.logs.String())
	}
	h.up.mode.Store(upOK)
	for _, want := range []string{"MISS", "HIT"} {
		if w := h.do(t, "GET", "/t/acme/v1/c/1", nil); w.Code != 200 || w.Header().Get("X-Cache") != want || w.Header().Get("Age") == "120" {
			t.Fatalf("after recovery: %d %q Age %q, want %s", w.Code, w.Header().Get("X-Cache"), w.Header().Get("Age"), want)
		}
	}
	if st := h.gw.cfg.Cache.EndpointStats("acme")[0]; st.Stale != 3 || st.Misses != 2 || st.Hits != 1 {
		t.Fatalf("counters %+v", st)
	}
}

// TestStaleStampede: concurrent requests for an expired entry while the
// upstream fails all get the stale entry, those that waited on another
// request's failed fill included.
func TestStaleStampede(t *testing.T) {
	const n = 50
	h := newStaleHarness(t, &model.CachePolicy{TTLSeconds: 60, StaleIfErrorSeconds: seconds(600)}, "", nil, nil)
	h.do(t, "GET", "/t/acme/v1/c/1", nil)
	h.clock.Advance(2 * time.Minute)
	h.up.mode.Store(503)
	h.up.gate = make(chan struct{})
	var started, done sync.WaitGroup
	started.Add(n)
	done.Add(n)
	got := make([]string, n)
	for i := range n {
		go func() {
			defer done.Done()
			started.Done()
			w := h.do(t, "GET", "/t/acme/v1/c/1", nil)
			got[i] = strconv.Itoa(w.Code) + " " + w.Header().Get("X-Cache") + " " + w.Body.String()
		}()
	}
	started.Wait()
	close(h.up.gate)
	done.Wait()
	for i, g := range got {
		if g != "200 STALE "+staleBody {
			t.Fatalf("request %d: %s", i, g)
		}
	}
	if st := h.gw.cfg.Cache.EndpointStats("acme")[0]; st.Stale != n {
		t.Fatalf("stale count %d, want %d", st.Stale, n)
	}
}

// TestStaleBreakerOpen: a failure opens the integration's breaker; while
// it is open the gateway answers without calling the upstream, and the
// stale entry answers instead of the 503 circuit-open problem. (The
// breaker trips at half of at least 2 calls failing: the fill and the
// first 500.)
func TestStaleBreakerOpen(t *testing.T) {
	h := newStaleHarness(t, &model.CachePolicy{TTLSeconds: 60, StaleIfErrorSeconds: seconds(600)}, "",
		&model.BreakerPolicy{FailureRatio: 0.5, MinRequests: 2, OpenSeconds: 60}, nil)
	h.do(t, "GET", "/t/acme/v1/c/1", nil)
	h.clock.Advance(2 * time.Minute)
	h.up.mode.Store(500)
	for i := range 2 {
		if w := h.do(t, "GET", "/t/acme/v1/c/1", nil); w.Code != 200 || w.Header().Get("X-Cache") != "STALE" {
			t.Fatalf("request %d: %d %q %s", i, w.Code, w.Header().Get("X-Cache"), w.Body)
		}
	}
	if n := h.up.calls.Load(); n != 2 {
		t.Fatalf("%d upstream calls, want 2: the open breaker keeps the second failure from the upstream", n)
	}
	// Without a stale entry (another path) the open breaker's problem shows.
	if w := h.do(t, "GET", "/t/acme/v1/c/2", nil); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("uncached path with the breaker open: %d", w.Code)
	}
}

// TestStaleFromRedis: two gateway instances share a real Redis as L2. The
// first stores the entry; the second, which never saw it, finds it in
// Redis past its TTL and serves it when the upstream fails.
func TestStaleFromRedis(t *testing.T) {
	srv := redisserver.Start(t)
	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = client.Close() })
	l2 := func(now func() time.Time) cache.Store {
		s, err := cacheredis.New(cacheredis.Config{Client: client, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	p := &model.CachePolicy{TTLSeconds: 60, StaleIfErrorSeconds: seconds(300)}
	a := newStaleHarness(t, p, "", nil, l2)
	if w := a.do(t, "GET", "/t/acme/v1/c/1", nil); w.Header().Get("X-Cache") != "MISS" {
		t.Fatalf("fill on a: %q", w.Header().Get("X-Cache"))
	}
	b := newStaleHarness(t, p, "", nil, l2)
	b.up.mode.Store(503)
	b.clock.Advance(a.clock.Now().Sub(b.clock.Now()) + 90*time.Second)
	w := b.do(t, "GET", "/t/acme/v1/c/1", nil)
	if w.Code != 200 || w.Header().Get("X-Cache") != "STALE" || w.Body.String() != staleBody || w.Header().Get("Age") != "90" {
		t.Fatalf("b: %d %q Age %q %q", w.Code, w.Header().Get("X-Cache"), w.Header().Get("Age"), w.Body)
	}
	keys, err := client.Keys(context.Background(), "portico:cache:acme:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("entry keys %v, %v", keys, err)
	}
	// Redis keeps the entry for its TTL plus the stale window (real time:
	// Redis's clock, not the test's).
	if ttl, err := client.PTTL(context.Background(), keys[0]).Result(); err != nil || ttl <= 5*time.Minute {
		t.Fatalf("Redis PTTL %v, %v: want the TTL plus the stale window", ttl, err)
	}
}
