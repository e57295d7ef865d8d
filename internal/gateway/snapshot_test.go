package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
	"github.com/portico/portico/internal/store/bolt"
)

func wantCalls(t *testing.T, src *fakeSource, version, load int64) {
	t.Helper()
	if v, l := src.calls(); v != version || l != load {
		t.Errorf("store calls: ConfigVersion %d, LoadTenantConfig %d; want %d, %d", v, l, version, load)
	}
}

func TestSteadyStateReadsNothing(t *testing.T) {
	h := newHarness(t, nil)
	decodeEcho(t, h.do(t, "GET", "/t/acme/v1/items/1", nil))
	wantCalls(t, h.src, 1, 1)
	h.src.resetCalls()
	for range 1000 {
		if w := h.do(t, "GET", "/t/acme/v1/items/1", nil); w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
	}
	wantCalls(t, h.src, 0, 0)
}

func TestRevalidation(t *testing.T) {
	h := newHarness(t, nil)
	decodeEcho(t, h.do(t, "GET", "/t/acme/v1/items/1", nil))
	h.src.resetCalls()

	// Just inside the interval: still fresh.
	h.clock.Advance(2*time.Second - time.Nanosecond)
	h.do(t, "GET", "/t/acme/v1/items/1", nil)
	wantCalls(t, h.src, 0, 0)

	// Past it, unchanged: one version read, no load, and fresh again after.
	h.clock.Advance(time.Nanosecond)
	for range 100 {
		h.do(t, "GET", "/t/acme/v1/items/1", nil)
	}
	wantCalls(t, h.src, 1, 0)

	// A change: the new route is served after exactly one reload.
	cfg := testConfig("acme", 2, h.up)
	cfg.Endpoints = append(cfg.Endpoints, model.Endpoint{ID: "new", API: "shop", Version: "v1", Method: "GET", Path: "/new",
		Target: model.Target{Type: model.TargetIntegration, Integration: "other"}})
	h.src.set(cfg)
	h.src.resetCalls()
	if w := h.do(t, "GET", "/t/acme/v1/new", nil); w.Code != http.StatusNotFound {
		t.Errorf("new route served before the interval passed: %d", w.Code)
	}
	h.clock.Advance(2 * time.Second)
	for range 100 {
		if e := decodeEcho(t, h.do(t, "GET", "/t/acme/v1/new", nil)); e.Upstream != "other" {
			t.Fatalf("new route reached %s", e.Upstream)
		}
	}
	wantCalls(t, h.src, 1, 1)
}

func TestConcurrentFirstRequestsLoadOnce(t *testing.T) {
	h := newHarness(t, nil)
	h.src.block = make(chan struct{})
	const n = 64
	var wg sync.WaitGroup
	codes := make(chan int, n)
	for range n {
		wg.Go(func() { codes <- h.do(t, "GET", "/t/acme/v1/items", nil).Code })
	}
	close(h.src.block)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Errorf("status %d", c)
		}
	}
	wantCalls(t, h.src, 1, 1)
}

func TestUnknownTenantCachedNegatively(t *testing.T) {
	h := newHarness(t, nil)
	h.do(t, "GET", "/t/ghost/v1/items", nil)
	wantCalls(t, h.src, 1, 0)
	h.src.resetCalls()
	for range 1000 {
		if w := h.do(t, "GET", "/t/ghost/v1/items", nil); w.Code != http.StatusNotFound {
			t.Fatalf("status %d", w.Code)
		}
	}
	wantCalls(t, h.src, 0, 0)

	// The tenant appears: served once the negative entry is revalidated.
	h.src.set(testConfig("ghost", 1, h.up))
	h.clock.Advance(2 * time.Second)
	decodeEcho(t, h.do(t, "GET", "/t/ghost/v1/items", nil))
	wantCalls(t, h.src, 1, 1)
}

func TestNegativeCacheBounded(t *testing.T) {
	h := newHarness(t, nil)
	h.gw.snaps.maxNeg = 50
	decodeEcho(t, h.do(t, "GET", "/t/acme/v1/items", nil))
	for i := range 1000 {
		h.do(t, "GET", fmt.Sprintf("/t/ghost-%d/v1/items", i), nil)
		s := h.gw.snaps
		s.mu.RLock()
		entries, neg := len(s.entries), s.negative
		s.mu.RUnlock()
		if neg > s.maxNeg || entries > s.maxNeg+1 {
			t.Fatalf("after %d unknown tenants: %d entries, %d negative; bound %d", i+1, entries, neg, s.maxNeg)
		}
	}
	// The known tenant survived the purges.
	h.src.resetCalls()
	decodeEcho(t, h.do(t, "GET", "/t/acme/v1/items", nil))
	wantCalls(t, h.src, 0, 0)
}

func TestStoreErrors(t *testing.T) {
	t.Run("with a snapshot keeps serving", func(t *testing.T) {
		h := newHarness(t, nil)
		decodeEcho(t, h.do(t, "GET", "/t/acme/v1/items", nil))
		h.src.setErr(errStoreDown)
		h.src.resetCalls()
		h.clock.Advance(2 * time.Second)
		for range 100 {
			decodeEcho(t, h.do(t, "GET", "/t/acme/v1/items", nil))
		}
		// One failed revalidation, then a back-off of one interval.
		wantCalls(t, h.src, 1, 0)
		h.src.setErr(nil)
		h.clock.Advance(2 * time.Second)
		decodeEcho(t, h.do(t, "GET", "/t/acme/v1/items", nil))
		wantCalls(t, h.src, 2, 0)
	})
	t.Run("without a snapshot answers 503", func(t *testing.T) {
		h := newHarness(t, nil)
		h.src.setErr(errStoreDown)
		w := h.do(t, "GET", "/t/acme/v1/items", nil)
		if w.Code != http.StatusServiceUnavailable {
			t.Fatalf("status = %d, body %s", w.Code, w.Body)
		}
		p := problemBody(t, w)
		if p["type"] != "https://portico.dev/problems/config-unavailable" || w.Header().Get("Retry-After") != "1" {
			t.Errorf("problem %v, Retry-After %q", p, w.Header().Get("Retry-After"))
		}
		if body := w.Body.String(); strings.Contains(body, errStoreDown.Error()) {
			t.Errorf("problem leaks internals: %s", body)
		}
		h.src.setErr(nil)
		decodeEcho(t, h.do(t, "GET", "/t/acme/v1/items", nil))
	})
	t.Run("load error after version read", func(t *testing.T) {
		h := newHarness(t, nil)
		src := &failingLoad{fakeSource: h.src}
		h.gw.snaps.src = src
		w := h.do(t, "GET", "/t/acme/v1/items", nil)
		if w.Code != http.StatusServiceUnavailable {
			t.Fatalf("status = %d", w.Code)
		}
	})
}

type failingLoad struct{ *fakeSource }

func (f *failingLoad) LoadTenantConfig(ctx context.Context, tenant string) (*catalog.TenantConfig, error) {
	return nil, errStoreDown
}

// TestWithCatalog runs the gateway on a real catalog over a bolt store.
func TestWithCatalog(t *testing.T) {
	if testing.Short() {
		t.Skip("bolt store")
	}
	ctx := context.Background()
	st, err := bolt.Open(ctx, bolt.Config{Path: filepath.Join(t.TempDir(), "portico.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	cat, err := catalog.New(catalog.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	up := echoUpstream(t, "main")
	actor := catalog.Actor{Subject: "test"}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(cat.CreateTenant(ctx, actor, &model.Tenant{ID: "acme", Name: "Acme"}))
	must(cat.CreateAPI(ctx, "acme", actor, &model.API{Slug: "shop", Name: "Shop", BasePath: "/shop"}))
	must(cat.CreateVersion(ctx, "acme", actor, "shop", &model.Version{Name: "v1"}))
	must(cat.CreateIntegration(ctx, "acme", actor, &model.Integration{Slug: "main", Name: "Main", Type: model.IntegrationHTTP, URL: up.URL}))
	must(cat.CreateEndpoint(ctx, "acme", actor, &model.Endpoint{API: "shop", Version: "v1", Method: "GET", Path: "/items/{id}",
		Target: model.Target{Type: model.TargetIntegration, Integration: "main", Path: "/items/{id}"}}))

	src := &countingSource{src: cat}
	clock := newFakeClock()
	gw, err := New(Config{Source: src, Forwarder: proxy.New(proxy.Config{}), Now: clock.Now, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{gw: gw, clock: clock}
	calls := func() (int64, int64) { return src.versionCalls.Load(), src.loadCalls.Load() }

	// Draft: not routed.
	if w := h.do(t, "GET", "/t/acme/v1/shop/items/1", nil); w.Code != http.StatusNotFound {
		t.Fatalf("draft version: status %d", w.Code)
	}
	must(cat.UpdateVersion(ctx, "acme", actor, "shop", "v1", 0, "publish", func(v *model.Version) error {
		v.Status = model.StatusPublished
		return nil
	}))
	clock.Advance(2 * time.Second)
	if e := decodeEcho(t, h.do(t, "GET", "/t/acme/v1/shop/items/1", nil)); e.Path != "/items/1" {
		t.Errorf("upstream path %q", e.Path)
	}
	v0, l0 := calls()
	for range 1000 {
		h.do(t, "GET", "/t/acme/v1/shop/items/1", nil)
	}
	clock.Advance(2 * time.Second)
	h.do(t, "GET", "/t/acme/v1/shop/items/1", nil)
	if v, l := calls(); v != v0+1 || l != l0 {
		t.Errorf("1001 requests over one interval: %d version reads, %d loads; want 1, 0", v-v0, l-l0)
	}

	// Deprecate: headers appear after one reload.
	must(cat.UpdateVersion(ctx, "acme", actor, "shop", "v1", 0, "deprecate", func(v *model.Version) error {
		v.Status = model.StatusDeprecated
		return nil
	}))
	clock.Advance(2 * time.Second)
	w := h.do(t, "GET", "/t/acme/v1/shop/items/1", nil)
	if w.Code != http.StatusOK || w.Header().Get("Deprecation") == "" {
		t.Errorf("deprecated: status %d, Deprecation %q", w.Code, w.Header().Get("Deprecation"))
	}

	// Retire: 410.
	must(cat.UpdateVersion(ctx, "acme", actor, "shop", "v1", 0, "retire", func(v *model.Version) error {
		v.Status = model.StatusRetired
		return nil
	}))
	clock.Advance(2 * time.Second)
	if w := h.do(t, "GET", "/t/acme/v1/shop/items/1", nil); w.Code != http.StatusGone {
		t.Errorf("retired: status %d", w.Code)
	}
	if v, l := calls(); l-l0 != 2 {
		t.Errorf("%d loads for 2 changes (%d version reads)", l-l0, v-v0)
	}

	// Unknown tenant through the real catalog: cached negatively.
	h.do(t, "GET", "/t/ghost/v1/shop/items/1", nil)
	v1, l1 := calls()
	for range 100 {
		h.do(t, "GET", "/t/ghost/v1/shop/items/1", nil)
	}
	if v, l := calls(); v != v1 || l != l1 {
		t.Errorf("unknown tenant re-read the store: %d version reads, %d loads", v-v1, l-l1)
	}
	if !errors.Is(func() error { _, err := cat.ConfigVersion(ctx, "ghost"); return err }(), catalog.ErrNotFound) {
		t.Error("catalog does not report unknown tenants as ErrNotFound")
	}
}

// TestLateFlightReusesFreshSnapshot: a request that missed the cache just
// before another request's flight stored the snapshot starts a flight of
// its own; that flight must not read the store again.
func TestLateFlightReusesFreshSnapshot(t *testing.T) {
	h := newHarness(t, nil)
	first, err := h.gw.snaps.get(t.Context(), "acme", h.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	h.src.resetCalls()
	late, err := h.gw.snaps.refresh(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if late != first {
		t.Error("late flight built a new snapshot")
	}
	wantCalls(t, h.src, 0, 0)
}
