package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestLocalEngine(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	tasks := newScripted(clock, map[string][]outcome{"fetch": ok(`{"v":1}`), "reshape": ok(`{"w":2}`)})
	ex, _ := NewExecutor(ExecutorConfig{Tasks: tasks, Clock: clock})
	eng := NewLocal(ex)
	def := compileFixture(t, "linear").JSON()

	if _, err := eng.Execute(ctx, "local:nope", nil); !errors.Is(err, ErrNotDeployed) {
		t.Fatalf("err = %v, want ErrNotDeployed", err)
	}
	ref, err := eng.Deploy(ctx, Deployment{Tenant: "acme", Workflow: "enrich", Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	out, err := eng.Execute(ctx, ref, json.RawMessage(`{"body":{"id":1}}`))
	if err != nil || !strings.Contains(string(out), `"fetch":{"v":1}`) {
		t.Fatalf("out = %s, err = %v", out, err)
	}
	if _, err := eng.Deploy(ctx, Deployment{Tenant: "acme", Workflow: "enrich", Kind: KindStandard, Definition: def}); !errors.Is(err, ErrKindChanged) {
		t.Errorf("kind change: err = %v", err)
	}

	id1, _ := eng.Start(ctx, ref, "key-1", json.RawMessage(`{"body":{}}`))
	id2, _ := eng.Start(ctx, ref, "key-1", json.RawMessage(`{}`))
	id3, _ := eng.Start(ctx, ref, "key-2", json.RawMessage(`{}`))
	if id1 != id2 || id1 == id3 {
		t.Errorf("ids %s %s %s: the same key must be one execution", id1, id2, id3)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		x, err := eng.Describe(ctx, id1)
		if err != nil {
			t.Fatal(err)
		}
		if x.Status == StatusSucceeded {
			if n := len(x.History); n == 0 || x.History[n-1].Type != EventExecutionSucceed || x.History[0].State != StateStart {
				t.Errorf("history = %+v", x.History)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution still %s", x.Status)
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := eng.Describe(ctx, "nope"); !errors.Is(err, ErrExecutionNotFound) {
		t.Errorf("err = %v", err)
	}
}

func TestFailureStatus(t *testing.T) {
	w := &Workflow{ErrorStatus: map[string]int{"OutOfStock": 409}}
	tests := []struct {
		name string
		w    *Workflow
		err  error
		want int
	}{
		{"default", nil, &Error{Name: "Boom"}, http.StatusBadGateway},
		{"mapped", w, &Error{Name: "OutOfStock"}, 409},
		{"unmapped", w, &Error{Name: "Boom"}, http.StatusBadGateway},
		{"configured default", &Workflow{FailureStatus: 503}, &Error{Name: "Boom"}, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FailureStatus(tt.w, tt.err); got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
		})
	}
	p := Problem(w, &Error{Name: "OutOfStock", Cause: "internal detail"})
	if p.Status != 409 || strings.Contains(string(p.JSON()), "internal detail") {
		t.Errorf("problem = %s", p.JSON())
	}
}

func TestNames(t *testing.T) {
	long := strings.Repeat("a", 40)
	if n := StateMachineName("portico-prod-wf-", long, long); len(n) > 80 || n == StateMachineName("portico-prod-wf-", long, long[:39]+"b") {
		t.Errorf("name %q", n)
	}
	if n := StateMachineName("portico-dev-wf-", "acme", "orders"); n != "portico-dev-wf-acme_orders" {
		t.Errorf("name %q", n)
	}
	if StateMachineName("", "a-b", "c") == StateMachineName("", "a", "b-c") {
		t.Error("two tenants' workflows share a state machine name")
	}
	a, b := ExecutionName("arn:1", "k"), ExecutionName("arn:2", "k")
	if a == b || len(a) > 80 || a != ExecutionName("arn:1", "k") || !strings.HasPrefix(a, "idem-") {
		t.Errorf("execution names %q %q", a, b)
	}
}
