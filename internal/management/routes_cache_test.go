package management

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/cache"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
)

// testCache is the response cache of newEnv's handler: the one a local
// gateway would share.
func testCache(t testing.TB) *cache.Cache {
	t.Helper()
	c, err := cache.New(cache.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPurgeCache(t *testing.T) {
	e := newEnv(t)
	c := e.h.cfg.Cache.(*cache.Cache)
	put := func(key, ver, path string) {
		c.Set(context.Background(), key, &cache.Entry{Status: 200, StoredAt: time.Now(), TTL: time.Hour,
			Tenant: tenantA, API: "orders", Version: ver, Path: path})
	}
	tests := []struct {
		name, body, wantPath string
		status, purged       int
	}{
		{"path without version", `{"path":"/orders/items"}`, "/v1/orders/items", 200, 1},
		{"path with version, unclean", `{"path":"//v1/orders/items/"}`, "/v1/orders/items", 200, 1},
		{"whole version", ``, "", 200, 2},
		{"bad path", `{"path":"orders"}`, "", 400, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			put(tenantA+":a", "v1", "/v1/orders/items")
			put(tenantA+":b", "v1", "/v1/orders/other")
			put(tenantA+":c", "v2", "/v2/orders/items")
			r := httptest.NewRequest("POST", prefix+"/apis/orders/versions/v1/cache/purge", strings.NewReader(tc.body))
			r.Header.Set("Authorization", "Bearer "+e.token(tenantA, identity.RoleDeveloper))
			if tc.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, body %s", w.Code, w.Body)
			}
			if tc.status != 200 {
				return
			}
			var out purgeResult
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.Purged != tc.purged || out.Path != tc.wantPath {
				t.Fatalf("result %+v (%v), want %d purged at %q", out, err, tc.purged, tc.wantPath)
			}
			if c.Get(context.Background(), tenantA+":c") == nil {
				t.Fatal("another version's entry was purged")
			}
			audit, _, err := e.cat.ListAudit(context.Background(), tenantA, catalog.AuditFilter{ResourceType: "cache", Limit: 1})
			if err != nil || len(audit) != 1 || audit[0].Action != "purge" || audit[0].Resource != "api/orders/version/v1/cache" {
				t.Fatalf("audit %+v, %v", audit, err)
			}
		})
	}
	r := httptest.NewRequest("POST", prefix+"/apis/orders/versions/v9/cache/purge", nil)
	r.Header.Set("Authorization", "Bearer "+e.token(tenantA, identity.RoleDeveloper))
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if w.Code != http.StatusNotFound {
		t.Fatalf("unknown version: %d", w.Code)
	}
}

func TestPurgeTenantCache(t *testing.T) {
	e := newEnv(t)
	c := e.h.cfg.Cache.(*cache.Cache)
	put := func(tenant, key string, tags ...string) {
		c.Set(context.Background(), tenant+":"+key, &cache.Entry{Status: 200, StoredAt: time.Now(), TTL: time.Hour,
			Tenant: tenant, API: "orders", Version: "v1", Path: "/v1/orders/" + key, Tags: tags})
	}
	tests := []struct {
		name, body string
		status     int
		purged     int
		left       []string // keys of tenant A still cached
	}{
		{"by tag", `{"tag":"orders"}`, 200, 2, []string{"c"}},
		{"whole tenant", ``, 200, 3, nil},
		{"bad tag", `{"tag":"a b"}`, 400, 0, []string{"a", "b", "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			put(tenantA, "a", "orders", "order-a")
			put(tenantA, "b", "orders")
			put(tenantA, "c", "users")
			put(tenantB, "a", "orders")
			r := httptest.NewRequest("POST", prefix+"/cache/purge", strings.NewReader(tc.body))
			r.Header.Set("Authorization", "Bearer "+e.token(tenantA, identity.RoleDeveloper))
			if tc.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, body %s", w.Code, w.Body)
			}
			if tc.status == 200 {
				var out tenantPurgeResult
				if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.Purged != tc.purged {
					t.Fatalf("result %+v (%v), want %d purged", out, err, tc.purged)
				}
			}
			for _, k := range []string{"a", "b", "c"} {
				want := false
				for _, l := range tc.left {
					want = want || l == k
				}
				if got := c.Get(context.Background(), tenantA+":"+k) != nil; got != want {
					t.Errorf("%s cached=%v, want %v", k, got, want)
				}
			}
			if c.Get(context.Background(), tenantB+":a") == nil {
				t.Fatal("another tenant's entry was purged")
			}
		})
	}
}

func TestCacheStats(t *testing.T) {
	e := newEnv(t)
	c := e.h.cfg.Cache.(*cache.Cache)
	c.Set(context.Background(), tenantA+":a", &cache.Entry{Status: 200, StoredAt: time.Now(), TTL: time.Hour,
		Tenant: tenantA, API: "orders", Version: "v1", Path: "/v1/orders/a", Endpoint: "get-order"})
	c.Endpoint(tenantA, "get-order").Hit()
	c.Endpoint(tenantA, "get-order").Stale()
	c.Endpoint(tenantB, "theirs").Miss()
	r := httptest.NewRequest("GET", prefix+"/cache/stats", nil)
	r.Header.Set("Authorization", "Bearer "+e.token(tenantA, identity.RoleViewer))
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("status %d, body %s", w.Code, w.Body)
	}
	var out struct {
		Scope     string
		Endpoints []map[string]any
		Cluster   struct {
			Source, Namespace string
			Dimensions        [][]string
			Metrics           []string
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Scope != "instance" || len(out.Endpoints) != 1 {
		t.Fatalf("stats %s: want tenant A's one endpoint", w.Body)
	}
	ep := out.Endpoints[0]
	if c := out.Cluster; c.Source != "cloudwatch" || len(c.Dimensions) != 2 || !slices.Contains(c.Metrics, "CacheStale") {
		t.Fatalf("cluster metrics %+v", c)
	}
	if ep["endpoint"] != "get-order" || ep["hits"] != 1.0 || ep["stale"] != 1.0 || ep["stored"] != 1.0 || ep["entries"] != 1.0 || ep["bytes"].(float64) <= 0 {
		t.Fatalf("endpoint stats %v", ep)
	}
}
