package app

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/echo"
	"github.com/portico/portico/internal/wasmhost"
)

// TestPublishThenFirstRequestCompilesNothing: the local all-in-one
// process, its wasm host counting compiles. A module is compiled once, at
// upload (its test cases run in the sandbox then too); after the publish
// the first gateway request through it compiles nothing.
func TestPublishThenFirstRequestCompilesNothing(t *testing.T) {
	upstream := httptest.NewServer(echo.New(echo.Config{}))
	t.Cleanup(upstream.Close)
	env := map[string]string{"PORTICO_DATA_DIR": t.TempDir(), "PORTICO_REFRESH_INTERVAL": "1ns", "PORTICO_UPSTREAM_ALLOW": "127.0.0.1/32"}
	p := newParts(t, func(k string) string { return env[k] })
	ctx, sh := context.Background(), p.sh
	var compiles atomic.Int32
	sh.wasm.once.Do(func() {
		sh.wasm.host, sh.wasm.err = wasmhost.New(ctx, wasmhost.Config{OnCompile: func(string, time.Duration) { compiles.Add(1) }})
	})
	t.Cleanup(func() { _ = sh.wasm.host.Close(context.Background()) })
	s := p.serve(t)

	op := s.login("_platform", "owner")
	s.call("POST", "/admin/v1/tenants", op, map[string]any{"id": "acme", "name": "Acme"}, 201, nil)
	tok := s.login("acme", "owner")
	s.call("POST", "/admin/v1/integrations", tok, map[string]any{"slug": "catalog", "name": "Catalog", "type": "http", "url": upstream.URL}, 201, nil)
	s.call("POST", "/admin/v1/apis", tok, map[string]any{"slug": "shop", "name": "Shop", "basePath": "/shop"}, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions", tok, map[string]any{"name": "v1"}, 201, nil)
	s.call("POST", "/admin/v1/transforms", tok, map[string]any{"slug": "echo", "name": "Echo", "type": "wasm",
		"testCases": []any{map[string]any{"name": "echoes", "input": map[string]any{"a": 1}, "expect": map[string]any{"a": 1}}}}, 201, nil)

	module, _ := hex.DecodeString(echoModule)
	req, _ := http.NewRequest("PUT", s.srv.URL+"/admin/v1/transforms/echo/module", bytes.NewReader(module))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/wasm")
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var uploaded struct {
		Tests struct {
			Passed  bool
			Results []struct{ Name, Detail string }
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&uploaded)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("module upload: %d %v", resp.StatusCode, err)
	}
	if !uploaded.Tests.Passed || len(uploaded.Tests.Results) != 1 {
		t.Fatalf("the module's test cases did not run and pass in the sandbox: %+v", uploaded.Tests)
	}
	if n := compiles.Load(); n != 1 {
		t.Fatalf("%d compiles at upload, want 1", n)
	}

	s.call("POST", "/admin/v1/apis/shop/versions/v1/endpoints", tok, map[string]any{
		"method": "GET", "path": "/products/{id}",
		"target":   map[string]any{"type": "integration", "integration": "catalog", "path": "/items/{id}"},
		"policies": map[string]any{"responseTransforms": []any{map[string]any{"transform": "echo"}}},
	}, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions/v1/publish", tok, nil, 200, nil)

	var out map[string]any
	s.call("GET", "/t/acme/v1/shop/products/7", "", nil, 200, &out)
	if out["id"] != "7" {
		t.Fatalf("item through the echo transform = %v", out)
	}
	if n := compiles.Load(); n != 1 {
		t.Fatalf("%d compiles after the first request, want 1 (the upload's)", n)
	}
}
