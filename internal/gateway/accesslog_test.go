package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
)

func TestAccessLogAPIVersionUpstreamLatency(t *testing.T) {
	tests := []struct {
		name     string
		target   string
		status   int
		api, ver string
		upstream any // float64 ms, or nil when no upstream was called
	}{
		{"proxied", "/t/acme/v1/items", 200, "shop", "v1", 7.0},
		{"base path api", "/t/acme/v1/orders/1/lines/2", 200, "orders", "v1", 7.0},
		{"no route", "/t/acme/v1/nope", 404, "", "", nil},
		{"refused before the upstream", "/t/acme/v1/secure", 503, "shop", "v1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.clock.Advance(7 * time.Millisecond) // the upstream takes 7ms
				_, _ = w.Write([]byte("{}"))
			}))
			t.Cleanup(up.Close)
			withConfig(t, h, up.URL, func(cfg *catalog.TenantConfig) {
				cfg.Integrations[1].URL = up.URL // "other", behind the orders API
			})
			if w := h.do(t, "GET", tt.target, nil); w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			var rec map[string]any
			for l := range strings.Lines(h.logs.String()) {
				if strings.Contains(l, `"msg":"access"`) {
					if err := json.Unmarshal([]byte(l), &rec); err != nil {
						t.Fatal(err)
					}
				}
			}
			if rec == nil {
				t.Fatalf("no access line in %s", h.logs)
			}
			str := func(k string) string { s, _ := rec[k].(string); return s }
			if str("api") != tt.api || str("version") != tt.ver {
				t.Errorf("api, version = %q, %q; want %q, %q", str("api"), str("version"), tt.api, tt.ver)
			}
			if rec["upstreamLatencyMs"] != tt.upstream {
				t.Errorf("upstreamLatencyMs = %v, want %v", rec["upstreamLatencyMs"], tt.upstream)
			}
			if tt.upstream != nil && rec["latencyMs"].(float64) < tt.upstream.(float64) {
				t.Errorf("latencyMs %v below the upstream's %v", rec["latencyMs"], tt.upstream)
			}
		})
	}
}
