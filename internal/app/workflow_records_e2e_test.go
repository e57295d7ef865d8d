package app

import (
	"net/http/httptest"
	"testing"
)

// Executions run through the gateway and the console's test runs are
// recorded in the store, and listed with their history.
func TestWorkflowExecutionRecordsEndToEnd(t *testing.T) {
	up := &sagaUpstream{}
	upstream := httptest.NewServer(up)
	t.Cleanup(upstream.Close)
	env := map[string]string{"PORTICO_DATA_DIR": t.TempDir(), "PORTICO_REFRESH_INTERVAL": "1ns"}
	s := newStack(t, func(k string) string { return env[k] })

	op := s.login("_platform", "owner")
	s.call("POST", "/admin/v1/tenants", op, map[string]any{"id": "acme", "name": "Acme"}, 201, nil)
	tok := s.login("acme", "owner")
	s.call("POST", "/admin/v1/integrations", tok, map[string]any{"slug": "inventory", "name": "inventory", "type": "http", "url": upstream.URL}, 201, nil)
	wf := map[string]any{"slug": "ship", "name": "Ship", "steps": []any{
		map[string]any{"name": "ship", "type": "call", "call": map[string]any{"integration": "inventory", "path": "/ship"}},
	}}
	s.call("POST", "/admin/v1/workflows", tok, wf, 201, nil)
	s.call("POST", "/admin/v1/workflows/ship/publish", tok, nil, 200, nil)
	s.call("POST", "/admin/v1/apis", tok, map[string]any{"slug": "shop", "name": "Shop", "basePath": "/shop"}, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions", tok, map[string]any{"name": "v1"}, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions/v1/endpoints", tok, map[string]any{"method": "POST", "path": "/ship", "target": map[string]any{"type": "workflow", "workflow": "ship"}}, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions/v1/publish", tok, nil, 200, nil)

	s.call("POST", "/t/acme/v1/shop/ship", "", map[string]any{"sku": "book"}, 200, nil)
	s.call("POST", "/t/acme/v1/shop/ship", "", map[string]any{"fail": true}, 502, nil)
	s.call("POST", "/admin/v1/workflows/ship/executions", tok, map[string]any{"body": map[string]any{"sku": "pen"}}, 200, nil)

	type record struct {
		ID, Tenant, Workflow, Kind, Source, Status, Error string
		StoppedAt                                         *string
		History                                           []struct{ Type, State string }
	}
	var list struct{ Items []record }
	s.call("GET", "/admin/v1/workflows/ship/executions", tok, nil, 200, &list)
	if len(list.Items) != 3 {
		t.Fatalf("executions = %+v", list.Items)
	}
	want := []struct{ source, status string }{{"test", "SUCCEEDED"}, {"gateway", "FAILED"}, {"gateway", "SUCCEEDED"}}
	for i, w := range want {
		r := list.Items[i]
		if r.Source != w.source || r.Status != w.status || r.Tenant != "acme" || r.Workflow != "ship" || r.Kind != "express" || r.StoppedAt == nil {
			t.Errorf("execution %d = %+v, want %s %s", i, r, w.source, w.status)
		}
	}
	s.call("GET", "/admin/v1/workflows/ship/executions?status=FAILED", tok, nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].Error != "Portico.UpstreamServerError" {
		t.Fatalf("failed executions = %+v", list.Items)
	}
	var one record
	s.call("GET", "/admin/v1/workflows/ship/executions/"+list.Items[0].ID, tok, nil, 200, &one)
	failedStep := false
	for _, ev := range one.History {
		failedStep = failedStep || ev.Type == "StateFailed" && ev.State == "ship"
	}
	if !failedStep {
		t.Errorf("history = %+v, want the ship step's failure", one.History)
	}
}
