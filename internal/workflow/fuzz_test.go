package workflow

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzValidateCompile: a tenant's workflow document never panics the
// validator, and whatever validates compiles to a definition the executor
// parses and runs without panicking.
func FuzzValidateCompile(f *testing.F) {
	for _, name := range fixtures {
		b, err := os.ReadFile(filepath.Join("testdata", name+".workflow.json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var w Workflow
		if json.Unmarshal(doc, &w) != nil {
			return
		}
		if Validate(&w, ValidateOptions{}) != nil {
			return
		}
		m, err := Compile(&w, CompileOptions{})
		if err != nil {
			t.Fatalf("validated workflow does not compile: %v", err)
		}
		m2, err := ParseMachine(m.JSON())
		if err != nil {
			t.Fatalf("compiled definition does not parse: %v", err)
		}
		ex, _ := NewExecutor(ExecutorConfig{Tasks: TaskFunc(func(context.Context, Task) (json.RawMessage, error) {
			return json.RawMessage(`{}`), nil
		}), Clock: newFakeClock(), MaxTransitions: 500})
		ex.Run(context.Background(), m2, json.RawMessage(`{}`))
	})
}

// FuzzExecutorDefinition: an arbitrary definition never panics the executor.
func FuzzExecutorDefinition(f *testing.F) {
	for _, name := range fixtures {
		b, err := os.ReadFile(filepath.Join("testdata", name+".asl.json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, []byte(`{"a":1}`))
	}
	f.Fuzz(func(t *testing.T, def, input []byte) {
		m, err := ParseMachine(def)
		if err != nil {
			return
		}
		ex, _ := NewExecutor(ExecutorConfig{Tasks: TaskFunc(func(context.Context, Task) (json.RawMessage, error) {
			return json.RawMessage(`{}`), nil
		}), Clock: newFakeClock(), MaxTransitions: 500})
		ex.Run(context.Background(), m, input)
	})
}
