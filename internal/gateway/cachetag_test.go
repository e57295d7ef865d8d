package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/cache"
	"github.com/portico/portico/internal/model"
)

func TestResponseTags(t *testing.T) {
	long := strings.Repeat("x", maxCacheTagLen+1)
	tests := []struct {
		name   string
		config []string
		h      http.Header
		want   []string
	}{
		{"none", nil, http.Header{}, nil},
		{"config first", []string{"c", "a"}, http.Header{"Cache-Tag": {"a, b"}}, []string{"c", "a", "b"}},
		{"cache-tag", nil, http.Header{"Cache-Tag": {"orders, order-1,,orders"}}, []string{"orders", "order-1"}},
		{"surrogate-key", nil, http.Header{"Surrogate-Key": {"a  b a"}}, []string{"a", "b"}},
		{"both", nil, http.Header{"Cache-Tag": {"a"}, "Surrogate-Key": {"b a"}}, []string{"a", "b"}},
		{"bad dropped", nil, http.Header{"Cache-Tag": {"ok," + long + ",c\x01d"}}, []string{"ok"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := responseTags(tc.config, tc.h); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("responseTags = %q, want %q", got, tc.want)
			}
		})
	}
	var many strings.Builder
	for i := range maxCacheTags + 5 {
		many.WriteString("t" + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + " ")
	}
	if got := responseTags([]string{"cfg"}, http.Header{"Surrogate-Key": {many.String()}}); len(got) != maxCacheTags {
		t.Fatalf("%d tags kept, want %d", len(got), maxCacheTags)
	}
}

// TestCachePurgeByTag: entries are tagged from the upstream's Cache-Tag
// header, and a tag purge removes exactly the tenant's entries holding it.
func TestCachePurgeByTag(t *testing.T) {
	h := newCacheHarness(t, &model.CachePolicy{TTLSeconds: 600}, nil, nil)
	h.up.set(200, `{}`, "Cache-Tag", "product-1, products")
	// Every entry of acme's c also gets the policy's tag (globex keeps the
	// policy without it).
	cfg := cacheConfig("acme", 2, h.src.cfgs["acme"].Integrations[0].URL, &model.CachePolicy{TTLSeconds: 600, Tags: []string{"shop-c"}}, nil)
	h.src.set(cfg)
	h.clock.Advance(3 * time.Second)
	for _, tn := range []string{"acme", "globex"} {
		h.do(t, "GET", "/t/"+tn+"/v1/c/1", nil)
	}
	h.up.set(200, `{}`, "Cache-Tag", "product-2, products")
	h.do(t, "GET", "/t/acme/v1/c/2", nil)
	h.up.set(200, `{}`)
	h.do(t, "GET", "/t/acme/v1/c/3", nil)
	hit := func(tenant, id string) bool {
		return h.do(t, "GET", "/t/"+tenant+"/v1/c/"+id, nil).Header().Get("X-Cache") == "HIT"
	}
	n, err := h.gw.cfg.Cache.Purge(context.Background(), cache.Selector{Tenant: "acme", Tag: "product-1"})
	if err != nil || n != 1 {
		t.Fatalf("purge product-1 = %d, %v", n, err)
	}
	if hit("acme", "1") || !hit("acme", "2") || !hit("acme", "3") || !hit("globex", "1") {
		t.Fatal("tag purge removed the wrong entries")
	}
	// acme/1 was just refilled untagged (the upstream no longer tags it).
	if n, err := h.gw.cfg.Cache.Purge(context.Background(), cache.Selector{Tenant: "acme", Tag: "products"}); err != nil || n != 1 {
		t.Fatalf("purge products = %d, %v", n, err)
	}
	if hit("acme", "2") || !hit("acme", "3") || !hit("globex", "1") {
		t.Fatal("tag purge removed the wrong entries")
	}
	// The policy's tag: every acme entry of c (1 and 2 were refilled by
	// the checks above).
	if n, err := h.gw.cfg.Cache.Purge(context.Background(), cache.Selector{Tenant: "acme", Tag: "shop-c"}); err != nil || n != 3 {
		t.Fatalf("purge shop-c = %d, %v", n, err)
	}
	if hit("acme", "1") || hit("acme", "2") || hit("acme", "3") || !hit("globex", "1") {
		t.Fatal("policy tag purge removed the wrong entries")
	}
	// A tenant purge removes the rest of the tenant, and nothing of globex.
	if _, err := h.gw.cfg.Cache.Purge(context.Background(), cache.Selector{Tenant: "acme"}); err != nil {
		t.Fatal(err)
	}
	if hit("acme", "3") || !hit("globex", "1") {
		t.Fatal("tenant purge removed the wrong entries")
	}
}

// TestCacheEndpointMetrics: hits, misses, stored entries and L1 bytes are
// counted per endpoint and tenant.
func TestCacheEndpointMetrics(t *testing.T) {
	h := newCacheHarness(t, &model.CachePolicy{TTLSeconds: 600}, nil, nil)
	for range 3 {
		h.do(t, "GET", "/t/acme/v1/c/1", nil)
	}
	h.do(t, "GET", "/t/acme/v1/c/2", nil)
	h.do(t, "HEAD", "/t/acme/v1/c/3", nil)
	h.do(t, "GET", "/t/globex/v1/c/1", nil)
	st := h.gw.cfg.Cache.EndpointStats("acme")
	if len(st) != 1 {
		t.Fatalf("acme endpoints %+v, want c only", st)
	}
	c := st[0]
	if c.Endpoint != "c" || c.Hits != 2 || c.Misses != 3 || c.Stored != 2 || c.Entries != 2 || c.Bytes <= 0 {
		t.Fatalf("acme c: %+v, want 2 hits, 3 misses, 2 stored", c)
	}
	if g := h.gw.cfg.Cache.EndpointStats("globex"); len(g) != 1 || g[0].Misses != 1 || g[0].Hits != 0 {
		t.Fatalf("globex: %+v", g)
	}
}

// TestCacheAccessLogField: the access line carries cache=HIT|MISS on a
// cached endpoint, and no cache field when the request bypassed the cache.
func TestCacheAccessLogField(t *testing.T) {
	h := newCacheHarness(t, &model.CachePolicy{TTLSeconds: 600}, nil, nil)
	h.do(t, "GET", "/t/acme/v1/c/1", nil)
	h.do(t, "GET", "/t/acme/v1/c/1", nil)
	h.do(t, "GET", "/t/acme/v1/c/1", nil, "Range", "bytes=0-1")
	var got []any
	for l := range strings.Lines(h.logs.String()) {
		if strings.Contains(l, `"msg":"access"`) {
			var rec map[string]any
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Fatal(err)
			}
			got = append(got, rec["cache"])
		}
	}
	if want := []any{"MISS", "HIT", nil}; !reflect.DeepEqual(got, want) {
		t.Fatalf("cache fields %v, want %v", got, want)
	}
}
