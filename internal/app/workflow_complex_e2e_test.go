package app

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"testing"
)

// TestComplexWorkflowEndToEnd runs, through the local gateway, a workflow
// with parallel calls to two upstreams, a condition, a tenant transform
// and compensation (issue #7's end-to-end case).
func TestComplexWorkflowEndToEnd(t *testing.T) {
	inventory, pricing := &sagaUpstream{failPath: "/confirm"}, &sagaUpstream{}
	invSrv, priceSrv := httptest.NewServer(inventory), httptest.NewServer(pricing)
	t.Cleanup(invSrv.Close)
	t.Cleanup(priceSrv.Close)
	env := map[string]string{"PORTICO_DATA_DIR": t.TempDir(), "PORTICO_REFRESH_INTERVAL": "1ns"}
	s := newStack(t, func(k string) string { return env[k] })

	op := s.login("_platform", "owner")
	s.call("POST", "/admin/v1/tenants", op, map[string]any{"id": "acme", "name": "Acme"}, 201, nil)
	tok := s.login("acme", "owner")
	s.call("POST", "/admin/v1/integrations", tok, map[string]any{"slug": "inventory", "name": "Inventory", "type": "http", "url": invSrv.URL}, 201, nil)
	s.call("POST", "/admin/v1/integrations", tok, map[string]any{"slug": "pricing", "name": "Pricing", "type": "http", "url": priceSrv.URL}, 201, nil)
	// The transform summarises the parallel results and the chosen speed
	// into the order to confirm.
	summarize := `{"steps": [{"map": {"fields": [
		{"to": "/sku", "from": "body.input.body.sku"},
		{"to": "/stockChecked", "from": "body.steps.lookup.stock.stock.done"},
		{"to": "/priced", "from": "body.steps.lookup.price.price.done"},
		{"to": "/speed", "from": "body.steps.express.speed || body.steps.standard.speed"},
		{"to": "/fail", "from": "body.input.body.fail", "default": false}]}}],
	 "tests": [{"name": "standard", "input": {"body": {"input": {"body": {"sku": "a"}}, "steps": {"lookup": {"stock": {"stock": {"done": "/stock"}}, "price": {"price": {"done": "/price"}}}, "standard": {"speed": "standard"}}}},
	            "expect": {"body": {"sku": "a", "stockChecked": "/stock", "priced": "/price", "speed": "standard", "fail": false}}}]}`
	s.call("POST", "/admin/v1/transforms", tok, map[string]any{"slug": "summarize", "name": "Summarize", "type": "declarative", "document": json.RawMessage(summarize)}, 201, nil)

	call := func(integration, path string) map[string]any {
		return map[string]any{"integration": integration, "path": path}
	}
	branch := func(name, integration, path string) map[string]any {
		return map[string]any{"name": name, "steps": []any{map[string]any{"name": name, "type": "call", "call": call(integration, path)}}}
	}
	wf := map[string]any{
		"slug": "order", "name": "Order", "output": "$.steps.confirm.got",
		"steps": []any{
			map[string]any{"name": "lookup", "type": "parallel", "next": "route", "compensate": "release",
				"parallel": map[string]any{"branches": []any{branch("stock", "inventory", "/stock"), branch("price", "pricing", "/price")}}},
			map[string]any{"name": "route", "type": "choice", "choice": map[string]any{
				"rules":   []any{map[string]any{"condition": map[string]any{"variable": "$.input.body.express", "op": "BooleanEquals", "value": true}, "next": "express"}},
				"default": "standard"}},
			map[string]any{"name": "express", "type": "set", "set": map[string]any{"value": map[string]any{"speed": "express"}}, "next": "shape"},
			map[string]any{"name": "standard", "type": "set", "set": map[string]any{"value": map[string]any{"speed": "standard"}}, "next": "shape"},
			map[string]any{"name": "shape", "type": "transform", "transform": map[string]any{"transform": "summarize"}, "next": "confirm"},
			map[string]any{"name": "confirm", "type": "call", "call": map[string]any{"integration": "inventory", "path": "/confirm", "body": "$.steps.shape"}},
		},
		"compensations": []any{
			map[string]any{"name": "release", "type": "call", "call": call("inventory", "/release")},
		},
	}
	s.call("POST", "/admin/v1/workflows", tok, wf, 201, nil)
	s.call("POST", "/admin/v1/workflows/order/publish", tok, nil, 200, nil)
	s.call("POST", "/admin/v1/apis", tok, map[string]any{"slug": "shop", "name": "Shop", "basePath": "/shop"}, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions", tok, map[string]any{"name": "v1"}, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions/v1/endpoints", tok,
		map[string]any{"method": "POST", "path": "/orders", "target": map[string]any{"type": "workflow", "workflow": "order"}}, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions/v1/publish", tok, nil, 200, nil)

	type order struct {
		SKU          string
		StockChecked string
		Priced       string
		Speed        string
		Fail         bool
	}
	for _, tt := range []struct {
		express bool
		speed   string
	}{{true, "express"}, {false, "standard"}} {
		var got order
		s.call("POST", "/t/acme/v1/shop/orders", "", map[string]any{"sku": "book", "express": tt.express}, 200, &got)
		if want := (order{SKU: "book", StockChecked: "/stock", Priced: "/price", Speed: tt.speed}); got != want {
			t.Errorf("express=%v: confirmed order %+v, want %+v", tt.express, got, want)
		}
		if calls := append(inventory.take(), pricing.take()...); !slices.Equal(calls, []string{"POST /stock", "POST /confirm", "POST /price"}) { // each upstream's calls in order
			t.Errorf("express=%v: calls %q", tt.express, calls)
		}
	}

	// /confirm refuses: the parallel lookup is compensated, and the caller
	// gets the failure status, never a 200.
	var prob struct{ Detail string }
	s.call("POST", "/t/acme/v1/shop/orders", "", map[string]any{"sku": "book", "fail": true}, 502, &prob)
	if want := "the workflow failed with error Portico.UpstreamServerError"; prob.Detail != want {
		t.Errorf("detail %q, want %q", prob.Detail, want)
	}
	if calls := inventory.take(); !slices.Equal(calls, []string{"POST /stock", "POST /confirm", "POST /release"}) {
		t.Errorf("failure: inventory calls %q, want the lookup, the refused confirm, then the compensation", calls)
	}
	if calls := pricing.take(); !slices.Equal(calls, []string{"POST /price"}) {
		t.Errorf("failure: pricing calls %q", calls)
	}
}
