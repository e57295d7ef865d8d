package gateway

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/integration"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
)

// TestDispatchThroughEngine: an integration's retry policy is applied by
// the gateway when it has an integration engine.
func TestDispatchThroughEngine(t *testing.T) {
	var calls atomic.Int64
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(flaky.Close)

	fwd := proxy.New(proxy.Config{Logger: discardLogger()})
	eng, err := integration.New(integration.Config{Forwarder: fwd, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *Config) { c.Forwarder, c.Integrations = fwd, eng })
	cfg := testConfig("acme", 2, h.up)
	cfg.Integrations = append(cfg.Integrations, model.Integration{Slug: "flaky", Type: model.IntegrationHTTP, URL: flaky.URL,
		Retry: &model.RetryPolicy{MaxAttempts: 3}})
	cfg.Endpoints = append(cfg.Endpoints, model.Endpoint{ID: "flaky", API: "shop", Version: "v1", Method: "GET", Path: "/flaky",
		Target: model.Target{Type: model.TargetIntegration, Integration: "flaky"}})
	h.src.set(cfg)

	w := h.do(t, "GET", "/t/acme/v1/flaky", nil)
	if w.Code != http.StatusOK || calls.Load() != 2 {
		t.Fatalf("status %d after %d upstream calls, want 200 after 2", w.Code, calls.Load())
	}
	if hl, ok := eng.Health("acme", "flaky"); !ok || hl.Breaker != "none" {
		t.Errorf("health %+v %v", hl, ok)
	}
}
