package app

import (
	"bytes"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico/portico/internal/echo"
)

// echoModule is a hand-built transform module that returns its input
// (wasmhost's test module modEcho).
const echoModule = "0061736d01000000010f0360000060017f017f60027f7f017e03030201020503010001071e03066d656d6f7279020005616c6c6f630000097472616e73666f726d00010a140205004180080b0c002000ad4220862001ad840b"

// TestTransformTour creates transforms and an endpoint using them, checks
// that failing tests block the publish, publishes, and calls through the
// gateway.
func TestTransformTour(t *testing.T) {
	upstream := httptest.NewServer(echo.New(echo.Config{}))
	t.Cleanup(upstream.Close)
	env := map[string]string{"PORTICO_DATA_DIR": t.TempDir(), "PORTICO_REFRESH_INTERVAL": "1ns"}
	s := newStack(t, func(k string) string { return env[k] })

	op := s.login("_platform", "owner")
	s.call("POST", "/admin/v1/tenants", op, map[string]any{"id": "acme", "name": "Acme"}, 201, nil)
	tok := s.login("acme", "owner")
	s.call("POST", "/admin/v1/integrations", tok, map[string]any{"slug": "catalog", "name": "Catalog", "type": "http", "url": upstream.URL}, 201, nil)
	s.call("POST", "/admin/v1/apis", tok, map[string]any{"slug": "shop", "name": "Shop", "basePath": "/shop"}, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions", tok, map[string]any{"name": "v1"}, 201, nil)

	// The response transform reshapes the echo upstream's item; its test
	// expects the wrong name first.
	doc := func(want string) map[string]any {
		return map[string]any{
			"steps": []any{
				map[string]any{"map": map[string]any{"fields": []any{
					map[string]any{"to": "/sku", "from": "body.id"},
					map[string]any{"to": "/label", "template": "{{ body.name }}!"},
				}}},
				map[string]any{"headers": map[string]any{"set": map[string]any{"X-Shaped": "1"}}},
			},
			"tests": []any{map[string]any{"name": "shapes", "input": map[string]any{"body": map[string]any{"id": "7", "name": "x"}},
				"expect": map[string]any{"body": map[string]any{"sku": "7", "label": want}}}},
		}
	}
	var saved struct {
		Tests struct{ Passed bool }
	}
	s.call("POST", "/admin/v1/transforms", tok, map[string]any{"slug": "shape", "name": "Shape", "type": "declarative", "document": doc("y!")}, 201, &saved)
	if saved.Tests.Passed {
		t.Fatal("a failing test case passed")
	}
	s.call("POST", "/admin/v1/transforms", tok, map[string]any{"slug": "echo", "name": "Echo", "type": "wasm"}, 201, nil)
	module, _ := hex.DecodeString(echoModule)
	req, _ := http.NewRequest("PUT", s.srv.URL+"/admin/v1/transforms/echo/module", bytes.NewReader(module))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/wasm")
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("module upload: %d %s", resp.StatusCode, body)
	}

	s.call("POST", "/admin/v1/apis/shop/versions/v1/endpoints", tok, map[string]any{
		"method": "GET", "path": "/products/{id}",
		"target":   map[string]any{"type": "integration", "integration": "catalog", "path": "/items/{id}"},
		"policies": map[string]any{"responseTransforms": []any{map[string]any{"transform": "echo"}, map[string]any{"transform": "shape"}}},
	}, 201, nil)

	// Failing tests block the publish; fixing them unblocks it.
	s.call("POST", "/admin/v1/apis/shop/versions/v1/publish", tok, nil, 409, nil)
	s.call("PUT", "/admin/v1/transforms/shape", tok, map[string]any{"name": "Shape", "type": "declarative", "document": doc("x!")}, 200, &saved)
	if !saved.Tests.Passed {
		t.Fatal("the fixed test case failed")
	}
	s.call("POST", "/admin/v1/apis/shop/versions/v1/publish", tok, nil, 200, nil)

	var out map[string]any
	h := s.call("GET", "/t/acme/v1/shop/products/7", "", nil, 200, &out)
	item := echo.NewItem("7")
	if out["sku"] != item.ID || out["label"] != item.Name+"!" || len(out) != 2 {
		t.Fatalf("transformed item = %v, want sku %q and label %q", out, item.ID, item.Name+"!")
	}
	if h.Get("X-Shaped") != "1" {
		t.Errorf("X-Shaped = %q, want 1", h.Get("X-Shaped"))
	}

	// A live transform cannot be broken.
	s.call("PUT", "/admin/v1/transforms/shape", tok, map[string]any{"name": "Shape", "type": "declarative", "document": doc("z")}, 409, nil)
	if !strings.Contains(string(body), `"sha256"`) {
		t.Errorf("module upload answer %s has no sha256", body)
	}
}
