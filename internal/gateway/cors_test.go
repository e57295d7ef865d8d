package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
)

// leakyUpstream answers 200 {"ok":true} with headers a careless upstream
// sends (its own CORS answer, its software), counting calls.
func leakyUpstream(t testing.TB, calls *atomic.Int64) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Access-Control-Allow-Origin", "https://evil.example")
		w.Header().Set("Server", "nginx/1.2.3")
		w.Header().Set("X-Powered-By", "PHP/5.1")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(s.Close)
	return s
}

// withConfig replaces acme's configuration by testConfig with main
// pointing at mainURL and the endpoints changed by mutate.
func withConfig(t testing.TB, h *harness, mainURL string, mutate func(*catalog.TenantConfig)) {
	t.Helper()
	up := h.up
	up.main = mainURL
	cfg := testConfig("acme", 2, up)
	mutate(cfg)
	h.src.set(cfg)
}

func endpointAt(cfg *catalog.TenantConfig, method, path string) *model.Endpoint {
	for i := range cfg.Endpoints {
		if e := &cfg.Endpoints[i]; e.Method == method && e.Path == path && e.Version == "v1" && e.API == "shop" {
			return e
		}
	}
	panic("no endpoint " + method + " " + path)
}

func TestCORS(t *testing.T) {
	strict := &model.CORSPolicy{
		AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"GET", "POST"},
		AllowHeaders: []string{"Content-Type", "Authorization"}, ExposeHeaders: []string{"X-Total"},
		AllowCredentials: true, MaxAgeSeconds: 600,
	}
	star := &model.CORSPolicy{AllowOrigins: []string{"*"}}
	tests := []struct {
		name     string
		method   string
		target   string
		hdr      []string
		status   int
		upstream int64
		want     map[string]string // header -> value ("" means absent)
	}{
		{"preflight allowed, before auth", "OPTIONS", "/t/acme/v1/secure", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization"},
			204, 0, map[string]string{"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Credentials": "true",
				"Access-Control-Allow-Methods": "GET, POST", "Access-Control-Allow-Headers": "Content-Type, Authorization", "Access-Control-Max-Age": "600"}},
		{"preflight other method of the path", "OPTIONS", "/t/acme/v1/items", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "POST"},
			204, 0, map[string]string{"Access-Control-Allow-Origin": "https://app.example.com"}},
		{"preflight origin case-insensitive", "OPTIONS", "/t/acme/v1/items", []string{"Origin", "https://APP.example.com", "Access-Control-Request-Method", "GET"},
			204, 0, map[string]string{"Access-Control-Allow-Origin": "https://APP.example.com"}},
		{"preflight disallowed origin", "OPTIONS", "/t/acme/v1/items", []string{"Origin", "https://evil.example", "Access-Control-Request-Method", "GET"},
			403, 0, map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": ""}},
		{"preflight disallowed header", "OPTIONS", "/t/acme/v1/items", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "x-secret"},
			403, 0, map[string]string{"Access-Control-Allow-Origin": ""}},
		{"preflight method the route lacks", "OPTIONS", "/t/acme/v1/items", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "PATCH"},
			403, 0, map[string]string{"Access-Control-Allow-Origin": ""}},
		{"preflight unknown route", "OPTIONS", "/t/acme/v1/nope", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "GET"},
			404, 0, map[string]string{"Access-Control-Allow-Origin": ""}},
		{"preflight endpoint without cors", "OPTIONS", "/t/acme/v1/public", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "GET"},
			405, 0, map[string]string{"Access-Control-Allow-Origin": ""}},
		{"preflight star reflects headers", "OPTIONS", "/t/acme/v1/files/a", []string{"Origin", "https://x.example", "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "x-one"},
			204, 0, map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "x-one", "Access-Control-Allow-Credentials": ""}},
		{"actual allowed, upstream CORS replaced", "GET", "/t/acme/v1/items", []string{"Origin", "https://app.example.com"},
			200, 1, map[string]string{"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Credentials": "true",
				"Access-Control-Expose-Headers": "X-Total", "Vary": "Origin"}},
		{"actual disallowed: no CORS headers", "GET", "/t/acme/v1/items", []string{"Origin", "https://evil.example"},
			200, 1, map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"}},
		{"actual without origin", "GET", "/t/acme/v1/items", nil,
			200, 1, map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"}},
		{"actual error still readable by the page", "GET", "/t/acme/v1/secure", []string{"Origin", "https://app.example.com"},
			503, 0, map[string]string{"Access-Control-Allow-Origin": "https://app.example.com"}},
		{"api default applies", "GET", "/t/acme/v1/orders/7/lines/1", []string{"Origin", "https://orders.example"},
			200, 0, map[string]string{"Access-Control-Allow-Origin": "https://orders.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			var calls atomic.Int64
			up := leakyUpstream(t, &calls)
			withConfig(t, h, up.URL, func(cfg *catalog.TenantConfig) {
				for _, p := range [][2]string{{"GET", "/items"}, {"POST", "/items"}, {"GET", "/secure"}} {
					endpointAt(cfg, p[0], p[1]).Policies.CORS = strict
				}
				endpointAt(cfg, "GET", "/files/{path+}").Policies.CORS = star
				cfg.APIs[1].CORS = &model.CORSPolicy{AllowOrigins: []string{"https://orders.example"}}
			})
			w := h.do(t, tt.method, tt.target, nil, tt.hdr...)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if got := calls.Load(); got != tt.upstream {
				t.Errorf("upstream calls = %d, want %d", got, tt.upstream)
			}
			for k, v := range tt.want {
				if got := strings.Join(w.Header().Values(k), ", "); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if w.Code == 403 {
				problemBody(t, w)
			}
		})
	}
}

func TestCORSPreflightUnknownTenant(t *testing.T) {
	h := newHarness(t, nil)
	w := h.do(t, "OPTIONS", "/t/nobody/v1/items", nil, "Origin", "https://app.example.com", "Access-Control-Request-Method", "GET")
	if w.Code != 404 || w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("status %d, headers %v", w.Code, w.Header())
	}
}
