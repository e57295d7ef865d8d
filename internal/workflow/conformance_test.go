package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
)

// confCase is one differential case: a definition, an input, and scripted
// task outcomes, run on the embedded executor and on aws-local-stepfunctions.
type confCase struct {
	Name       string               `json:"name"`
	Definition json.RawMessage      `json:"definition"`
	Input      json.RawMessage      `json:"input"`
	Tasks      map[string][]outcome `json:"tasks,omitempty"`
	// Want, when set, is the expected error name ("" expects success).
	WantError string `json:"-"`
	// WantCalls, when set, is the expected order of task states.
	WantCalls []string `json:"-"`
	// RacyCalls: which sibling branches ran before a failure cancelled
	// them is timing; only the outcome is compared.
	RacyCalls bool `json:"-"`
	// Difference, when set, is a deliberate difference from the reference
	// interpreter (listed in docs/workflows.md): only the embedded result
	// is asserted.
	Difference string `json:"-"`
}

type confResult struct {
	Name   string                       `json:"name"`
	Output json.RawMessage              `json:"output,omitempty"`
	Error  string                       `json:"error,omitempty"`
	Cause  string                       `json:"cause,omitempty"`
	Calls  map[string][]json.RawMessage `json:"calls"`
	order  []string
}

func ok(v string) []outcome      { return []outcome{{Result: json.RawMessage(v)}} }
func fail(name string) []outcome { return []outcome{{Error: name, Cause: "scripted " + name}} }

func compiled(t testing.TB, name string) json.RawMessage { return compileFixture(t, name).JSON() }

// conformanceCases covers every shape the compiler emits (through the
// fixtures) and hand-written definitions for path processing and Choice.
func conformanceCases(t testing.TB) []confCase {
	linear, saga, parallel := compiled(t, "linear"), compiled(t, "saga"), compiled(t, "parallel")
	sagaTasks := func(failing string) map[string][]outcome {
		m := map[string][]outcome{
			"reserve": ok(`{"id":"r1","available":true}`), "charge": ok(`{"id":"c1"}`),
			"ship": ok(`{"id":"s1"}`), "notify": ok(`{"sent":true}`),
		}
		if failing != "" {
			m[failing] = fail("Boom")
		}
		return m
	}
	sagaIn := json.RawMessage(`{"body":{"payment":{"card":"4242"},"items":[1,2]},"params":{},"query":{}}`)
	cases := []confCase{
		{Name: "linear/ok", Definition: linear, Input: json.RawMessage(`{"body":{"id":42}}`),
			Tasks:     map[string][]outcome{"fetch": ok(`{"order":{"id":42,"total":10.5}}`), "reshape": ok(`{"total":10.5}`)},
			WantCalls: []string{"fetch", "reshape"}},
		{Name: "linear/retry then ok", Definition: linear, Input: json.RawMessage(`{"body":{"id":1}}`),
			Tasks:     map[string][]outcome{"fetch": {{Error: "Portico.UpstreamUnavailable"}, {Result: json.RawMessage(`{"n":1}`)}}},
			WantCalls: []string{"fetch", "fetch", "reshape"}},
		{Name: "linear/retries exhausted", Definition: linear, Input: json.RawMessage(`{"body":null}`),
			Tasks: map[string][]outcome{"fetch": fail("Portico.UpstreamUnavailable")}, WantError: "Portico.UpstreamUnavailable",
			WantCalls: []string{"fetch", "fetch", "fetch"}},
		{Name: "linear/not retried", Definition: linear, Input: json.RawMessage(`{"body":null}`),
			Tasks: map[string][]outcome{"fetch": fail("Portico.BadRequest")}, WantError: "Portico.BadRequest", WantCalls: []string{"fetch"}},
		{Name: "saga/ok", Definition: saga, Input: sagaIn, Tasks: sagaTasks(""),
			WantCalls: []string{"reserve", "charge", "ship", "notify"}},
		{Name: "saga/reserve fails", Definition: saga, Input: sagaIn, Tasks: sagaTasks("reserve"),
			WantError: "Boom", WantCalls: []string{"reserve"}},
		{Name: "saga/charge fails", Definition: saga, Input: sagaIn, Tasks: sagaTasks("charge"),
			WantError: "Boom", WantCalls: []string{"reserve", "charge", "Portico.Undo.reserve"}},
		{Name: "saga/ship fails", Definition: saga, Input: sagaIn, Tasks: sagaTasks("ship"),
			WantError: "Boom", WantCalls: []string{"reserve", "charge", "ship", "Portico.Undo.charge", "Portico.Undo.reserve"}},
		{Name: "saga/notify fails", Definition: saga, Input: sagaIn, Tasks: sagaTasks("notify"),
			WantError: "Boom", WantCalls: []string{"reserve", "charge", "ship", "notify", "Portico.Undo.ship", "Portico.Undo.charge", "Portico.Undo.reserve"}},
		{Name: "saga/out of stock", Definition: saga, Input: sagaIn,
			Tasks:     map[string][]outcome{"reserve": ok(`{"available":false}`)},
			WantError: "OutOfStock", WantCalls: []string{"reserve", "charge", "Portico.Undo.charge", "Portico.Undo.reserve"}},
		{Name: "saga/compensation fails after retries", Definition: saga, Input: sagaIn,
			Tasks:     map[string][]outcome{"reserve": ok(`{"available":true}`), "ship": fail("Boom"), "Portico.Undo.charge": fail("RefundDown")},
			WantError: ErrCompensationFailed, WantCalls: []string{"reserve", "charge", "ship", "Portico.Undo.charge",
				"Portico.Undo.charge", "Portico.Undo.charge", "Portico.Undo.charge", "Portico.Undo.charge", "Portico.Undo.charge"}},
		{Name: "saga/timeout is caught", Definition: saga, Input: sagaIn,
			Tasks:     map[string][]outcome{"reserve": ok(`{"available":true}`), "ship": fail("States.Timeout")},
			WantError: "States.Timeout"},
	}
	quotes := map[string][]outcome{"quoteA": ok(`{"price":10}`), "quoteB": ok(`{"price":12}`)}
	for _, in := range []struct{ name, input, err string }{
		{"cheaper A", `{"express":false}`, ""},
		{"express", `{"express":true,"carrier":"b"}`, ""},
		{"carrier pattern", `{"express":true,"carrier":"b-fast"}`, ""},
		{"timestamp", `{"express":true,"carrier":"x","until":"2026-06-01T00:00:00Z"}`, ""},
		{"delay", `{"express":true,"carrier":"x","until":"2025-06-01T00:00:00Z","delay":3}`, ""},
		{"no carrier", `{"express":true,"carrier":"x","until":"2025-06-01T00:00:00Z","delay":"3"}`, "NoCarrier"},
		{"missing variable: the rule is false", `{"express":true}`, "NoCarrier"},
	} {
		cases = append(cases, confCase{Name: "parallel/" + in.name, Definition: parallel, Input: json.RawMessage(`{"body":` + in.input + `}`), Tasks: quotes, WantError: in.err})
	}
	cases = append(cases,
		confCase{Name: "parallel/branch fails", Definition: parallel, Input: json.RawMessage(`{"body":{}}`),
			Tasks: map[string][]outcome{"quoteA": ok(`{"price":1}`), "quoteB": fail("CarrierDown")}, WantError: "CarrierDown", RacyCalls: true},
	)
	cases = append(cases, redriveCases(t)...)
	return append(cases, handwritten()...)
}

// redriveCases: a redrive resumes at the failed state with the input it
// recorded when entered (Executor.Resume). As a definition, that is the
// compiled one with StartAt set to the state, which the reference
// interpreter runs too; TestResumeEquivalence holds Resume to it.
func redriveCases(t testing.TB) []confCase {
	resumed := func(fixture, state, input string, failing map[string][]outcome) (json.RawMessage, json.RawMessage) {
		m := compileFixture(t, fixture)
		clock := newFakeClock()
		ex, _ := NewExecutor(ExecutorConfig{Tasks: newScripted(clock, failing), Clock: clock, Jitter: func() float64 { return 0.5 }})
		var (
			mu      sync.Mutex
			entered json.RawMessage
		)
		_, err := ex.RunObserved(context.Background(), m, json.RawMessage(input), func(ev Event) {
			mu.Lock()
			defer mu.Unlock()
			if ev.Type == EventStateEntered && ev.State == state {
				entered = ev.Input
			}
		})
		if err == nil || entered == nil {
			t.Fatalf("%s: want a failure in %s, got %v", fixture, state, err)
		}
		// The reference refuses unreachable states: keep those reachable from state.
		m.StartAt = state
		keep := map[string]bool{}
		var visit func(string)
		visit = func(name string) {
			st, ok := m.States[name]
			if !ok || keep[name] {
				return
			}
			keep[name] = true
			next := []string{st.Next, st.Default}
			for _, r := range st.Choices {
				next = append(next, r.Next)
			}
			for _, c := range st.Catch {
				next = append(next, c.Next)
			}
			for _, n := range next {
				visit(n)
			}
		}
		visit(state)
		for name := range m.States {
			if !keep[name] {
				delete(m.States, name)
			}
		}
		return m.JSON(), entered
	}
	linear, linearIn := resumed("linear", "reshape", `{"body":{"id":42}}`,
		map[string][]outcome{"fetch": ok(`{"order":{"id":42}}`), "reshape": fail("Portico.TransformFailed")})
	saga, sagaIn := resumed("saga", "reserve", `{"body":{"payment":{"card":"4242"}},"params":{},"query":{}}`,
		map[string][]outcome{"reserve": fail("Portico.UpstreamServerError")})
	sagaOK := map[string][]outcome{"reserve": ok(`{"available":true}`), "charge": ok(`{"id":"c1"}`), "ship": ok(`{"id":"s1"}`), "notify": ok(`{}`)}
	sagaShipFails := map[string][]outcome{"reserve": ok(`{"available":true}`), "charge": ok(`{"id":"c1"}`), "ship": fail("Boom")}
	return []confCase{
		{Name: "redrive/linear at the failed step", Definition: linear, Input: linearIn,
			Tasks: map[string][]outcome{"reshape": ok(`{"total":1}`)}, WantCalls: []string{"reshape"}},
		{Name: "redrive/saga before compensation", Definition: saga, Input: sagaIn, Tasks: sagaOK,
			WantCalls: []string{"reserve", "charge", "ship", "notify"}},
		{Name: "redrive/saga compensates a later failure", Definition: saga, Input: sagaIn, Tasks: sagaShipFails,
			WantError: "Boom", WantCalls: []string{"reserve", "charge", "ship", "Portico.Undo.charge", "Portico.Undo.reserve"}},
	}
}

// handwritten cases: path processing (the specification's examples),
// every Choice operator, Catch with ResultPath, Fail with paths.
func handwritten() []confCase {
	def := func(states string) json.RawMessage {
		return json.RawMessage(`{"StartAt":"A","States":` + states + `}`)
	}
	task := `"Resource":"arn:aws:lambda:us-east-1:000000000000:function:f"`
	cases := []confCase{
		{Name: "paths/spec example", Definition: def(`{"A":{"Type":"Task",` + task + `,
			"InputPath":"$.library","Parameters":{"staticValue":"Just a string","catalog":{"myFavoriteItem.$":"$.movies[0]"}},
			"ResultSelector":{"title.$":"$.body.title","code":200},"ResultPath":"$.taskresult","OutputPath":"$.taskresult","End":true}}`),
			Input: json.RawMessage(`{"library":{"movies":[{"title":"Dune"},{"title":"Alien"}],"owner":"me"}}`),
			Tasks: map[string][]outcome{"A": ok(`{"body":{"title":"Dune","year":1984}}`)}},
		{Name: "paths/result path merges into raw input", Definition: def(`{"A":{"Type":"Pass","InputPath":"$.a","Result":{"x":1},"ResultPath":"$.a.b.c","Next":"B"},
			"B":{"Type":"Pass","ResultPath":null,"Parameters":{"y.$":"$.a"},"OutputPath":"$.a","End":true}}`),
			Input: json.RawMessage(`{"a":{"k":"v"},"z":[1,2]}`)},
		{Name: "paths/parameters from input", Definition: def(`{"A":{"Type":"Pass","Parameters":{"first.$":"$.list[1]","nested":{"deep.$":"$['odd key']"},"lit":[1,"$.x"]},"End":true}}`),
			Input: json.RawMessage(`{"list":["a","b"],"odd key":{"v":true}}`)},
		{Name: "paths/missing input path", Definition: def(`{"A":{"Type":"Pass","InputPath":"$.nope","End":true}}`),
			Input: json.RawMessage(`{}`), WantError: "States.Runtime"},
		{Name: "catch/result path keeps input", Definition: def(`{"A":{"Type":"Task",` + task + `,"Catch":[{"ErrorEquals":["Nope"],"Next":"X"},{"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.err","Next":"B"}],"End":true},
			"B":{"Type":"Succeed"},"X":{"Type":"Fail","Error":"Wrong"}}`),
			Input: json.RawMessage(`{"keep":1}`), Tasks: map[string][]outcome{"A": fail("Custom.Error")}},
		{Name: "catch/timeout not matched by TaskFailed", Definition: def(`{"A":{"Type":"Task",` + task + `,"Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"B"}],"End":true},"B":{"Type":"Succeed"}}`),
			Input: json.RawMessage(`{}`), Tasks: map[string][]outcome{"A": fail("States.Timeout")}, WantError: "States.Timeout",
			Difference: "aws-local-stepfunctions exempts only its own timeout object from States.TaskFailed, not an error named States.Timeout (a Lambda's errorType); Step Functions matches by name"},
		{Name: "catch/no result path replaces input", Definition: def(`{"A":{"Type":"Task",` + task + `,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"B"}],"End":true},"B":{"Type":"Pass","End":true}}`),
			Input: json.RawMessage(`{"keep":1}`), Tasks: map[string][]outcome{"A": fail("E1")}},
		{Name: "fail/paths", Definition: def(`{"A":{"Type":"Fail","ErrorPath":"$.e","CausePath":"$.c"}}`),
			Input: json.RawMessage(`{"e":"Mapped.Error","c":"because"}`), WantError: "Mapped.Error"},
		{Name: "parallel/order and selector", Definition: def(`{"A":{"Type":"Parallel","Branches":[
			{"StartAt":"B1","States":{"B1":{"Type":"Pass","Result":1,"End":true}}},
			{"StartAt":"B2","States":{"B2":{"Type":"Task",` + task + `,"End":true}}},
			{"StartAt":"B3","States":{"B3":{"Type":"Pass","End":true}}}],
			"ResultSelector":{"second.$":"$[1]","all.$":"$"},"ResultPath":"$.r","End":true}}`),
			Input: json.RawMessage(`{"in":true}`), Tasks: map[string][]outcome{"B2": ok(`"two"`)}},
		{Name: "timeout/retried then caught", Definition: def(`{"A":{"Type":"Task",` + task + `,"TimeoutSeconds":1,
			"Retry":[{"ErrorEquals":["States.Timeout"],"MaxAttempts":1}],
			"Catch":[{"ErrorEquals":["States.Timeout"],"ResultPath":"$.err","Next":"B"}],"End":true},"B":{"Type":"Pass","Parameters":{"error.$":"$.err.Error"},"End":true}}`),
			Input: json.RawMessage(`{}`), Tasks: map[string][]outcome{"A": {{Hang: true}}}},
		{Name: "choice/no match", Definition: def(`{"A":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericEquals":1,"Next":"B"}]},"B":{"Type":"Succeed"}}`),
			Input: json.RawMessage(`{"x":2}`), WantError: "States.NoChoiceMatched"},
	}
	// Every comparison operator, true and false.
	ops := []struct {
		op, value, input string
	}{
		{"StringEquals", `"abc"`, `"abc"`}, {"StringLessThan", `"abd"`, `"abc"`}, {"StringGreaterThan", `"abb"`, `"abc"`},
		{"StringLessThanEquals", `"abc"`, `"abc"`}, {"StringGreaterThanEquals", `"abd"`, `"abc"`},
		{"StringMatches", `"a*c"`, `"abbbc"`}, {"StringMatches", `"a\\*c"`, `"a*c"`}, {"StringMatches", `"*.log"`, `"x.txt"`},
		{"NumericEquals", `1.5`, `1.5`}, {"NumericLessThan", `2`, `1.5`}, {"NumericGreaterThan", `2`, `1.5`},
		{"NumericLessThanEquals", `1`, `1`}, {"NumericGreaterThanEquals", `2`, `1`}, {"NumericEquals", `1`, `"1"`},
		{"BooleanEquals", `true`, `true`}, {"BooleanEquals", `false`, `true`},
		{"TimestampEquals", `"2026-01-01T00:00:00Z"`, `"2026-01-01T00:00:00Z"`},
		{"TimestampLessThan", `"2026-01-02T00:00:00Z"`, `"2026-01-01T00:00:00Z"`},
		{"TimestampGreaterThan", `"2026-01-02T00:00:00Z"`, `"2026-01-01T00:00:00Z"`},
		{"TimestampLessThanEquals", `"2026-01-01T00:00:00Z"`, `"2026-01-01T00:00:00Z"`},
		{"TimestampGreaterThanEquals", `"2026-01-01T00:00:00Z"`, `"2025-01-01T00:00:00Z"`},
		{"IsNull", `true`, `null`}, {"IsNull", `true`, `0`}, {"IsPresent", `true`, `1`}, {"IsNumeric", `true`, `1`},
		{"IsNumeric", `true`, `"1"`}, {"IsString", `true`, `"s"`}, {"IsString", `false`, `"s"`}, {"IsBoolean", `true`, `false`},
		{"IsTimestamp", `true`, `"2026-01-01T00:00:00Z"`}, {"IsTimestamp", `true`, `"yesterday"`},
		{"StringEqualsPath", `"$.other"`, `"abc"`}, {"NumericLessThanPath", `"$.n"`, `1`}, {"BooleanEqualsPath", `"$.b"`, `true`},
		{"TimestampGreaterThanPath", `"$.t"`, `"2026-01-01T00:00:00Z"`},
	}
	for i, o := range ops {
		cases = append(cases, confCase{
			Name: fmt.Sprintf("choice/%02d %s %s %s", i, o.op, o.value, o.input),
			Definition: def(`{"A":{"Type":"Choice","Choices":[{"Variable":"$.v","` + o.op + `":` + o.value + `,"Next":"Yes"},
				{"And":[{"Not":{"Variable":"$.v","IsPresent":false}},{"Or":[{"Variable":"$.b","BooleanEquals":true},{"Variable":"$.n","NumericEquals":0}]}],"Next":"AndOr"}],
				"Default":"No"},"Yes":{"Type":"Pass","Result":"yes","End":true},"AndOr":{"Type":"Pass","Result":"and-or","End":true},"No":{"Type":"Pass","Result":"no","End":true}}`),
			Input: json.RawMessage(`{"v":` + o.input + `,"other":"abc","n":2,"b":true,"t":"2025-01-01T00:00:00Z"}`),
		})
	}
	cases = append(cases, confCase{Name: "choice/missing variable", Definition: def(`{"A":{"Type":"Choice","Choices":[{"Variable":"$.nope","StringEquals":"x","Next":"B"}],"Default":"B"},"B":{"Type":"Succeed"}}`),
		Input: json.RawMessage(`{}`), WantError: "States.Runtime"})
	return cases
}

// runLocal runs a case on the embedded executor with a fake clock.
func runLocal(t testing.TB, c confCase) confResult {
	t.Helper()
	clock := newFakeClock()
	tasks := newScripted(clock, c.Tasks)
	ex, err := NewExecutor(ExecutorConfig{Tasks: tasks, Clock: clock, Jitter: func() float64 { return 0.5 }})
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseMachine(c.Definition)
	if err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	out, err := ex.Run(context.Background(), m, c.Input)
	res := confResult{Name: c.Name, Output: out, Calls: tasks.calls, order: tasks.order}
	var e *Error
	if errors.As(err, &e) {
		res.Error, res.Cause = e.Name, e.Cause
	} else if err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	return res
}

func TestExecutorCases(t *testing.T) {
	for _, c := range conformanceCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			got := runLocal(t, c)
			if got.Error != c.WantError {
				t.Errorf("error = %q (%s), want %q; output %s", got.Error, got.Cause, c.WantError, got.Output)
			}
			if c.WantCalls != nil && !reflect.DeepEqual(got.order, c.WantCalls) {
				t.Errorf("calls = %q, want %q", got.order, c.WantCalls)
			}
		})
	}
}

// TestConformance runs every case on aws-local-stepfunctions too and
// requires the same output or error, and the same task calls and inputs.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node")
	}
	module := tool(t, "aws-local-stepfunctions/build/main.node.cjs")
	cases := conformanceCases(t)
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	polyfill, _ := filepath.Abs(filepath.Join("testdata", "with-resolvers.cjs"))
	cmd := exec.Command("node", "--require", polyfill, filepath.Join("testdata", "conformance.cjs"))
	cmd.Env = append(os.Environ(), "ALSF_MODULE="+module)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node conformance runner: %v\n%s", err, stderr.String())
	}
	var ref []confResult
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatalf("runner output: %v\n%s", err, out)
	}
	if len(ref) != len(cases) {
		t.Fatalf("runner returned %d results for %d cases", len(ref), len(cases))
	}
	for i, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			local, want := runLocal(t, c), ref[i]
			if c.Difference != "" {
				if local.Error != c.WantError {
					t.Errorf("error = %q, want %q", local.Error, c.WantError)
				}
				t.Logf("deliberate difference: %s; reference gave error %q output %s", c.Difference, want.Error, want.Output)
				return
			}
			if local.Error != want.Error {
				t.Errorf("error: embedded %q (%s), reference %q (%s)", local.Error, local.Cause, want.Error, want.Cause)
			}
			if !jsonEqual(local.Output, want.Output) {
				t.Errorf("output:\n embedded  %s\n reference %s", local.Output, want.Output)
			}
			if c.RacyCalls {
				return
			}
			if len(local.Calls) != len(want.Calls) {
				t.Errorf("task states called: embedded %v, reference %v", keys(local.Calls), keys(want.Calls))
			}
			for state, inputs := range want.Calls {
				got := local.Calls[state]
				if len(got) != len(inputs) {
					t.Errorf("%s called %d times, reference %d", state, len(got), len(inputs))
					continue
				}
				for k := range inputs {
					if !jsonEqual(got[k], inputs[k]) {
						t.Errorf("%s call %d input:\n embedded  %s\n reference %s", state, k, got[k], inputs[k])
					}
				}
			}
		})
	}
}

func jsonEqual(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b) || string(a)+string(b) == "null"
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
