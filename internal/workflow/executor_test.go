package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"
)

func mustMachine(t testing.TB, def string) *Machine {
	t.Helper()
	m, err := ParseMachine([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRetryBackoffTiming(t *testing.T) {
	tests := []struct {
		name    string
		retrier string
		jitter  float64
		want    []time.Duration
	}{
		{"defaults", `{"ErrorEquals":["States.ALL"]}`, 0, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"rate and cap", `{"ErrorEquals":["E"],"IntervalSeconds":3,"BackoffRate":1.5,"MaxAttempts":4,"MaxDelaySeconds":6}`, 0,
			[]time.Duration{3 * time.Second, 4500 * time.Millisecond, 6 * time.Second, 6 * time.Second}},
		{"full jitter", `{"ErrorEquals":["E"],"IntervalSeconds":2,"MaxAttempts":2,"JitterStrategy":"FULL"}`, 0.25,
			[]time.Duration{500 * time.Millisecond, time.Second}},
		{"never", `{"ErrorEquals":["E"],"MaxAttempts":0}`, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			tasks := newScripted(clock, map[string][]outcome{"A": fail("E")})
			ex, _ := NewExecutor(ExecutorConfig{Tasks: tasks, Clock: clock, Jitter: func() float64 { return tt.jitter }})
			m := mustMachine(t, `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","Retry":[`+tt.retrier+`],"End":true}}}`)
			_, err := ex.Run(context.Background(), m, json.RawMessage(`{}`))
			var e *Error
			if !errors.As(err, &e) || e.Name != "E" {
				t.Fatalf("err = %v", err)
			}
			if got := clock.sleeps(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("sleeps = %v, want %v", got, tt.want)
			}
			if n := len(tasks.order); n != len(tt.want)+1 {
				t.Errorf("attempts = %d, want %d", n, len(tt.want)+1)
			}
		})
	}
}

func TestTaskTimeout(t *testing.T) {
	clock := newFakeClock()
	tasks := newScripted(clock, map[string][]outcome{"A": {{Sleep: time.Minute, Result: json.RawMessage(`1`)}}})
	ex, _ := NewExecutor(ExecutorConfig{Tasks: tasks, Clock: clock})
	m := mustMachine(t, `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","TimeoutSeconds":5,
		"Catch":[{"ErrorEquals":["States.Timeout"],"ResultPath":"$.err","Next":"B"}],"End":true},"B":{"Type":"Succeed"}}}`)
	out, err := ex.Run(context.Background(), m, json.RawMessage(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Err Error }
	json.Unmarshal(out, &got)
	if got.Err.Name != ErrorTimeout {
		t.Errorf("output = %s", out)
	}
	if now := clock.Now(); now.Sub(newFakeClock().Now()) != 5*time.Second {
		t.Errorf("virtual time advanced to %v, want the 5 s timeout", now)
	}
}

func TestExecutionTimeout(t *testing.T) {
	clock := newFakeClock()
	ex, _ := NewExecutor(ExecutorConfig{Tasks: newScripted(clock, nil), Clock: clock})
	m := mustMachine(t, `{"StartAt":"W","TimeoutSeconds":10,"States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`)
	_, err := ex.Run(context.Background(), m, nil)
	var e *Error
	if !errors.As(err, &e) || e.Name != ErrorTimeout {
		t.Fatalf("err = %v, want States.Timeout", err)
	}
}

func TestWaitUsesClock(t *testing.T) {
	clock := newFakeClock()
	ex, _ := NewExecutor(ExecutorConfig{Tasks: newScripted(clock, nil), Clock: clock})
	m := mustMachine(t, `{"StartAt":"A","States":{"A":{"Type":"Wait","SecondsPath":"$.d","Next":"B"},
		"B":{"Type":"Wait","Timestamp":"2026-11-24T12:01:00Z","End":true}}}`)
	if _, err := ex.Run(context.Background(), m, json.RawMessage(`{"d":7}`)); err != nil {
		t.Fatal(err)
	}
	if got, want := clock.sleeps(), []time.Duration{7 * time.Second, 53 * time.Second}; !reflect.DeepEqual(got, want) {
		t.Errorf("sleeps = %v, want %v", got, want)
	}
}

func TestMaxTransitions(t *testing.T) {
	clock := newFakeClock()
	ex, _ := NewExecutor(ExecutorConfig{Tasks: newScripted(clock, nil), Clock: clock, MaxTransitions: 50})
	m := mustMachine(t, `{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":1,"Next":"A"}}}`)
	_, err := ex.Run(context.Background(), m, nil)
	var e *Error
	if !errors.As(err, &e) || e.Name != ErrorRuntime {
		t.Fatalf("err = %v", err)
	}
}

func TestHistory(t *testing.T) {
	clock := newFakeClock()
	var mu sync.Mutex
	var types []EventType
	ex, _ := NewExecutor(ExecutorConfig{Tasks: newScripted(clock, nil), Clock: clock, OnEvent: func(e Event) {
		mu.Lock()
		types = append(types, e.Type)
		mu.Unlock()
	}})
	m := mustMachine(t, `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`)
	ex.Run(context.Background(), m, json.RawMessage(`{}`))
	want := []EventType{EventStateEntered, EventStateExited, EventExecutionSucceed}
	if !reflect.DeepEqual(types, want) {
		t.Errorf("events = %v, want %v", types, want)
	}
}

func TestUnsupported(t *testing.T) {
	clock := newFakeClock()
	ex, _ := NewExecutor(ExecutorConfig{Tasks: newScripted(clock, nil), Clock: clock})
	for name, def := range map[string]string{
		"intrinsic": `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.Format('{}', $.a)"},"End":true}}}`,
		"wildcard":  `{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.a[*]","End":true}}}`,
		"context":   `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"$$.Execution.Id"},"End":true}}}`,
		"map":       `{"StartAt":"A","States":{"A":{"Type":"Map","End":true}}}`,
	} {
		_, err := ex.Run(context.Background(), mustMachine(t, def), json.RawMessage(`{"a":[1]}`))
		var e *Error
		if !errors.As(err, &e) || e.Name != ErrorRuntime {
			t.Errorf("%s: err = %v, want States.Runtime", name, err)
		}
	}
	if _, err := ParseMachine([]byte(`{"QueryLanguage":"JSONata","StartAt":"A","States":{}}`)); err == nil {
		t.Error("JSONata accepted")
	}
}

func TestWildcard(t *testing.T) {
	for _, tt := range []struct {
		pat, s string
		want   bool
	}{
		{"*", "", true}, {"a*", "abc", true}, {"*c", "abc", true}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false},
		{`a\*`, "a*", true}, {`a\*`, "ab", false}, {`a\\b`, `a\b`, true}, {"log-*.txt", "log-2026.txt", true},
		{"**a", "a", true}, {"*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	} {
		if got := wildcard(tt.pat, tt.s); got != tt.want {
			t.Errorf("wildcard(%q, %q) = %v", tt.pat, tt.s, got)
		}
	}
}

func TestSagaEachStepFails(t *testing.T) {
	// A 4-step saga: fail step k in turn; compensations of k-1..1 run once,
	// in reverse order.
	w := &Workflow{Slug: "saga4"}
	for i, n := range []string{"s1", "s2", "s3", "s4"} {
		next := ""
		if i < 3 {
			next = []string{"s2", "s3", "s4"}[i]
		}
		w.Steps = append(w.Steps, Step{Name: n, Type: StepCall, Next: next, Compensate: "u" + n, Call: &Call{Integration: "x"}})
		w.Compensations = append(w.Compensations, Step{Name: "u" + n, Type: StepCall, Call: &Call{Integration: "x", Method: "DELETE"}})
	}
	m, err := Compile(w, CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for k := 1; k <= 4; k++ {
		clock := newFakeClock()
		failing := w.Steps[k-1].Name
		tasks := newScripted(clock, map[string][]outcome{failing: fail("Boom")})
		ex, _ := NewExecutor(ExecutorConfig{Tasks: tasks, Clock: clock})
		_, err := ex.Run(context.Background(), m, json.RawMessage(`{"body":null}`))
		var e *Error
		if !errors.As(err, &e) || e.Name != "Boom" {
			t.Fatalf("k=%d: err = %v", k, err)
		}
		var undo []string
		for _, s := range tasks.order[k:] {
			undo = append(undo, s)
		}
		var want []string
		for j := k - 1; j >= 1; j-- {
			want = append(want, "Portico.Undo.s"+string(rune('0'+j)))
		}
		if !reflect.DeepEqual(undo, want) {
			t.Errorf("k=%d: compensations %v, want %v", k, undo, want)
		}
	}
}

// TestSagaChoiceFailures: a choice after a compensated step cannot be
// caught, so the compiler guards its comparisons (a missing variable makes
// a rule false) and routes "no rule matched" into the compensation chain.
func TestSagaChoiceFailures(t *testing.T) {
	w := &Workflow{Slug: "route", Steps: []Step{
		{Name: "reserve", Type: StepCall, Next: "route", Compensate: "release", Call: &Call{Integration: "x"}},
		{Name: "route", Type: StepChoice, Choice: &Choice{Rules: []Rule{
			{Condition: Condition{Variable: "$.input.body.speed", Op: "StringEquals", Value: json.RawMessage(`"express"`)}, Next: "ship"},
		}}},
		{Name: "ship", Type: StepCall, Call: &Call{Integration: "x"}},
	}, Compensations: []Step{{Name: "release", Type: StepCall, Call: &Call{Integration: "x", Method: "DELETE"}}}}
	m, err := Compile(w, CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body string
		wantErr    string
		wantTasks  []string
	}{
		{"a rule matches", `{"speed":"express"}`, "", []string{"reserve", "ship"}},
		{"no rule matches", `{"speed":"slow"}`, "States.NoChoiceMatched", []string{"reserve", "Portico.Undo.reserve"}},
		{"the variable is missing", `{}`, "States.NoChoiceMatched", []string{"reserve", "Portico.Undo.reserve"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			tasks := newScripted(clock, nil)
			ex, _ := NewExecutor(ExecutorConfig{Tasks: tasks, Clock: clock})
			_, err := ex.Run(context.Background(), m, json.RawMessage(`{"body":`+tt.body+`}`))
			var e *Error
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != "" && (!errors.As(err, &e) || e.Name != tt.wantErr):
				t.Fatalf("err = %v, want %s", err, tt.wantErr)
			}
			if !reflect.DeepEqual(tasks.order, tt.wantTasks) {
				t.Errorf("tasks %v, want %v", tasks.order, tt.wantTasks)
			}
		})
	}
}
