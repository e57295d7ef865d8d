package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
)

// fiftySteps is a 50-step workflow: calls and transforms in sequence, every
// fifth step compensated, a choice and a parallel group.
func fiftySteps() *Workflow {
	w := &Workflow{Slug: "fifty"}
	for i := range 50 {
		name := fmt.Sprintf("s%02d", i)
		next := ""
		if i < 49 {
			next = fmt.Sprintf("s%02d", i+1)
		}
		s := Step{Name: name, Type: StepCall, Next: next, Call: &Call{Integration: "x", Path: "/p"},
			Retry: []Retry{{Errors: []string{ErrorUpstreamUnavailable}, MaxAttempts: ptr(2)}}}
		switch {
		case i%7 == 3:
			s = Step{Name: name, Type: StepTransform, Next: next, Transform: &Transform{Transform: "t", Input: fmt.Sprintf("$.steps.s%02d", i-1)}}
		case i == 20:
			s = Step{Name: name, Type: StepChoice, Choice: &Choice{Rules: []Rule{{Condition: Condition{And: []Condition{
				{Variable: "$.input.n", Op: "NumericGreaterThan", Value: json.RawMessage(`1`)},
				{Not: &Condition{Variable: "$.input.s", Op: "StringMatches", Value: json.RawMessage(`"a*"`)}}}}, Next: next}}, Default: next}}
		case i == 30:
			s = Step{Name: name, Type: StepParallel, Next: next, Parallel: &Parallel{Branches: []Branch{
				{Name: "b1", Steps: []Step{{Name: "p1", Type: StepSet, Set: &Set{Value: json.RawMessage(`1`)}}}},
				{Name: "b2", Steps: []Step{{Name: "p2", Type: StepSet, Set: &Set{Value: json.RawMessage(`2`)}}}}}}}
		}
		if i%5 == 0 && s.Type == StepCall {
			s.Compensate = "u" + name
			w.Compensations = append(w.Compensations, Step{Name: "u" + name, Type: StepCall, Call: &Call{Integration: "x", Method: "DELETE"}})
		}
		w.Steps = append(w.Steps, s)
	}
	return w
}

func BenchmarkCompile50Steps(b *testing.B) {
	w := fiftySteps()
	if _, err := Compile(w, CompileOptions{}); err != nil {
		b.Fatal(err)
	}
	b.Run("validate+compile", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Compile(w, CompileOptions{})
		}
	})
	b.Run("and marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m, _ := Compile(w, CompileOptions{})
			_ = m.JSON()
		}
	})
}

// BenchmarkExecutorPerState reports the executor's overhead per state
// transition (no I/O: tasks answer at once) on the compiled 50-step workflow.
func BenchmarkExecutorPerState(b *testing.B) {
	m, err := Compile(fiftySteps(), CompileOptions{})
	if err != nil {
		b.Fatal(err)
	}
	m, _ = ParseMachine(m.JSON())
	tasks := TaskFunc(func(context.Context, Task) (json.RawMessage, error) {
		return json.RawMessage(`{"ok":true,"id":"abc"}`), nil
	})
	var states int
	ex, _ := NewExecutor(ExecutorConfig{Tasks: tasks, Clock: newFakeClock(), OnEvent: func(e Event) {
		if e.Type == EventStateEntered {
			states++
		}
	}})
	// Call steps send $.input.body by default (docs/workflows.md).
	input := json.RawMessage(`{"n":2,"s":"b","body":{"items":[1,2,3],"note":"hello"}}`)
	if _, err := ex.Run(context.Background(), m, input); err != nil {
		b.Fatal(err)
	}
	perRun := states
	ex.cfg.OnEvent = nil
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ex.Run(context.Background(), m, input); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perRun)/1000, "us/state")
}
