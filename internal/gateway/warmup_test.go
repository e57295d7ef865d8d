package gateway

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/wasmhost"
)

// warmConfig is testConfig at version plus POST /warm, whose response goes
// through the wasm transform "echo".
func warmConfig(h *harness, version int64, code []byte) *catalog.TenantConfig {
	cfg := testConfig("acme", version, h.up)
	// "unused" is publishable but no endpoint runs it: not warmed.
	cfg.Transforms = []model.Transform{wasmTransform("echo", code), wasmTransform("unused", wasmGuestErr)}
	cfg.Modules = map[string][]byte{wasmhost.Hash(code): code, wasmhost.Hash(wasmGuestErr): wasmGuestErr}
	ep := model.Endpoint{ID: "warm", API: "shop", Version: "v1", Method: "POST", Path: "/warm",
		Target: model.Target{Type: model.TargetIntegration, Integration: "main"}}
	ep.Policies.ResponseTransforms = []model.TransformRef{{Transform: "echo"}}
	cfg.Endpoints = append(cfg.Endpoints, ep)
	return cfg
}

// TestWarmupOnSnapshot: a gateway instance that learns of a new
// configuration (a publish) loads its wasm modules in the background, so
// the first request of the transformed endpoint compiles nothing; a later
// configuration version keeps the loaded module.
func TestWarmupOnSnapshot(t *testing.T) {
	var compiles atomic.Int32
	host, err := wasmhost.New(context.Background(), wasmhost.Config{OnCompile: func(string, time.Duration) { compiles.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Close(context.Background()) })
	h := newHarness(t, func(c *Config) { c.Wasm = host })
	h.src.set(warmConfig(h, 2, wasmEcho))

	snapshotNow := func() *snapshot {
		t.Helper()
		// Any request of the tenant refreshes the snapshot; it does not
		// wait for the warm-up.
		if w := h.do(t, "GET", "/t/acme/v1/items", nil); w.Code != http.StatusOK {
			t.Fatalf("GET /items: %d %s", w.Code, w.Body)
		}
		snap, err := h.gw.snaps.get(t.Context(), "acme", h.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		<-snap.warmed
		return snap
	}
	snap := snapshotNow()
	if n := compiles.Load(); n != 1 {
		t.Fatalf("warm-up compiled %d modules, want 1", n)
	}
	units := map[string]*wasmUnit{}
	for _, u := range snap.wasm {
		units[u.opt.Name] = u
	}
	if len(units) != 2 || units["echo"].mod == nil || units["unused"].mod != nil {
		t.Fatal("the warm-up did not load exactly the routed module")
	}

	w := h.do(t, "POST", "/t/acme/v1/warm", strings.NewReader(`{"a":1}`), "Content-Type", "application/json")
	if w.Code != http.StatusOK {
		t.Fatalf("POST /warm: %d %s", w.Code, w.Body)
	}
	if n := compiles.Load(); n != 1 {
		t.Fatalf("the first request compiled: %d compiles, want 1", n)
	}

	// Another publish: a new snapshot, the same loaded module.
	h.src.set(warmConfig(h, 3, wasmEcho))
	h.clock.Advance(3 * time.Second)
	next := snapshotNow()
	if next == snap || next.version != 3 {
		t.Fatalf("snapshot version %d, want a new one at 3", next.version)
	}
	carried := false
	for _, u := range next.wasm {
		carried = carried || u == units["echo"]
	}
	if !carried {
		t.Fatal("an unchanged wasm transform was not carried over to the new snapshot")
	}
	if n := compiles.Load(); n != 1 {
		t.Fatalf("%d compiles after a second publish, want 1", n)
	}
}

// TestWarmupFailureDoesNotBlock: a module that cannot load fails its
// warm-up in the background; other endpoints serve, and the transformed
// endpoint answers 502 naming the transform.
func TestWarmupFailureDoesNotBlock(t *testing.T) {
	host, err := wasmhost.New(context.Background(), wasmhost.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Close(context.Background()) })
	h := newHarness(t, func(c *Config) { c.Wasm = host })
	bad := append([]byte("\x00asm\x01\x00\x00\x00"), 0xff, 0xff)
	h.src.set(warmConfig(h, 2, bad))
	if w := h.do(t, "GET", "/t/acme/v1/items", nil); w.Code != http.StatusOK {
		t.Fatalf("GET /items: %d", w.Code)
	}
	snap, err := h.gw.snaps.get(t.Context(), "acme", h.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	<-snap.warmed
	w := h.do(t, "POST", "/t/acme/v1/warm", strings.NewReader(`{}`), "Content-Type", "application/json")
	if w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), `transform \"echo\"`) {
		t.Fatalf("POST /warm: %d %s, want 502 naming the transform", w.Code, w.Body)
	}
}
