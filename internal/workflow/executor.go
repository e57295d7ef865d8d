package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
)

// Error names of the States Language used by the executor.
const (
	ErrorAll             = "States.ALL"
	ErrorTaskFailed      = "States.TaskFailed"
	ErrorTimeout         = "States.Timeout"
	ErrorRuntime         = "States.Runtime"
	ErrorNoChoiceMatched = "States.NoChoiceMatched"
	ErrorBranchFailed    = "States.BranchFailed"
)

// Error is a named States Language error: what a task returns so that
// Retry and Catch can match it, and how a failed execution ends.
type Error struct {
	Name  string `json:"Error"`
	Cause string `json:"Cause"`
}

// Error implements error.
func (e *Error) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

// Task is one Task state invocation: the state's name, its Resource and its
// effective input (after InputPath and Parameters).
type Task struct {
	State    string
	Resource string
	Input    json.RawMessage
}

// TaskRunner performs Task states. An *Error return keeps its name; any
// other error is States.TaskFailed with the error text as cause.
type TaskRunner interface {
	RunTask(ctx context.Context, t Task) (json.RawMessage, error)
}

// TaskFunc adapts a function to TaskRunner.
type TaskFunc func(ctx context.Context, t Task) (json.RawMessage, error)

// RunTask implements TaskRunner.
func (f TaskFunc) RunTask(ctx context.Context, t Task) (json.RawMessage, error) { return f(ctx, t) }

// Clock is the executor's time: Wait states, retry intervals and timeouts.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done (returning its error).
	Sleep(ctx context.Context, d time.Duration) error
	// WithTimeout returns a context done after d.
	WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
func (realClock) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

// EventType names an execution history event.
type EventType string

// History event types.
const (
	EventStateEntered     EventType = "StateEntered"
	EventStateExited      EventType = "StateExited"
	EventStateFailed      EventType = "StateFailed"
	EventTaskRetried      EventType = "TaskRetried"
	EventExecutionSucceed EventType = "ExecutionSucceeded"
	EventExecutionFailed  EventType = "ExecutionFailed"
	// EventExecutionRedriven starts the events of a redrive (Resume), as
	// in Step Functions' history.
	EventExecutionRedriven EventType = "ExecutionRedriven"
)

// Event is one entry of an execution's history.
type Event struct {
	Time   time.Time       `json:"time"`
	Type   EventType       `json:"type"`
	State  string          `json:"state,omitempty"`
	Input  json.RawMessage `json:"input,omitempty"`
	Output json.RawMessage `json:"output,omitempty"`
	Error  *Error          `json:"error,omitempty"`
}

// ExecutorConfig configures an Executor.
type ExecutorConfig struct {
	Tasks TaskRunner // required
	Clock Clock      // default: the real clock
	// Jitter returns a number in [0,1) for FULL jitter (default math/rand).
	Jitter func() float64
	// MaxTransitions bounds an execution (default 25000, Step Functions'
	// history limit) so a loop cannot run forever.
	MaxTransitions int
	// OnEvent, when set, receives the history (concurrently from parallel
	// branches: it must be safe for concurrent use).
	OnEvent func(Event)
}

// Executor runs Amazon States Language definitions: the embedded engine.
// It implements the states and fields the compiler emits (Task, Parallel,
// Choice, Pass, Wait, Succeed, Fail; InputPath, Parameters, ResultSelector,
// ResultPath, OutputPath, Retry, Catch, TimeoutSeconds) with reference
// paths; docs/workflows.md lists what it does not implement.
type Executor struct {
	cfg ExecutorConfig
}

// NewExecutor returns an executor; cfg.Tasks is required.
func NewExecutor(cfg ExecutorConfig) (*Executor, error) {
	if cfg.Tasks == nil {
		return nil, errors.New("workflow: executor: Tasks is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	if cfg.MaxTransitions <= 0 {
		cfg.MaxTransitions = 25000
	}
	return &Executor{cfg: cfg}, nil
}

// Run executes m with input and returns its output, or an *Error naming
// why the execution failed. Other errors mean the input was not JSON.
func (e *Executor) Run(ctx context.Context, m *Machine, input json.RawMessage) (json.RawMessage, error) {
	return e.RunObserved(ctx, m, input, e.cfg.OnEvent)
}

// RunObserved is Run with its own history observer (nil: none) in place
// of ExecutorConfig.OnEvent.
func (e *Executor) RunObserved(ctx context.Context, m *Machine, input json.RawMessage, onEvent func(Event)) (json.RawMessage, error) {
	return e.run(ctx, m, m.StartAt, input, onEvent, false)
}

// Resume redrives an execution of m: it emits ExecutionRedriven, then
// runs from state (a top-level state of m) with input, the input that
// state received when the execution failed there, to the execution's end.
// The states completed before are not run again; their results are in
// input (the execution state). m.TimeoutSeconds bounds the resumed run.
func (e *Executor) Resume(ctx context.Context, m *Machine, state string, input json.RawMessage, onEvent func(Event)) (json.RawMessage, error) {
	if _, ok := m.States[state]; !ok {
		return nil, fmt.Errorf("workflow: resume: no state named %q", state)
	}
	return e.run(ctx, m, state, input, onEvent, true)
}

func (e *Executor) run(ctx context.Context, m *Machine, start string, input json.RawMessage, onEvent func(Event), redriven bool) (json.RawMessage, error) {
	in, err := decode(input)
	if err != nil {
		return nil, fmt.Errorf("workflow: execution input: %w", err)
	}
	parent := ctx
	if m.TimeoutSeconds > 0 {
		var cancel context.CancelFunc
		ctx, cancel = e.cfg.Clock.WithTimeout(ctx, time.Duration(m.TimeoutSeconds)*time.Second)
		defer cancel()
	}
	x := &execution{Executor: e, onEvent: onEvent}
	if redriven {
		x.emit(Event{Type: EventExecutionRedriven})
	}
	out, ferr := x.machineFrom(ctx, m, start, in)
	if ctx.Err() != nil && parent.Err() == nil {
		out, ferr = nil, &Error{Name: ErrorTimeout, Cause: "the execution timed out"}
	}
	if ferr != nil {
		x.emit(Event{Type: EventExecutionFailed, Error: ferr})
		return nil, ferr
	}
	b := encode(out)
	x.emit(Event{Type: EventExecutionSucceed, Output: b})
	return b, nil
}

type execution struct {
	*Executor
	onEvent     func(Event)
	mu          sync.Mutex
	transitions int
}

func (x *execution) emit(ev Event) {
	if x.onEvent != nil {
		ev.Time = x.cfg.Clock.Now()
		x.onEvent(ev)
	}
}

func runtimeErr(format string, args ...any) *Error {
	return &Error{Name: ErrorRuntime, Cause: fmt.Sprintf(format, args...)}
}

func (x *execution) machine(ctx context.Context, m *Machine, in any) (any, *Error) {
	return x.machineFrom(ctx, m, m.StartAt, in)
}

func (x *execution) machineFrom(ctx context.Context, m *Machine, name string, in any) (any, *Error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, ctxError(err)
		}
		x.mu.Lock()
		x.transitions++
		over := x.transitions > x.cfg.MaxTransitions
		x.mu.Unlock()
		if over {
			return nil, runtimeErr("the execution exceeded %d state transitions", x.cfg.MaxTransitions)
		}
		st, ok := m.States[name]
		if !ok {
			return nil, runtimeErr("no state named %q", name)
		}
		if x.onEvent != nil {
			x.emit(Event{Type: EventStateEntered, State: name, Input: encode(in)})
		}
		out, next, err := x.state(ctx, name, st, in)
		if err != nil {
			x.emit(Event{Type: EventStateFailed, State: name, Error: err})
			return nil, err
		}
		if x.onEvent != nil {
			x.emit(Event{Type: EventStateExited, State: name, Output: encode(out)})
		}
		if next == "" {
			return out, nil
		}
		name, in = next, out
	}
}

func ctxError(err error) *Error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Name: ErrorTimeout, Cause: "the execution timed out"}
	}
	return &Error{Name: "Portico.Aborted", Cause: "the execution was cancelled"}
}

// state runs one state and returns its output and the next state ("" at
// the end).
func (x *execution) state(ctx context.Context, name string, st *State, raw any) (any, string, *Error) {
	next := st.Next
	if st.End {
		next = ""
	}
	switch st.Type {
	case "Succeed":
		in, err := inputPath(st, raw)
		if err != nil {
			return nil, "", err
		}
		out, err := outputPath2(st, in)
		return out, "", err
	case "Fail":
		f := &Error{Name: st.Error, Cause: st.Cause}
		if st.ErrorPath != "" {
			f.Name = pathString(raw, st.ErrorPath)
		}
		if st.CausePath != "" {
			f.Cause = pathString(raw, st.CausePath)
		}
		return nil, "", f
	case "Pass":
		in, err := inputPath(st, raw)
		if err != nil {
			return nil, "", err
		}
		params, _, res, terr := st.templates()
		if terr != nil {
			return nil, "", runtimeErr("state %s: %v", name, terr)
		}
		if in, err = template(params, in); err != nil {
			return nil, "", err
		}
		result := in
		if len(st.Result) > 0 {
			result = res
		}
		out, err := resultAndOutput(st, raw, result)
		return out, next, err
	case "Wait":
		in, err := inputPath(st, raw)
		if err != nil {
			return nil, "", err
		}
		d, err := x.waitFor(st, in)
		if err != nil {
			return nil, "", err
		}
		if err := x.cfg.Clock.Sleep(ctx, d); err != nil {
			return nil, "", ctxError(err)
		}
		out, err := outputPath2(st, in)
		return out, next, err
	case "Choice":
		in, err := inputPath(st, raw)
		if err != nil {
			return nil, "", err
		}
		for _, r := range st.Choices {
			ok, err := evalRule(r, in)
			if err != nil {
				return nil, "", err
			}
			if ok {
				next = r.Next
				break
			}
		}
		if next == "" {
			if st.Default == "" {
				return nil, "", &Error{Name: ErrorNoChoiceMatched, Cause: "no choice rule matched and there is no Default"}
			}
			next = st.Default
		}
		out, err := outputPath2(st, in)
		return out, next, err
	case "Task", "Parallel":
		return x.retrying(ctx, name, st, raw, next)
	}
	return nil, "", runtimeErr("state %s: unsupported type %q", name, st.Type)
}

// retrying runs a Task or Parallel state with its Retry and Catch.
func (x *execution) retrying(ctx context.Context, name string, st *State, raw any, next string) (any, string, *Error) {
	attempts := make([]int, len(st.Retry))
	for {
		out, err := x.attempt(ctx, name, st, raw)
		if err == nil {
			return out, next, nil
		}
		if ctx.Err() != nil || err.Name == ErrorRuntime {
			return nil, "", err
		}
		if i := slices.IndexFunc(st.Retry, func(r Retrier) bool { return matches(r.ErrorEquals, err.Name, st.Type) }); i >= 0 {
			r := st.Retry[i]
			max := 3
			if r.MaxAttempts != nil {
				max = *r.MaxAttempts
			}
			if attempts[i] < max {
				d := backoff(r, attempts[i], x.cfg.Jitter)
				attempts[i]++
				x.emit(Event{Type: EventTaskRetried, State: name, Error: err})
				if serr := x.cfg.Clock.Sleep(ctx, d); serr != nil {
					return nil, "", ctxError(serr)
				}
				continue
			}
		}
		for _, c := range st.Catch {
			if !matches(c.ErrorEquals, err.Name, st.Type) {
				continue
			}
			errOut := map[string]any{"Error": err.Name, "Cause": err.Cause}
			out, perr := resultPath(c.ResultPath, raw, errOut)
			if perr != nil {
				return nil, "", perr
			}
			return out, c.Next, nil
		}
		return nil, "", err
	}
}

// backoff is the delay before retry number attempt (0-based).
func backoff(r Retrier, attempt int, jitter func() float64) time.Duration {
	interval := float64(r.IntervalSeconds)
	if r.IntervalSeconds == 0 {
		interval = 1
	}
	rate := r.BackoffRate
	if rate == 0 {
		rate = 2
	}
	secs := interval * math.Pow(rate, float64(attempt))
	if r.MaxDelaySeconds > 0 {
		secs = min(secs, float64(r.MaxDelaySeconds))
	}
	if r.JitterStrategy == JitterFull {
		secs *= jitter()
	}
	return time.Duration(secs * float64(time.Second))
}

// matches reports whether an error name is matched by ErrorEquals.
// States.ALL matches everything but States.Runtime; on a Task state,
// States.TaskFailed matches everything but States.Timeout and
// States.Runtime (on a Parallel state it matches only itself, as in the
// reference interpreter: see docs/workflows.md).
func matches(errorEquals []string, name, stateType string) bool {
	for _, e := range errorEquals {
		switch {
		case e == name:
			return true
		case e == ErrorAll:
			return name != ErrorRuntime
		case e == ErrorTaskFailed && stateType == "Task":
			if name != ErrorTimeout && name != ErrorRuntime {
				return true
			}
		}
	}
	return false
}

// attempt runs a Task or Parallel state once, through its paths.
func (x *execution) attempt(ctx context.Context, name string, st *State, raw any) (any, *Error) {
	in, err := inputPath(st, raw)
	if err != nil {
		return nil, err
	}
	params, selector, _, terr := st.templates()
	if terr != nil {
		return nil, runtimeErr("state %s: %v", name, terr)
	}
	if in, err = template(params, in); err != nil {
		return nil, err
	}
	var result any
	if st.Type == "Task" {
		result, err = x.task(ctx, name, st, in)
	} else {
		result, err = x.parallel(ctx, st, in)
	}
	if err != nil {
		return nil, err
	}
	if result, err = template(selector, result); err != nil {
		return nil, err
	}
	return resultAndOutput(st, raw, result)
}

func (x *execution) task(ctx context.Context, name string, st *State, in any) (any, *Error) {
	type res struct {
		out json.RawMessage
		err error
	}
	var r res
	task := Task{State: name, Resource: st.Resource, Input: encode(in)}
	tctx := ctx
	if st.TimeoutSeconds == 0 {
		// No timeout to enforce: run inline (the runner honours ctx).
		r.out, r.err = x.cfg.Tasks.RunTask(ctx, task)
	} else {
		var cancel context.CancelFunc
		tctx, cancel = x.cfg.Clock.WithTimeout(ctx, time.Duration(st.TimeoutSeconds)*time.Second)
		defer cancel()
		done := make(chan res, 1)
		go func() {
			out, err := x.cfg.Tasks.RunTask(tctx, task)
			done <- res{out, err}
		}()
		select {
		case r = <-done:
		case <-tctx.Done():
			if ctx.Err() != nil {
				return nil, ctxError(ctx.Err())
			}
			return nil, &Error{Name: ErrorTimeout, Cause: fmt.Sprintf("the task did not finish within %d seconds", st.TimeoutSeconds)}
		}
	}
	if r.err != nil {
		if st.TimeoutSeconds > 0 && tctx.Err() != nil && ctx.Err() == nil {
			return nil, &Error{Name: ErrorTimeout, Cause: fmt.Sprintf("the task did not finish within %d seconds", st.TimeoutSeconds)}
		}
		var named *Error
		if errors.As(r.err, &named) {
			return nil, named
		}
		return nil, &Error{Name: ErrorTaskFailed, Cause: r.err.Error()}
	}
	out, derr := decode(r.out)
	if derr != nil {
		return nil, &Error{Name: ErrorTaskFailed, Cause: "the task returned invalid JSON"}
	}
	return out, nil
}

func (x *execution) parallel(ctx context.Context, st *State, in any) (any, *Error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]any, len(st.Branches))
	errs := make([]*Error, len(st.Branches))
	var wg sync.WaitGroup
	for i, b := range st.Branches {
		wg.Go(func() {
			out, err := x.machine(ctx, b, in)
			if err != nil {
				errs[i] = err
				cancel()
				return
			}
			results[i] = out
		})
	}
	wg.Wait()
	// The first branch to fail decides; cancelled siblings report aborts.
	var first *Error
	for _, err := range errs {
		if err != nil && err.Name != "Portico.Aborted" {
			return nil, err
		}
		if err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return nil, first
	}
	return results, nil
}

func (x *execution) waitFor(st *State, in any) (time.Duration, *Error) {
	switch {
	case st.Seconds != nil:
		return time.Duration(*st.Seconds) * time.Second, nil
	case st.SecondsPath != "":
		v, ok, err := lookup(in, st.SecondsPath)
		n, isNum := v.(json.Number)
		f, ferr := n.Float64()
		if err != nil || !ok || !isNum || ferr != nil || f < 0 {
			return 0, runtimeErr("SecondsPath %s does not select a non-negative number", st.SecondsPath)
		}
		return time.Duration(f * float64(time.Second)), nil
	case st.Timestamp != "" || st.TimestampPath != "":
		ts := st.Timestamp
		if st.TimestampPath != "" {
			ts = pathString(in, st.TimestampPath)
		}
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return 0, runtimeErr("Wait timestamp %q is not RFC 3339", ts)
		}
		return max(t.Sub(x.cfg.Clock.Now()), 0), nil
	}
	return 0, runtimeErr("Wait state has no duration")
}

func pathString(v any, p string) string {
	got, ok, _ := lookup(v, p)
	if s, isStr := got.(string); ok && isStr {
		return s
	}
	if ok && got != nil {
		return string(encode(got))
	}
	return ""
}

func inputPath(st *State, raw any) (any, *Error) {
	switch {
	case !st.InputPath.Set:
		return raw, nil
	case st.InputPath.Null:
		return map[string]any{}, nil
	}
	return selectPath(raw, st.InputPath.Expr, "InputPath")
}

func outputPath2(st *State, v any) (any, *Error) {
	switch {
	case !st.OutputPath.Set:
		return v, nil
	case st.OutputPath.Null:
		return map[string]any{}, nil
	}
	return selectPath(v, st.OutputPath.Expr, "OutputPath")
}

func selectPath(v any, p, field string) (any, *Error) {
	got, ok, err := lookup(v, p)
	if err != nil {
		return nil, runtimeErr("%s: %v", field, err)
	}
	if !ok {
		return nil, runtimeErr("%s %s selects nothing in the input", field, p)
	}
	return got, nil
}

func resultAndOutput(st *State, raw, result any) (any, *Error) {
	out, err := resultPath(st.ResultPath, raw, result)
	if err != nil {
		return nil, err
	}
	return outputPath2(st, out)
}

func resultPath(p Path, raw, result any) (any, *Error) {
	switch {
	case !p.Set || p.Expr == "$":
		return result, nil
	case p.Null:
		return raw, nil
	}
	out, err := set(raw, p.Expr, result)
	if err != nil {
		return nil, runtimeErr("ResultPath: %v", err)
	}
	return out, nil
}

// template evaluates a decoded Parameters or ResultSelector template
// (nil: none): fields whose name ends in ".$" take the value at their path.
func template(t, in any) (any, *Error) {
	if t == nil {
		return in, nil
	}
	return fill(t, in)
}

func fill(t, in any) (any, *Error) {
	m, ok := t.(map[string]any)
	if !ok {
		return t, nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if name, isPath := strings.CutSuffix(k, ".$"); isPath {
			p, _ := v.(string)
			if strings.HasPrefix(p, "States.") {
				return nil, runtimeErr("intrinsic functions are not supported: %s", p)
			}
			got, err := selectPath(in, p, "Parameters")
			if err != nil {
				return nil, err
			}
			out[name] = got
			continue
		}
		f, err := fill(v, in)
		if err != nil {
			return nil, err
		}
		out[k] = f
	}
	return out, nil
}
