package management

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/wasmhost"
)

// TestPublishWarmsModules: publishing a version compiles, in the
// background, the modules of the wasm transforms its endpoints use.
func TestPublishWarmsModules(t *testing.T) {
	e := newEnv(t)
	warmed := make(chan string, 4)
	cfg := e.h.cfg
	cfg.Warm = func(_ context.Context, wasm []byte) error {
		warmed <- wasmhost.Hash(wasm)
		return nil
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	ctx := context.Background()
	slug := e.addTransform(t, 1, true)
	wantStatus(t, e.do("PUT", prefix+"/transforms/"+slug+"/module", e.token(tenantA, "developer"), string(echoWasm)), http.StatusOK)
	ep, err := e.cat.GetEndpoint(ctx, tenantA, "orders", "v1", e.epID)
	must(t, "endpoint", err)
	ep.Policies.ResponseTransforms = []model.TransformRef{{Transform: slug}}
	_, err = e.cat.UpdateEndpoint(ctx, tenantA, seedActor, 0, ep)
	must(t, "endpoint update", err)
	select {
	case <-warmed:
		t.Fatal("warmed before the publish")
	default:
	}

	wantStatus(t, e.do("POST", prefix+"/apis/orders/versions/v1/publish", e.token(tenantA, "admin"), ""), http.StatusOK)
	select {
	case got := <-warmed:
		if got != wasmhost.Hash(echoWasm) {
			t.Fatalf("warmed %s, want the echo module", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the publish did not warm the module")
	}
}
