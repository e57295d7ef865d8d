package workflow

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/internal/problem"
)

// Limits on workflows.
const (
	MaxSteps          = 200
	MaxStepNameLen    = 48
	MaxConditionDepth = 8
	MaxBranches       = 20
	MaxWaitSeconds    = 365 * 24 * 3600
	MaxTimeoutSeconds = 365 * 24 * 3600
	MaxRetryAttempts  = 99
	// MaxExpressSeconds is Step Functions' limit on an Express execution.
	MaxExpressSeconds = 300
)

var (
	slugRE     = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)
	stepNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)
	// pathRE is the reference-path subset of JSONPath the compiler emits and
	// the executor evaluates: $, .name, [index].
	pathRE      = regexp.MustCompile(`^\$((\.[A-Za-z_][A-Za-z0-9_-]*)|(\[[0-9]+\]))*$`)
	errorNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,127}$`)
	methods     = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}
)

// ValidateOptions are the lookups validation needs from the catalog. A nil
// lookup accepts every name.
type ValidateOptions struct {
	// Integration reports whether the tenant has an integration with slug.
	Integration func(slug string) bool
	// Transform reports whether the tenant has a transform with name.
	Transform func(name string) bool
}

// Validate checks w and returns every problem at once as a 400
// problem+json with one JSON pointer per error, or nil.
func Validate(w *Workflow, opts ValidateOptions) *problem.Problem {
	v := validator{opts: opts, names: map[string]string{}}
	v.workflow(w)
	if len(v.errs) == 0 {
		return nil
	}
	return problem.Validation(v.errs)
}

type validator struct {
	// refs are "$.steps.<name>" references to check once every name is known.
	refs    []stepRef
	express bool
	opts    ValidateOptions
	errs    []problem.FieldError
	names   map[string]string // step name -> pointer of its first definition
}

func (v *validator) add(ptr, format string, args ...any) {
	v.errs = append(v.errs, problem.FieldError{Pointer: ptr, Detail: fmt.Sprintf(format, args...)})
}

func (v *validator) workflow(w *Workflow) {
	switch {
	case w.Slug == "":
		v.add("/slug", "is required")
	case !slugRE.MatchString(w.Slug):
		v.add("/slug", "must be 1-40 lowercase letters, digits or '-', starting and ending with a letter or digit")
	}
	if len(w.Name) > 200 {
		v.add("/name", "must be at most 200 characters")
	}
	switch w.Kind {
	case "", KindExpress, KindStandard:
	default:
		v.add("/kind", "must be %q or %q", KindExpress, KindStandard)
	}
	if w.Output != "" && !pathRE.MatchString(w.Output) {
		v.add("/output", "must be a JSONPath like $.steps.name")
	}
	if w.FailureStatus != 0 && (w.FailureStatus < 400 || w.FailureStatus > 599) {
		v.add("/failureStatus", "must be an HTTP error status (400-599)")
	}
	for name, st := range w.ErrorStatus {
		ptr := "/errorStatus/" + escape(name)
		if !errorNameRE.MatchString(name) {
			v.add(ptr, "is not a valid error name")
		}
		if st < 400 || st > 599 {
			v.add(ptr, "must be an HTTP error status (400-599)")
		}
	}
	v.express = w.Kind != KindStandard
	switch {
	case w.TimeoutSeconds < 0 || w.TimeoutSeconds > MaxTimeoutSeconds:
		v.add("/timeoutSeconds", "must be between 0 and %d", MaxTimeoutSeconds)
	case v.express && w.TimeoutSeconds > MaxExpressSeconds:
		v.add("/timeoutSeconds", "an express workflow runs at most %d seconds; use kind standard", MaxExpressSeconds)
	}
	if n := countSteps(w.Steps) + len(w.Compensations); n > MaxSteps {
		v.add("/steps", "a workflow has at most %d steps (including branches and compensations), got %d", MaxSteps, n)
		return
	}

	comps := map[string]bool{}
	for i := range w.Compensations {
		c := &w.Compensations[i]
		ptr := "/compensations/" + strconv.Itoa(i)
		v.name(ptr, c.Name)
		comps[c.Name] = true
		switch c.Type {
		case StepCall, StepTransform, StepSet:
		default:
			v.add(ptr+"/type", "a compensating step is a call, transform or set")
			continue
		}
		if c.Next != "" {
			v.add(ptr+"/next", "a compensating step has no next: compensations run in reverse order of completed steps")
		}
		if c.Compensate != "" {
			v.add(ptr+"/compensate", "a compensating step has no compensation")
		}
		v.body(ptr, c)
	}
	v.scope("", w.StartAt, w.Steps, true, comps)
	v.path("/output", w.Output)
	for _, r := range v.refs {
		if _, ok := v.names[r.name]; !ok {
			v.add(r.ptr, "refers to $.steps.%s, but no step has that name", r.name)
		}
	}
}

type stepRef struct{ ptr, name string }

// path records a reference to a step's result for checking.
func (v *validator) path(ptr, p string) {
	rest, ok := strings.CutPrefix(p, "$.steps.")
	if !ok {
		return
	}
	name, _, _ := strings.Cut(rest, ".")
	name, _, _ = strings.Cut(name, "[")
	v.refs = append(v.refs, stepRef{ptr, name})
}

func countSteps(steps []Step) int {
	n := len(steps)
	for _, s := range steps {
		if s.Parallel != nil {
			for _, b := range s.Parallel.Branches {
				n += countSteps(b.Steps)
			}
		}
	}
	return n
}

// scope validates one flow (the workflow's or a branch's): step bodies,
// links, reachability and cycles.
func (v *validator) scope(base, startAt string, steps []Step, top bool, comps map[string]bool) {
	if len(steps) == 0 {
		v.add(base+"/steps", "must have at least one step")
		return
	}
	index := map[string]int{}
	for i := range steps {
		s := &steps[i]
		ptr := base + "/steps/" + strconv.Itoa(i)
		v.name(ptr, s.Name)
		if _, dup := index[s.Name]; !dup {
			index[s.Name] = i
		}
		v.body(ptr, s)
		if s.Compensate != "" {
			switch {
			case !top:
				v.add(ptr+"/compensate", "only top-level steps can be compensated; compensate the parallel step instead")
			case !comps[s.Compensate]:
				v.add(ptr+"/compensate", "names no step in compensations: %q", s.Compensate)
			case !slices.Contains([]StepType{StepCall, StepTransform, StepSet, StepParallel}, s.Type):
				v.add(ptr+"/compensate", "only call, transform, set and parallel steps can be compensated")
			}
		}
	}
	start := 0
	if startAt != "" {
		i, ok := index[startAt]
		if !ok {
			v.add(base+"/startAt", "names no step in this flow: %q", startAt)
			return
		}
		start = i
	}
	// Links.
	edges := make([][]int, len(steps))
	link := func(from int, ptr, to string) {
		if to == "" {
			return
		}
		j, ok := index[to]
		if !ok {
			v.add(ptr, "names no step in this flow: %q", to)
			return
		}
		edges[from] = append(edges[from], j)
	}
	for i := range steps {
		s := &steps[i]
		ptr := base + "/steps/" + strconv.Itoa(i)
		switch s.Type {
		case StepFail, StepSucceed, StepChoice:
			if s.Next != "" {
				v.add(ptr+"/next", "a %s step has no next", s.Type)
			}
		default:
			link(i, ptr+"/next", s.Next)
		}
		if s.Type == StepChoice && s.Choice != nil {
			for r, rule := range s.Choice.Rules {
				if rule.Next == "" {
					v.add(ptr+"/choice/rules/"+strconv.Itoa(r)+"/next", "is required")
				}
				link(i, ptr+"/choice/rules/"+strconv.Itoa(r)+"/next", rule.Next)
			}
			link(i, ptr+"/choice/default", s.Choice.Default)
		}
	}
	// Reachability.
	seen := make([]bool, len(steps))
	stack := []int{start}
	seen[start] = true
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, j := range edges[i] {
			if !seen[j] {
				seen[j] = true
				stack = append(stack, j)
			}
		}
	}
	for i, ok := range seen {
		if !ok {
			v.add(base+"/steps/"+strconv.Itoa(i), "is unreachable from %q", steps[start].Name)
		}
	}
	// Cycles: a loop must pass through a wait step (a polling loop) and
	// must not contain compensated steps (their reverse order is undefined).
	for _, scc := range cycles(edges) {
		hasWait, comp := false, -1
		for _, i := range scc {
			if steps[i].Type == StepWait {
				hasWait = true
			}
			if steps[i].Compensate != "" && comp < 0 {
				comp = i
			}
		}
		first := slices.Min(scc)
		if !hasWait {
			v.add(base+"/steps/"+strconv.Itoa(first), "is part of a cycle without a wait step")
		}
		if comp >= 0 {
			v.add(base+"/steps/"+strconv.Itoa(comp)+"/compensate", "a compensated step cannot be part of a cycle")
		}
	}
}

// cycles returns the strongly connected components that contain a cycle
// (Tarjan's algorithm).
func cycles(edges [][]int) [][]int {
	n := len(edges)
	index, low := make([]int, n), make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var out [][]int
	next := 0
	var strong func(int)
	strong = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range edges[v] {
			if index[w] < 0 {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var scc []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				scc = append(scc, w)
				if w == v {
					break
				}
			}
			if len(scc) > 1 || slices.Contains(edges[v], v) {
				out = append(out, scc)
			}
		}
	}
	for i := range n {
		if index[i] < 0 {
			strong(i)
		}
	}
	return out
}

func (v *validator) name(ptr, name string) {
	switch {
	case name == "":
		v.add(ptr+"/name", "is required")
		return
	case len(name) > MaxStepNameLen || !stepNameRE.MatchString(name):
		v.add(ptr+"/name", "must be 1-%d letters, digits, '_' or '-', starting with a letter", MaxStepNameLen)
		return
	}
	if first, dup := v.names[name]; dup {
		v.add(ptr+"/name", "duplicates the step at %s (step names are unique in a workflow)", first)
		return
	}
	v.names[name] = ptr
}

// body checks the block matching the step type and the per-step policies.
func (v *validator) body(ptr string, s *Step) {
	blocks := map[StepType]bool{
		StepCall: s.Call != nil, StepTransform: s.Transform != nil, StepWait: s.Wait != nil,
		StepSet: s.Set != nil, StepFail: s.Fail != nil, StepParallel: s.Parallel != nil, StepChoice: s.Choice != nil,
	}
	switch s.Type {
	case StepCall, StepTransform, StepWait, StepSet, StepFail, StepParallel, StepChoice, StepSucceed:
	case "":
		v.add(ptr+"/type", "is required")
		return
	default:
		v.add(ptr+"/type", "must be one of call, transform, wait, set, fail, succeed, parallel, choice")
		return
	}
	for t, present := range blocks {
		if t == s.Type && !present {
			v.add(ptr+"/"+string(t), "is required for a %s step", t)
		}
		if t != s.Type && present {
			v.add(ptr+"/"+string(t), "is not allowed on a %s step", s.Type)
		}
	}
	task := s.Type == StepCall || s.Type == StepTransform
	if len(s.Retry) > 0 && !task && s.Type != StepParallel {
		v.add(ptr+"/retry", "only call, transform and parallel steps retry")
	}
	for i, r := range s.Retry {
		v.retry(ptr+"/retry/"+strconv.Itoa(i), r)
	}
	if s.TimeoutSeconds != 0 {
		switch {
		case !task:
			v.add(ptr+"/timeoutSeconds", "only call and transform steps have a timeout")
		case s.TimeoutSeconds < 1 || s.TimeoutSeconds > MaxTimeoutSeconds:
			v.add(ptr+"/timeoutSeconds", "must be between 1 and %d", MaxTimeoutSeconds)
		}
	}
	switch {
	case s.Type == StepCall && s.Call != nil:
		c := s.Call
		p := ptr + "/call"
		switch {
		case c.Integration == "":
			v.add(p+"/integration", "is required")
		case v.opts.Integration != nil && !v.opts.Integration(c.Integration):
			v.add(p+"/integration", "names no integration of this tenant: %q", c.Integration)
		}
		if c.Method != "" && !slices.Contains(methods, c.Method) {
			v.add(p+"/method", "must be one of %s", strings.Join(methods, ", "))
		}
		if c.Path != "" && (!strings.HasPrefix(c.Path, "/") || strings.ContainsAny(c.Path, " \t\r\n?#")) {
			v.add(p+"/path", "must start with '/' and contain no whitespace, '?' or '#'")
		}
		for k, val := range c.Headers {
			if k == "" || strings.HasSuffix(k, ".$") || strings.ContainsAny(k+val, "\r\n") {
				v.add(p+"/headers/"+escape(k), "is not a valid header")
			}
		}
		if c.Body != "" && !pathRE.MatchString(c.Body) {
			v.add(p+"/body", "must be a JSONPath like $.input")
		}
		v.path(p+"/body", c.Body)
	case s.Type == StepTransform && s.Transform != nil:
		t := s.Transform
		p := ptr + "/transform"
		switch {
		case t.Transform == "":
			v.add(p+"/transform", "is required")
		case v.opts.Transform != nil && !v.opts.Transform(t.Transform):
			v.add(p+"/transform", "names no transform of this tenant: %q", t.Transform)
		}
		if t.Input != "" && !pathRE.MatchString(t.Input) {
			v.add(p+"/input", "must be a JSONPath like $.steps.name")
		}
		v.path(p+"/input", t.Input)
	case s.Type == StepWait && s.Wait != nil:
		w := s.Wait
		switch {
		case w.SecondsPath != "" && w.Seconds != 0:
			v.add(ptr+"/wait", "set seconds or secondsPath, not both")
		case w.SecondsPath != "":
			if !pathRE.MatchString(w.SecondsPath) {
				v.add(ptr+"/wait/secondsPath", "must be a JSONPath like $.input.delay")
			}
		case w.Seconds < 0 || w.Seconds > MaxWaitSeconds:
			v.add(ptr+"/wait/seconds", "must be between 0 and %d", MaxWaitSeconds)
		case v.express && w.Seconds > MaxExpressSeconds:
			v.add(ptr+"/wait/seconds", "an express workflow runs at most %d seconds; use kind standard", MaxExpressSeconds)
		}
	case s.Type == StepSet && s.Set != nil:
		if len(s.Set.Value) == 0 || !json.Valid(s.Set.Value) {
			v.add(ptr+"/set/value", "must be a JSON value")
		}
	case s.Type == StepFail && s.Fail != nil:
		switch e := s.Fail.Error; {
		case e == "":
			v.add(ptr+"/fail/error", "is required")
		case !errorNameRE.MatchString(e):
			v.add(ptr+"/fail/error", "must be 1-128 letters, digits, '_', '.' or '-', starting with a letter")
		case strings.HasPrefix(e, "States."):
			v.add(ptr+"/fail/error", "the States. prefix is reserved")
		}
		if len(s.Fail.Cause) > 4096 {
			v.add(ptr+"/fail/cause", "must be at most 4096 characters")
		}
	case s.Type == StepParallel && s.Parallel != nil:
		bs := s.Parallel.Branches
		if len(bs) == 0 || len(bs) > MaxBranches {
			v.add(ptr+"/parallel/branches", "must have 1-%d branches", MaxBranches)
		}
		bnames := map[string]bool{}
		for i, b := range bs {
			bp := ptr + "/parallel/branches/" + strconv.Itoa(i)
			switch {
			case !stepNameRE.MatchString(b.Name) || len(b.Name) > MaxStepNameLen:
				v.add(bp+"/name", "must be 1-%d letters, digits, '_' or '-', starting with a letter", MaxStepNameLen)
			case bnames[b.Name]:
				v.add(bp+"/name", "duplicates another branch of this step")
			}
			bnames[b.Name] = true
			v.scope(bp, b.StartAt, b.Steps, false, nil)
		}
	case s.Type == StepChoice && s.Choice != nil:
		if len(s.Choice.Rules) == 0 {
			v.add(ptr+"/choice/rules", "must have at least one rule")
		}
		for i, r := range s.Choice.Rules {
			v.condition(ptr+"/choice/rules/"+strconv.Itoa(i)+"/condition", &r.Condition, 0)
		}
	}
}

func (v *validator) retry(ptr string, r Retry) {
	for i, e := range r.Errors {
		if !errorNameRE.MatchString(e) {
			v.add(ptr+"/errors/"+strconv.Itoa(i), "is not a valid error name")
		}
	}
	if slices.Contains(r.Errors, "States.ALL") && len(r.Errors) > 1 {
		v.add(ptr+"/errors", "States.ALL must appear alone")
	}
	if r.IntervalSeconds < 0 || r.IntervalSeconds > 99999999 {
		v.add(ptr+"/intervalSeconds", "must be between 1 and 99999999")
	}
	if r.MaxAttempts != nil && (*r.MaxAttempts < 0 || *r.MaxAttempts > MaxRetryAttempts) {
		v.add(ptr+"/maxAttempts", "must be between 0 and %d", MaxRetryAttempts)
	}
	if r.BackoffRate != 0 && r.BackoffRate < 1 {
		v.add(ptr+"/backoffRate", "must be at least 1.0")
	}
	if r.MaxDelaySeconds < 0 || r.MaxDelaySeconds > 31622400 {
		v.add(ptr+"/maxDelaySeconds", "must be between 1 and 31622400")
	}
	switch r.Jitter {
	case "", JitterNone, JitterFull:
	default:
		v.add(ptr+"/jitter", "must be NONE or FULL")
	}
}

// Comparison operators, by the type of value they compare with.
var (
	stringOps  = []string{"StringEquals", "StringLessThan", "StringGreaterThan", "StringLessThanEquals", "StringGreaterThanEquals", "StringMatches"}
	numericOps = []string{"NumericEquals", "NumericLessThan", "NumericGreaterThan", "NumericLessThanEquals", "NumericGreaterThanEquals"}
	boolOps    = []string{"BooleanEquals"}
	timeOps    = []string{"TimestampEquals", "TimestampLessThan", "TimestampGreaterThan", "TimestampLessThanEquals", "TimestampGreaterThanEquals"}
	typeOps    = []string{"IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"}
)

// IsOperator reports whether op is a Step Functions comparison operator.
func IsOperator(op string) bool {
	base := strings.TrimSuffix(op, "Path")
	if base != op { // *Path variants exist for every comparison but StringMatches and the type tests
		return slices.Contains(stringOps[:5], base) || slices.Contains(numericOps, base) ||
			slices.Contains(boolOps, base) || slices.Contains(timeOps, base)
	}
	return slices.Contains(stringOps, op) || slices.Contains(numericOps, op) || slices.Contains(boolOps, op) ||
		slices.Contains(timeOps, op) || slices.Contains(typeOps, op)
}

func (v *validator) condition(ptr string, c *Condition, depth int) {
	if depth > MaxConditionDepth {
		v.add(ptr, "conditions nest at most %d levels", MaxConditionDepth)
		return
	}
	set := 0
	for _, b := range []bool{len(c.And) > 0, len(c.Or) > 0, c.Not != nil, c.Op != "" || c.Variable != ""} {
		if b {
			set++
		}
	}
	if set != 1 {
		v.add(ptr, "must be exactly one of and, or, not, or a comparison (variable, op, value)")
		return
	}
	switch {
	case len(c.And) > 0:
		for i := range c.And {
			v.condition(ptr+"/and/"+strconv.Itoa(i), &c.And[i], depth+1)
		}
	case len(c.Or) > 0:
		for i := range c.Or {
			v.condition(ptr+"/or/"+strconv.Itoa(i), &c.Or[i], depth+1)
		}
	case c.Not != nil:
		v.condition(ptr+"/not", c.Not, depth+1)
	default:
		if !pathRE.MatchString(c.Variable) {
			v.add(ptr+"/variable", "must be a JSONPath like $.input.amount")
		}
		v.path(ptr+"/variable", c.Variable)
		if !IsOperator(c.Op) {
			v.add(ptr+"/op", "is not a Step Functions comparison operator: %q", c.Op)
			return
		}
		v.operand(ptr+"/value", c.Op, c.Value)
	}
}

func (v *validator) operand(ptr, op string, raw json.RawMessage) {
	var val any
	if len(raw) == 0 || json.Unmarshal(raw, &val) != nil {
		v.add(ptr, "is required")
		return
	}
	if strings.HasSuffix(op, "Path") {
		s, ok := val.(string)
		if !ok || !pathRE.MatchString(s) {
			v.add(ptr, "%s compares with a JSONPath like $.input.limit", op)
		}
		v.path(ptr, s)
		return
	}
	base := op
	switch {
	case slices.Contains(stringOps, base):
		if _, ok := val.(string); !ok {
			v.add(ptr, "%s compares with a string", op)
		}
	case slices.Contains(numericOps, base):
		if _, ok := val.(float64); !ok {
			v.add(ptr, "%s compares with a number", op)
		}
	case slices.Contains(boolOps, base), slices.Contains(typeOps, base):
		if _, ok := val.(bool); !ok {
			v.add(ptr, "%s compares with true or false", op)
		}
	case slices.Contains(timeOps, base):
		s, ok := val.(string)
		if _, err := time.Parse(time.RFC3339Nano, s); !ok || err != nil {
			v.add(ptr, "%s compares with an RFC 3339 timestamp", op)
		}
	}
}

// escape escapes a JSON pointer reference token (RFC 6901).
func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
