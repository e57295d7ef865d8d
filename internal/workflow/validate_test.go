package workflow

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestValidateFixtures(t *testing.T) {
	known := func(s string) bool { return s != "missing" }
	for _, name := range fixtures {
		if p := Validate(loadWorkflow(t, name), ValidateOptions{Integration: known, Transform: known}); p != nil {
			t.Errorf("%s: %v %+v", name, p, p.Errors)
		}
	}
}

func TestValidate(t *testing.T) {
	call := func(name, next string) Step {
		return Step{Name: name, Type: StepCall, Next: next, Call: &Call{Integration: "orders"}}
	}
	cond := func(op, value string) Condition {
		return Condition{Variable: "$.input.x", Op: op, Value: json.RawMessage(value)}
	}
	choice := func(c Condition) Step {
		return Step{Name: "c", Type: StepChoice, Choice: &Choice{Rules: []Rule{{Condition: c, Next: "a"}}}}
	}
	wf := func(steps ...Step) Workflow { return Workflow{Slug: "wf", Steps: steps} }
	tests := []struct {
		name string
		w    Workflow
		want []string // "pointer: detail substring"
	}{
		{"slug and steps required", Workflow{}, []string{"/slug: is required", "/steps: must have at least one step"}},
		{"unknown integration", wf(Step{Name: "a", Type: StepCall, Call: &Call{Integration: "missing"}}),
			[]string{"/steps/0/call/integration: names no integration"}},
		{"unknown transform", wf(Step{Name: "a", Type: StepTransform, Transform: &Transform{Transform: "missing"}}),
			[]string{"/steps/0/transform/transform: names no transform"}},
		{"unreachable step", wf(call("a", ""), call("b", "")), []string{"/steps/1: is unreachable"}},
		{"unknown next", wf(call("a", "zz")), []string{"/steps/0/next: names no step"}},
		{"cycle without a wait", wf(call("a", "a2"), Step{Name: "a2", Type: StepSet, Set: &Set{Value: json.RawMessage(`1`)}, Next: "a"}),
			[]string{"/steps/0: is part of a cycle without a wait step"}},
		{"cycle through a wait is a polling loop", wf(call("a", "w"), Step{Name: "w", Type: StepWait, Wait: &Wait{Seconds: 5}, Next: "a"}), nil},
		{"compensated step in a loop", Workflow{Slug: "wf",
			Steps:         []Step{{Name: "a", Type: StepCall, Call: &Call{Integration: "orders"}, Next: "w", Compensate: "u"}, {Name: "w", Type: StepWait, Wait: &Wait{Seconds: 1}, Next: "a"}},
			Compensations: []Step{{Name: "u", Type: StepSet, Set: &Set{Value: json.RawMessage(`1`)}}}},
			[]string{"/steps/0/compensate: a compensated step cannot be part of a cycle"}},
		{"missing compensation target", Workflow{Slug: "wf", Steps: []Step{{Name: "a", Type: StepCall, Call: &Call{Integration: "orders"}, Compensate: "undo"}}},
			[]string{"/steps/0/compensate: names no step in compensations"}},
		{"compensation inside a branch", wf(Step{Name: "p", Type: StepParallel, Parallel: &Parallel{Branches: []Branch{{Name: "b",
			Steps: []Step{{Name: "a", Type: StepCall, Call: &Call{Integration: "orders"}, Compensate: "u"}}}}}}),
			[]string{"/steps/0/parallel/branches/0/steps/0/compensate: only top-level steps"}},
		{"compensation with next", Workflow{Slug: "wf", Steps: []Step{call("a", "")},
			Compensations: []Step{{Name: "u", Type: StepCall, Call: &Call{Integration: "orders"}, Next: "a"}}},
			[]string{"/compensations/0/next: a compensating step has no next"}},
		{"duplicate name across branch", wf(Step{Name: "a", Type: StepParallel, Parallel: &Parallel{Branches: []Branch{{Name: "b", Steps: []Step{call("a", "")}}}}}),
			[]string{"/steps/0/parallel/branches/0/steps/0/name: duplicates the step at /steps/0"}},
		{"wrong block", wf(Step{Name: "a", Type: StepCall, Call: &Call{Integration: "orders"}, Wait: &Wait{}}), []string{"/steps/0/wait: is not allowed on a call step"}},
		{"missing block", wf(Step{Name: "a", Type: StepTransform}), []string{"/steps/0/transform: is required for a transform step"}},
		{"bad retry", wf(Step{Name: "a", Type: StepCall, Call: &Call{Integration: "orders"},
			Retry: []Retry{{Errors: []string{"States.ALL", "X"}, BackoffRate: 0.5, Jitter: "HALF", MaxAttempts: ptr(-1)}}}),
			[]string{"/steps/0/retry/0/errors: States.ALL must appear alone", "/steps/0/retry/0/maxAttempts", "/steps/0/retry/0/backoffRate", "/steps/0/retry/0/jitter"}},
		{"retry on a wait", wf(Step{Name: "a", Type: StepWait, Wait: &Wait{Seconds: 1}, Retry: []Retry{{}}, TimeoutSeconds: 3}),
			[]string{"/steps/0/retry: only call, transform and parallel", "/steps/0/timeoutSeconds: only call and transform"}},
		{"unknown operator", wf(call("a", ""), choice(cond("StringContains", `"x"`))), []string{"/steps/1/choice/rules/0/condition/op: is not a Step Functions comparison operator"}},
		{"operand type", wf(call("a", ""), choice(cond("NumericEquals", `"1"`))), []string{"/steps/1/choice/rules/0/condition/value: NumericEquals compares with a number"}},
		{"path operand", wf(call("a", ""), choice(cond("NumericEqualsPath", `"input.x"`))), []string{"/steps/1/choice/rules/0/condition/value: NumericEqualsPath compares with a JSONPath"}},
		{"timestamp operand", wf(call("a", ""), choice(cond("TimestampEquals", `"yesterday"`))), []string{"/steps/1/choice/rules/0/condition/value: TimestampEquals compares with an RFC 3339"}},
		{"no StringMatchesPath", wf(call("a", ""), choice(cond("StringMatchesPath", `"$.x"`))), []string{"/op: is not a Step Functions comparison operator"}},
		{"two shapes in one condition", wf(call("a", ""), choice(Condition{Variable: "$.x", Op: "IsNull", Value: json.RawMessage(`true`), Not: &Condition{}})),
			[]string{"/steps/1/choice/rules/0/condition: must be exactly one of"}},
		{"nested invalid", wf(call("a", ""), choice(Condition{And: []Condition{cond("IsPresent", `true`), {Or: []Condition{{Variable: "x", Op: "IsNull", Value: json.RawMessage(`true`)}}}}})),
			[]string{"/steps/1/choice/rules/0/condition/and/1/or/0/variable: must be a JSONPath"}},
		{"reserved error prefix", wf(Step{Name: "a", Type: StepFail, Fail: &Fail{Error: "States.Timeout"}}), []string{"/steps/0/fail/error: the States. prefix is reserved"}},
		{"fail has no next", wf(Step{Name: "a", Type: StepFail, Fail: &Fail{Error: "E"}, Next: "a"}), []string{"/steps/0/next: a fail step has no next"}},
		{"step name with a dot", wf(Step{Name: "a.b", Type: StepSucceed}), []string{"/steps/0/name: must be"}},
		{"header injection", wf(Step{Name: "a", Type: StepCall, Call: &Call{Integration: "orders", Headers: map[string]string{"x.$": "$.input"}}}),
			[]string{"/steps/0/call/headers/x.$: is not a valid header"}},
		{"express limits", Workflow{Slug: "wf", TimeoutSeconds: 600, Steps: []Step{{Name: "w", Type: StepWait, Wait: &Wait{Seconds: 301}}}},
			[]string{"/timeoutSeconds: an express workflow runs at most 300", "/steps/0/wait/seconds: an express workflow"}},
		{"standard runs long", Workflow{Slug: "wf", Kind: KindStandard, TimeoutSeconds: 86400, Steps: []Step{{Name: "w", Type: StepWait, Wait: &Wait{Seconds: 3600}}}}, nil},
		{"reference to an unknown step", Workflow{Slug: "wf", Output: "$.steps.nope.x", Steps: []Step{
			{Name: "a", Type: StepTransform, Next: "c", Transform: &Transform{Transform: "t", Input: "$.steps.missing[0]"}},
			{Name: "c", Type: StepChoice, Choice: &Choice{Rules: []Rule{{Condition: Condition{Variable: "$.steps.a.n", Op: "NumericLessThanPath", Value: json.RawMessage(`"$.steps.ghost"`)}, Next: "a"}}, Default: "w"}},
			{Name: "w", Type: StepWait, Wait: &Wait{Seconds: 1}, Next: "a"}}},
			[]string{"/output: refers to $.steps.nope", "/steps/0/transform/input: refers to $.steps.missing", "/steps/1/choice/rules/0/condition/value: refers to $.steps.ghost"}},
		{"status mapping", Workflow{Slug: "wf", FailureStatus: 200, ErrorStatus: map[string]int{"a/b": 302}, Steps: []Step{call("a", "")}},
			[]string{"/failureStatus: must be an HTTP error status", "/errorStatus/a~1b: is not a valid error name", "/errorStatus/a~1b: must be an HTTP error status"}},
	}
	opts := ValidateOptions{Integration: func(s string) bool { return s == "orders" }, Transform: func(s string) bool { return s == "t" }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Validate(&tt.w, opts)
			var got []string
			if p != nil {
				if p.Status != 400 {
					t.Errorf("status = %d", p.Status)
				}
				for _, e := range p.Errors {
					got = append(got, e.Pointer+": "+e.Detail)
				}
			}
			for _, w := range tt.want {
				if !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, w) }) {
					t.Errorf("missing %q in:\n  %s", w, strings.Join(got, "\n  "))
				}
			}
			if len(tt.want) == 0 && len(got) > 0 {
				t.Errorf("unexpected errors:\n  %s", strings.Join(got, "\n  "))
			}
		})
	}
}

func TestIsOperator(t *testing.T) {
	for _, op := range []string{"StringEquals", "StringEqualsPath", "StringMatches", "NumericLessThanEqualsPath", "BooleanEqualsPath",
		"TimestampGreaterThanEqualsPath", "IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"} {
		if !IsOperator(op) {
			t.Errorf("%s is an operator", op)
		}
	}
	for _, op := range []string{"", "Path", "IsNullPath", "StringMatchesPath", "StringContains", "stringequals"} {
		if IsOperator(op) {
			t.Errorf("%s is not an operator", op)
		}
	}
}
