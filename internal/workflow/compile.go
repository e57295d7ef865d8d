package workflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Names of the states the compiler adds. Step names cannot contain '.', so
// they never collide.
const (
	StateStart            = "Portico.Start"
	StateDone             = "Portico.Done"
	StateFailed           = "Portico.Failed"
	stateUndoPrefix       = "Portico.Undo."
	stateUndoCheckPrefix  = "Portico.Undo?."
	stateUndoFailedPrefix = "Portico.UndoFailed."
	// stateNoMatchPrefix: a choice after a compensated step with no rule
	// matching records States.NoChoiceMatched and compensates (a Choice
	// state cannot be caught).
	stateNoMatchPrefix      = "Portico.NoMatch."
	ErrCompensationFailed   = "Portico.CompensationFailed"
	failurePath             = "$.failure"
	compensationFailurePath = "$.compensationFailure"
)

// DefaultTaskResource is the Resource of Task states when CompileOptions
// names none: a placeholder function ARN (the embedded executor ignores it).
const DefaultTaskResource = "arn:aws:lambda:us-east-1:000000000000:function:portico-workflow-task"

// CompileOptions configure the compiler.
type CompileOptions struct {
	// TaskResource is the ARN Task states invoke: the workflow-task Lambda.
	TaskResource string
	// Tenant is passed to every task so the worker acts for that tenant.
	Tenant string
}

// ErrInvalid is returned by Compile for a workflow that fails validation.
var ErrInvalid = errors.New("workflow: invalid")

// TaskInput is what a Task state passes to its worker (the Parameters the
// compiler emits, resolved): the step, its configuration, and its input.
type TaskInput struct {
	Tenant string          `json:"tenant,omitempty"`
	Step   string          `json:"step"`
	Kind   StepType        `json:"kind"` // call or transform
	Config json.RawMessage `json:"config"`
	Input  json.RawMessage `json:"input"`
}

// Compile validates w (without catalog lookups; validate with them first)
// and compiles it to Amazon States Language.
func Compile(w *Workflow, opts CompileOptions) (*Machine, error) {
	if p := Validate(w, ValidateOptions{}); p != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, p)
	}
	if opts.TaskResource == "" {
		opts.TaskResource = DefaultTaskResource
	}
	c := compiler{opts: opts, w: w, comps: map[string]*Step{}}
	for i := range w.Compensations {
		c.comps[w.Compensations[i].Name] = &w.Compensations[i]
	}
	return c.compile(), nil
}

type compiler struct {
	opts  CompileOptions
	w     *Workflow
	comps map[string]*Step
}

func (c *compiler) compile() *Machine {
	w := c.w
	states := map[string]*State{}
	steps := w.Steps
	start := startOf(w.StartAt, steps)

	// Compensated steps, in reverse order of completion, and the steps
	// that need a Catch into the chain: those a compensated step reaches.
	order := reversePostorder(steps, start)
	var undo []int
	for _, i := range slices.Backward(order) {
		if steps[i].Compensate != "" {
			undo = append(undo, i)
		}
	}
	caught := map[int]bool{}
	for _, u := range undo {
		for _, j := range reachableFrom(steps, u) {
			caught[j] = true
		}
	}
	chain := StateFailed
	if len(undo) > 0 {
		chain = stateUndoCheckPrefix + steps[undo[0]].Name
	}

	states[StateStart] = &State{
		Type:       "Pass",
		Comment:    "the execution state: the request as input, and each step's result under steps",
		Parameters: json.RawMessage(`{"input.$":"$","steps":{}}`),
		Next:       steps[start].Name,
	}
	done := false
	for i := range steps {
		s := &steps[i]
		st := c.step(s, true)
		if st.Type != "Choice" && st.Type != "Succeed" && st.Type != "Fail" && s.Next == "" {
			st.Next = StateDone
			done = true
		}
		if caught[i] && (st.Type == "Task" || st.Type == "Parallel") {
			st.Catch = []Catcher{{ErrorEquals: []string{"States.ALL"}, ResultPath: P(failurePath), Next: chain}}
		}
		if s.Type == StepChoice && caught[i] && st.Default == "" {
			// Choice states cannot be caught: no match compensates too.
			b, _ := json.Marshal(map[string]string{"Error": "States.NoChoiceMatched", "Cause": "no rule of choice " + s.Name + " matched"})
			st.Default = stateNoMatchPrefix + s.Name
			states[st.Default] = &State{Type: "Pass", Result: b, ResultPath: P(failurePath), Next: chain}
		}
		if s.Type == StepFail && caught[i] {
			// Fail states cannot be caught: record the failure and compensate.
			b, _ := json.Marshal(map[string]string{"Error": s.Fail.Error, "Cause": s.Fail.Cause})
			st = &State{Type: "Pass", Result: b, ResultPath: P(failurePath), Next: chain}
		}
		states[s.Name] = st
	}
	if done {
		states[StateDone] = &State{Type: "Succeed", OutputPath: outputPath(w.Output)}
	}
	if len(caught) > 0 {
		states[StateFailed] = &State{Type: "Fail", Comment: "the step's error, after compensation",
			ErrorPath: failurePath + ".Error", CausePath: failurePath + ".Cause"}
	}
	for k, u := range undo {
		s := &steps[u]
		comp := c.comps[s.Compensate]
		next := StateFailed
		if k+1 < len(undo) {
			next = stateUndoCheckPrefix + steps[undo[k+1]].Name
		}
		states[stateUndoCheckPrefix+s.Name] = &State{
			Type: "Choice",
			Choices: []ChoiceRule{{Variable: "$.steps." + s.Name, Op: "IsPresent",
				Value: json.RawMessage("true"), Next: stateUndoPrefix + s.Name}},
			Default: next,
		}
		st := c.step(comp, false)
		st.Comment = "compensates " + s.Name
		st.ResultPath = NullPath
		st.Next = next
		states[stateUndoPrefix+s.Name] = st
		if st.Type != "Task" {
			continue
		}
		// A failing compensation is retried, then reported: never dropped.
		if len(st.Retry) == 0 {
			st.Retry = []Retrier{{ErrorEquals: []string{"States.ALL"}, IntervalSeconds: 1, MaxAttempts: ptr(3), BackoffRate: 2}}
		}
		st.Catch = []Catcher{{ErrorEquals: []string{"States.ALL"}, ResultPath: P(compensationFailurePath), Next: stateUndoFailedPrefix + s.Name}}
		states[stateUndoFailedPrefix+s.Name] = &State{Type: "Fail", Error: ErrCompensationFailed,
			Cause: fmt.Sprintf("compensating step %s of step %s failed after its retries", comp.Name, s.Name)}
	}
	return &Machine{
		Comment:        "Portico workflow " + w.Slug,
		QueryLanguage:  "JSONPath",
		StartAt:        StateStart,
		TimeoutSeconds: w.TimeoutSeconds,
		States:         states,
	}
}

// branch compiles a parallel branch: its steps, ending where Next is empty.
func (c *compiler) branch(b *Branch) *Machine {
	states := map[string]*State{}
	for i := range b.Steps {
		s := &b.Steps[i]
		st := c.step(s, false)
		if st.Type != "Choice" && st.Type != "Succeed" && st.Type != "Fail" && s.Next == "" {
			st.End = true
		}
		states[s.Name] = st
	}
	return &Machine{StartAt: b.Steps[startOf(b.StartAt, b.Steps)].Name, States: states}
}

// step compiles one step to its state (links other than Next set by the caller).
func (c *compiler) step(s *Step, top bool) *State {
	result := P("$.steps." + s.Name)
	switch s.Type {
	case StepCall, StepTransform:
		var config any
		input := "$"
		if s.Type == StepCall {
			method := s.Call.Method
			if method == "" {
				method = "POST"
			}
			config = CallConfig{Integration: s.Call.Integration, Method: method, Path: s.Call.Path, Headers: s.Call.Headers}
			input = "$.input.body"
			if s.Call.Body != "" {
				input = s.Call.Body
			}
		} else {
			config = TransformConfig{Transform: s.Transform.Transform}
			if s.Transform.Input != "" {
				input = s.Transform.Input
			}
		}
		p := map[string]any{"step": s.Name, "kind": s.Type, "config": config, "input.$": input}
		if c.opts.Tenant != "" {
			p["tenant"] = c.opts.Tenant
		}
		params, _ := json.Marshal(p)
		return &State{Type: "Task", Resource: c.opts.TaskResource, Parameters: params,
			ResultPath: result, TimeoutSeconds: s.TimeoutSeconds, Retry: retriers(s.Retry), Next: s.Next}
	case StepWait:
		st := &State{Type: "Wait", Next: s.Next}
		if s.Wait.SecondsPath != "" {
			st.SecondsPath = s.Wait.SecondsPath
		} else {
			st.Seconds = ptr(s.Wait.Seconds)
		}
		return st
	case StepSet:
		return &State{Type: "Pass", Result: s.Set.Value, ResultPath: result, Next: s.Next}
	case StepFail:
		return &State{Type: "Fail", Error: s.Fail.Error, Cause: s.Fail.Cause}
	case StepSucceed:
		st := &State{Type: "Succeed"}
		if top {
			st.OutputPath = outputPath(c.w.Output)
		}
		return st
	case StepParallel:
		st := &State{Type: "Parallel", ResultPath: result, Retry: retriers(s.Retry), Next: s.Next}
		sel := map[string]string{}
		for i := range s.Parallel.Branches {
			b := &s.Parallel.Branches[i]
			st.Branches = append(st.Branches, c.branch(b))
			sel[b.Name+".$"] = fmt.Sprintf("$[%d].steps", i)
		}
		st.ResultSelector, _ = json.Marshal(sel)
		return st
	case StepChoice:
		st := &State{Type: "Choice", Default: s.Choice.Default}
		for _, r := range s.Choice.Rules {
			rule := choiceRule(r.Condition)
			rule.Next = r.Next
			st.Choices = append(st.Choices, rule)
		}
		return st
	}
	panic("workflow: compile: unvalidated step type " + string(s.Type))
}

func choiceRule(c Condition) ChoiceRule {
	switch {
	case len(c.And) > 0:
		r := ChoiceRule{And: []ChoiceRule{}}
		for _, x := range c.And {
			r.And = append(r.And, choiceRule(x))
		}
		return r
	case len(c.Or) > 0:
		r := ChoiceRule{Or: []ChoiceRule{}}
		for _, x := range c.Or {
			r.Or = append(r.Or, choiceRule(x))
		}
		return r
	case c.Not != nil:
		n := choiceRule(*c.Not)
		return ChoiceRule{Not: &n}
	}
	cmp := ChoiceRule{Variable: c.Variable, Op: c.Op, Value: c.Value}
	if c.Op == "IsPresent" {
		return cmp
	}
	// A comparison of a missing variable (or *Path operand) is a
	// States.Runtime error on Step Functions, which nothing can catch (so
	// no compensation runs): guarded, a missing value makes the rule false.
	guard := []ChoiceRule{{Variable: c.Variable, Op: "IsPresent", Value: json.RawMessage("true")}}
	if strings.HasSuffix(c.Op, "Path") {
		var p string
		if json.Unmarshal(c.Value, &p) == nil {
			guard = append(guard, ChoiceRule{Variable: p, Op: "IsPresent", Value: json.RawMessage("true")})
		}
	}
	return ChoiceRule{And: append(guard, cmp)}
}

func retriers(rs []Retry) []Retrier {
	var out []Retrier
	for _, r := range rs {
		errs := r.Errors
		if len(errs) == 0 {
			errs = []string{"States.ALL"}
		}
		out = append(out, Retrier{ErrorEquals: errs, IntervalSeconds: r.IntervalSeconds, MaxAttempts: r.MaxAttempts,
			BackoffRate: r.BackoffRate, MaxDelaySeconds: r.MaxDelaySeconds, JitterStrategy: r.Jitter})
	}
	return out
}

func outputPath(p string) Path {
	if p == "" || p == "$" {
		return Path{}
	}
	return P(p)
}

func startOf(name string, steps []Step) int {
	for i := range steps {
		if steps[i].Name == name {
			return i
		}
	}
	return 0
}

func successors(steps []Step, i int) []int {
	var names []string
	s := &steps[i]
	if s.Next != "" {
		names = append(names, s.Next)
	}
	if s.Choice != nil {
		for _, r := range s.Choice.Rules {
			names = append(names, r.Next)
		}
		if s.Choice.Default != "" {
			names = append(names, s.Choice.Default)
		}
	}
	var out []int
	for _, n := range names {
		if j := startOf(n, steps); steps[j].Name == n {
			out = append(out, j)
		}
	}
	return out
}

// reversePostorder orders the steps reachable from start so that a step
// comes before every step it reaches (back edges of loops aside).
func reversePostorder(steps []Step, start int) []int {
	seen := make([]bool, len(steps))
	var post []int
	var visit func(int)
	visit = func(i int) {
		seen[i] = true
		for _, j := range successors(steps, i) {
			if !seen[j] {
				visit(j)
			}
		}
		post = append(post, i)
	}
	visit(start)
	slices.Reverse(post)
	return post
}

// reachableFrom lists the steps reachable from i in one or more transitions.
func reachableFrom(steps []Step, i int) []int {
	seen := make([]bool, len(steps))
	var out []int
	stack := successors(steps, i)
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[j] {
			continue
		}
		seen[j] = true
		out = append(out, j)
		stack = append(stack, successors(steps, j)...)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
