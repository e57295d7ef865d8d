package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
)

// sagaUpstream records the calls it gets, in order, answers each with
// where it was sent and what ("done", "got"), and fails failPath (default
// /ship) when the order asks for it.
type sagaUpstream struct {
	failPath string
	mu       sync.Mutex
	calls    []string
}

func (u *sagaUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.calls = append(u.calls, r.Method+" "+r.URL.Path)
	u.mu.Unlock()
	var body struct {
		Fail bool `json:"fail"`
	}
	b, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(b, &body)
	failPath := u.failPath
	if failPath == "" {
		failPath = "/ship"
	}
	if r.URL.Path == failPath && body.Fail {
		http.Error(w, "warehouse on fire", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"done": r.URL.Path, "got": json.RawMessage(b)})
}

func (u *sagaUpstream) take() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	c := u.calls
	u.calls = nil
	return c
}

// TestWorkflowEndToEnd publishes a saga workflow (reserve, charge, ship;
// reserve and charge compensated) behind an endpoint and calls it through
// the local gateway: the success path answers the merged step results; a
// failing last step runs the compensations in reverse order and answers
// the failure status, never a 200.
func TestWorkflowEndToEnd(t *testing.T) {
	up := &sagaUpstream{}
	upstream := httptest.NewServer(up)
	t.Cleanup(upstream.Close)
	env := map[string]string{"PORTICO_DATA_DIR": t.TempDir(), "PORTICO_REFRESH_INTERVAL": "1ns"}
	s := newStack(t, func(k string) string { return env[k] })

	op := s.login("_platform", "owner")
	s.call("POST", "/admin/v1/tenants", op, map[string]any{"id": "acme", "name": "Acme"}, 201, nil)
	tok := s.login("acme", "owner")
	for _, slug := range []string{"inventory", "payments"} {
		s.call("POST", "/admin/v1/integrations", tok, map[string]any{"slug": slug, "name": slug, "type": "http", "url": upstream.URL}, 201, nil)
	}

	call := func(integration, path string) map[string]any {
		return map[string]any{"integration": integration, "path": path}
	}
	wf := map[string]any{
		"slug": "checkout", "name": "Checkout", "output": "$.steps",
		"steps": []any{
			map[string]any{"name": "reserve", "type": "call", "call": call("inventory", "/reserve"), "compensate": "release", "next": "charge"},
			map[string]any{"name": "charge", "type": "call", "call": call("payments", "/charge"), "compensate": "refund", "next": "ship"},
			map[string]any{"name": "ship", "type": "call", "call": call("inventory", "/ship")},
		},
		"compensations": []any{
			map[string]any{"name": "release", "type": "call", "call": call("inventory", "/release")},
			map[string]any{"name": "refund", "type": "call", "call": call("payments", "/refund")},
		},
	}
	s.call("POST", "/admin/v1/workflows", tok, wf, 201, nil)

	// The endpoint cannot target it until it is published.
	ep := map[string]any{"method": "POST", "path": "/orders/{id}/checkout", "target": map[string]any{"type": "workflow", "workflow": "checkout"}}
	s.call("POST", "/admin/v1/apis", tok, map[string]any{"slug": "shop", "name": "Shop", "basePath": "/shop"}, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions", tok, map[string]any{"name": "v1"}, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions/v1/endpoints", tok, ep, 400, nil)

	var published struct {
		Deployed struct{ Ref string }
	}
	s.call("POST", "/admin/v1/workflows/checkout/publish", tok, nil, 200, &published)
	if published.Deployed.Ref == "" {
		t.Fatal("publish recorded no deployment")
	}
	s.call("POST", "/admin/v1/apis/shop/versions/v1/endpoints", tok, ep, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions/v1/publish", tok, nil, 200, nil)

	// Success: every step ran once, in order, and the output merges them.
	var out map[string]struct {
		Done string
		Got  map[string]any
	}
	s.call("POST", "/t/acme/v1/shop/orders/42/checkout", "", map[string]any{"sku": "book"}, 200, &out)
	for _, step := range []string{"reserve", "charge", "ship"} {
		if out[step].Done != "/"+step || out[step].Got["sku"] != "book" {
			t.Errorf("output[%s] = %+v, want the upstream's answer to /%s with the request body", step, out[step], step)
		}
	}
	if got, want := up.take(), []string{"POST /reserve", "POST /charge", "POST /ship"}; !slices.Equal(got, want) {
		t.Fatalf("upstream calls = %q, want %q", got, want)
	}

	// Failure of the last step: charge then reserve are undone, in that
	// order, and the caller gets 502 problem+json naming the error.
	var prob struct {
		Type, Detail string
		Status       int
	}
	h := s.call("POST", "/t/acme/v1/shop/orders/42/checkout", "", map[string]any{"sku": "book", "fail": true}, 502, &prob)
	if got, want := up.take(), []string{"POST /reserve", "POST /charge", "POST /ship", "POST /refund", "POST /release"}; !slices.Equal(got, want) {
		t.Fatalf("upstream calls = %q, want %q", got, want)
	}
	if h.Get("Content-Type") != "application/problem+json" || prob.Status != 502 || prob.Type != "https://portico.dev/problems/workflow-failed" {
		t.Fatalf("failure answer: %s %+v", h.Get("Content-Type"), prob)
	}
	if want := "the workflow failed with error Portico.UpstreamServerError"; prob.Detail != want {
		t.Errorf("detail = %q, want %q (the name, never the upstream's text)", prob.Detail, want)
	}

	// The configured failure status, once published again.
	wf["failureStatus"] = 409
	s.call("PUT", "/admin/v1/workflows/checkout", tok, wf, 200, nil)
	s.call("POST", "/t/acme/v1/shop/orders/42/checkout", "", map[string]any{"fail": true}, 502, nil) // still the published revision
	s.call("POST", "/admin/v1/workflows/checkout/publish", tok, nil, 200, nil)
	s.call("POST", "/t/acme/v1/shop/orders/42/checkout", "", map[string]any{"fail": true}, 409, nil)
	up.take()

	// A test run from the console API, and the compiled definition.
	var run struct {
		Status     string
		HTTPStatus int
		Error      struct{ Error string }
	}
	s.call("POST", "/admin/v1/workflows/checkout/executions", tok, map[string]any{"body": map[string]any{"fail": true}}, 200, &run)
	if run.Status != "FAILED" || run.HTTPStatus != 409 || run.Error.Error != "Portico.UpstreamServerError" {
		t.Fatalf("test run = %+v", run)
	}
	var def struct{ StartAt string }
	s.call("GET", "/admin/v1/workflows/checkout/definition?deployed=true", tok, nil, 200, &def)
	if def.StartAt == "" {
		t.Fatal("definition has no StartAt")
	}
}
