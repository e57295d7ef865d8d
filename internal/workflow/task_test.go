package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
)

type fakeSteps struct {
	mu    sync.Mutex
	calls []string
	fail  map[string]error // by integration or transform name
}

func (f *fakeSteps) Call(_ context.Context, tenant string, c CallConfig, input json.RawMessage) (json.RawMessage, error) {
	f.mu.Lock()
	f.calls = append(f.calls, tenant+":"+c.Method+" "+c.Integration+c.Path)
	f.mu.Unlock()
	if err := f.fail[c.Integration]; err != nil {
		return nil, err
	}
	return json.RawMessage(`{"from":"` + c.Integration + `","available":true}`), nil
}

func (f *fakeSteps) Transform(_ context.Context, tenant string, t TransformConfig, input json.RawMessage) (json.RawMessage, error) {
	f.mu.Lock()
	f.calls = append(f.calls, tenant+":transform "+t.Transform)
	f.mu.Unlock()
	if err := f.fail[t.Transform]; err != nil {
		return nil, err
	}
	return input, nil
}

func TestTaskHandler(t *testing.T) {
	steps := &fakeSteps{fail: map[string]error{
		"down":   &Error{Name: ErrorUpstreamUnavailable, Cause: "connect refused"},
		"broken": errors.New("secret internal detail"),
	}}
	h := &TaskHandler{Steps: steps}
	tests := []struct {
		name, payload, wantErr, wantOut string
	}{
		{"call", `{"tenant":"acme","step":"a","kind":"call","config":{"integration":"orders","method":"GET"},"input":{}}`, "", `{"from":"orders","available":true}`},
		{"transform", `{"tenant":"acme","step":"b","kind":"transform","config":{"transform":"t"},"input":{"x":1}}`, "", `{"x":1}`},
		{"named error kept", `{"step":"a","kind":"call","config":{"integration":"down"}}`, ErrorUpstreamUnavailable, ""},
		{"unnamed error hidden", `{"step":"a","kind":"call","config":{"integration":"broken"}}`, ErrorStepFailed, ""},
		{"not json", `nope`, ErrorInvalidTask, ""},
		{"unknown kind", `{"step":"a","kind":"wait"}`, ErrorInvalidTask, ""},
		{"missing integration", `{"step":"a","kind":"call","config":{}}`, ErrorInvalidTask, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := h.Handle(context.Background(), json.RawMessage(tt.payload))
			var e *Error
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != "" && (!errors.As(err, &e) || e.Name != tt.wantErr):
				t.Fatalf("err = %v, want %s", err, tt.wantErr)
			case e != nil && e.Name == ErrorStepFailed && e.Cause != "step a failed":
				t.Errorf("cause leaks internal text: %q", e.Cause)
			case tt.wantOut != "" && string(out) != tt.wantOut:
				t.Errorf("out = %s", out)
			}
		})
	}
}

// TestLocalEngineRunsStepCode runs a compiled saga on the Local engine with
// the same TaskHandler the Lambda uses: the tenant reaches the steps, and
// a failing step compensates the completed ones in reverse order.
func TestLocalEngineRunsStepCode(t *testing.T) {
	w := loadWorkflow(t, "saga")
	m, err := Compile(w, CompileOptions{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	steps := &fakeSteps{fail: map[string]error{"shipping": &Error{Name: ErrorUpstreamServerError, Cause: "503"}}}
	ex, _ := NewExecutor(ExecutorConfig{Tasks: &TaskHandler{Steps: steps}, Clock: newFakeClock()})
	eng := NewLocal(ex)
	ref, err := eng.Deploy(context.Background(), Deployment{Tenant: "acme", Workflow: w.Slug, Definition: m.JSON()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = eng.Execute(context.Background(), ref, json.RawMessage(`{"body":{"payment":{"card":"x"}}}`))
	if got := FailureStatus(w, err); got != 502 {
		t.Errorf("status = %d (err %v)", got, err)
	}
	want := []string{
		"acme:POST inventory/reservations", "acme:POST payments/charges", "acme:POST shipping/shipments",
		"acme:POST payments/refunds", "acme:DELETE inventory/reservations",
	}
	if len(steps.calls) != len(want) {
		t.Fatalf("calls = %q", steps.calls)
	}
	for i := range want {
		if steps.calls[i] != want[i] {
			t.Errorf("call %d = %q, want %q", i, steps.calls[i], want[i])
		}
	}
}
