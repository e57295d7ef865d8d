package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/portico/portico/internal/workflow"
)

// flakyUpstream counts calls per path and fails /charge until fixed.
type flakyUpstream struct {
	mu    sync.Mutex
	calls map[string]int
	fixed bool
}

func (u *flakyUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.calls[r.URL.Path]++
	down := r.URL.Path == "/charge" && !u.fixed
	u.mu.Unlock()
	if down {
		http.Error(w, "card processor down", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}`))
}

func (u *flakyUpstream) counts() [3]int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return [3]int{u.calls["/reserve"], u.calls["/charge"], u.calls["/notify"]}
}

// TestWorkflowRedriveEndToEnd: a standard workflow started through the
// local gateway fails at its second step; once the upstream is fixed, the
// console API redrives it: the first step is not called again, the
// execution succeeds under the same id, and its record shows the redrive.
func TestWorkflowRedriveEndToEnd(t *testing.T) {
	up := &flakyUpstream{calls: map[string]int{}}
	upstream := httptest.NewServer(up)
	t.Cleanup(upstream.Close)
	env := map[string]string{"PORTICO_DATA_DIR": t.TempDir(), "PORTICO_REFRESH_INTERVAL": "1ns"}
	s := newStack(t, func(k string) string { return env[k] })
	local, ok := s.shared.workflows.engine.(*workflow.Local)
	if !ok {
		t.Fatalf("engine %T, want the embedded one", s.shared.workflows.engine)
	}

	op := s.login("_platform", "owner")
	s.call("POST", "/admin/v1/tenants", op, map[string]any{"id": "acme", "name": "Acme"}, 201, nil)
	tok := s.login("acme", "owner")
	s.call("POST", "/admin/v1/integrations", tok, map[string]any{"slug": "shop", "name": "shop", "type": "http", "url": upstream.URL}, 201, nil)
	step := func(name, next string) map[string]any {
		return map[string]any{"name": name, "type": "call", "call": map[string]any{"integration": "shop", "path": "/" + name}, "next": next}
	}
	wf := map[string]any{"slug": "order", "name": "Order", "kind": "standard",
		"steps": []any{step("reserve", "charge"), step("charge", "notify"), step("notify", "")}}
	s.call("POST", "/admin/v1/workflows", tok, wf, 201, nil)
	s.call("POST", "/admin/v1/workflows/order/publish", tok, nil, 200, nil)
	s.call("POST", "/admin/v1/apis", tok, map[string]any{"slug": "shop", "name": "Shop", "basePath": "/shop"}, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions", tok, map[string]any{"name": "v1"}, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions/v1/endpoints", tok, map[string]any{"method": "POST", "path": "/orders", "target": map[string]any{"type": "workflow", "workflow": "order"}}, 201, nil)
	s.call("POST", "/admin/v1/apis/shop/versions/v1/publish", tok, nil, 200, nil)

	var started struct{ ExecutionID string }
	s.call("POST", "/t/acme/v1/shop/orders", "", map[string]any{"sku": "book"}, 202, &started)
	ctx := context.Background()
	if x, err := local.Wait(ctx, started.ExecutionID); err != nil || x.Status != workflow.StatusFailed {
		t.Fatalf("execution: %+v, %v", x, err)
	}
	var list struct{ Items []workflow.Record }
	s.call("GET", "/admin/v1/workflows/order/executions", tok, nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].ExecutionID != started.ExecutionID || list.Items[0].Source != workflow.SourceGateway {
		t.Fatalf("records = %+v", list.Items)
	}
	path := "/admin/v1/workflows/order/executions/" + list.Items[0].ID
	var rec workflow.Record
	s.call("GET", path, tok, nil, 200, &rec)
	if rec.Status != workflow.StatusFailed || rec.Error != "Portico.UpstreamServerError" || up.counts() != [3]int{1, 1, 0} {
		t.Fatalf("failed record %+v, calls %v", rec, up.counts())
	}

	up.mu.Lock()
	up.fixed = true
	up.mu.Unlock()
	s.call("POST", path+"/redrive", tok, nil, 202, &rec)
	if rec.Status != workflow.StatusRunning || rec.RedriveCount != 1 {
		t.Fatalf("redrive answered %+v", rec)
	}
	if x, err := local.Wait(ctx, started.ExecutionID); err != nil || x.Status != workflow.StatusSucceeded {
		t.Fatalf("redriven execution: %+v, %v", x, err)
	}
	if got := up.counts(); got != [3]int{1, 2, 1} {
		t.Errorf("calls = %v, want reserve once, charge again, notify once", got)
	}
	s.call("GET", path, tok, nil, 200, &rec)
	redriven := false
	for _, ev := range rec.History {
		redriven = redriven || ev.Type == workflow.EventExecutionRedriven
	}
	if rec.Status != workflow.StatusSucceeded || rec.RedriveCount != 1 || !redriven {
		t.Errorf("record = %+v", rec)
	}
	// Succeeded: a second redrive is refused.
	s.call("POST", path+"/redrive", tok, nil, 409, nil)
}
