package workflow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Local is the embedded Engine: it keeps deployed definitions in memory
// and runs them on an Executor. Standard executions run in the background
// and are kept in memory (they do not survive a restart).
type Local struct {
	exec *Executor

	mu         sync.Mutex
	machines   map[string]*Machine
	kinds      map[string]Kind
	executions map[string]*localExecution
}

// localExecution is a standard execution: what Describe reports, the
// definition it runs (a redrive runs the same one, as on Step Functions)
// and a channel closed when its current run ends.
type localExecution struct {
	x       Execution
	machine *Machine
	done    chan struct{}
}

// NewLocal returns the embedded engine running tasks on exec.
func NewLocal(exec *Executor) *Local {
	return &Local{exec: exec, machines: map[string]*Machine{}, kinds: map[string]Kind{}, executions: map[string]*localExecution{}}
}

// Deploy implements Engine. The reference is "local:<state machine name>".
func (l *Local) Deploy(_ context.Context, d Deployment) (string, error) {
	m, err := ParseMachine(d.Definition)
	if err != nil {
		return "", fmt.Errorf("deploy workflow %s: %w", d.Workflow, err)
	}
	ref := "local:" + StateMachineName("", d.Tenant, d.Workflow)
	kind := d.Kind
	if kind == "" {
		kind = KindExpress
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if k, ok := l.kinds[ref]; ok && k != kind {
		return "", ErrKindChanged
	}
	l.machines[ref], l.kinds[ref] = m, kind
	return ref, nil
}

func (l *Local) machine(ref string) (*Machine, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, ok := l.machines[ref]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotDeployed, ref)
	}
	return m, nil
}

// Execute implements Engine.
func (l *Local) Execute(ctx context.Context, ref string, input json.RawMessage) (json.RawMessage, error) {
	m, err := l.machine(ref)
	if err != nil {
		return nil, err
	}
	return l.exec.Run(ctx, m, input)
}

// Start implements Engine. The execution runs detached from ctx. Its ID is
// "<ref>:<name>": the name derives from the idempotency key, or is random
// (unique across restarts, so a recorded ID never names a later execution).
func (l *Local) Start(ctx context.Context, ref, key string, input json.RawMessage) (string, error) {
	m, err := l.machine(ref)
	if err != nil {
		return "", err
	}
	var id string
	if key != "" {
		id = ref + ":" + ExecutionName(ref, key)
	} else {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = ref + ":" + hex.EncodeToString(b[:])
	}
	l.mu.Lock()
	if _, dup := l.executions[id]; dup {
		l.mu.Unlock()
		return id, nil
	}
	le := &localExecution{x: Execution{ID: id, Status: StatusRunning}, machine: m, done: make(chan struct{})}
	l.executions[id] = le
	l.mu.Unlock()
	go l.run(le, func(onEvent func(Event)) (json.RawMessage, error) {
		return l.exec.RunObserved(context.WithoutCancel(ctx), m, input, onEvent)
	})
	return id, nil
}

// run runs a standard execution (a start or a redrive) to its end,
// appending its events to the execution's history.
func (l *Local) run(le *localExecution, run func(onEvent func(Event)) (json.RawMessage, error)) {
	out, err := run(func(ev Event) {
		l.mu.Lock()
		defer l.mu.Unlock()
		le.x.History = append(le.x.History, ev)
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	x := &le.x
	stopped := l.exec.cfg.Clock.Now()
	x.StoppedAt = &stopped
	var e *Error
	switch {
	case err == nil:
		x.Status, x.Output, x.Error = StatusSucceeded, out, nil
	case errors.As(err, &e) && e.Name == ErrorTimeout:
		x.Status, x.Error = StatusTimedOut, e
	case errors.As(err, &e):
		x.Status, x.Error = StatusFailed, e
	default:
		x.Status, x.Error = StatusFailed, &Error{Name: ErrorRuntime, Cause: err.Error()}
	}
	close(le.done)
}

// Describe implements Engine.
func (l *Local) Describe(_ context.Context, id string) (*Execution, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	le, ok := l.executions[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrExecutionNotFound, id)
	}
	c := le.x
	c.History = slices.Clone(le.x.History)
	return &c, nil
}

// Wait blocks until the standard execution id is not running (its start
// or its latest redrive has ended) or ctx is done, and describes it.
func (l *Local) Wait(ctx context.Context, id string) (*Execution, error) {
	l.mu.Lock()
	le, ok := l.executions[id]
	l.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrExecutionNotFound, id)
	}
	select {
	case <-le.done:
		return l.Describe(ctx, id)
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for execution %s: %w", id, ctx.Err())
	}
}

// Redrive implements Redriver: it resumes the failed standard execution
// r.ExecutionID at r.State with r.Input (from PlanRedrive), in the
// background, under the same ID. Its history is kept and the redrive's
// events follow an ExecutionRedriven event. The definition is the one the
// execution ran when this engine started it; an execution it does not hold
// (started before a restart: executions live in memory) is resumed from
// r.History on the definition deployed now.
func (l *Local) Redrive(ctx context.Context, r Redrive) error {
	i := strings.LastIndex(r.ExecutionID, ":")
	if !strings.HasPrefix(r.ExecutionID, "local:") || i <= len("local:") {
		return fmt.Errorf("%w: %s", ErrExecutionNotFound, r.ExecutionID)
	}
	ref := r.ExecutionID[:i]
	if len(r.Input) == 0 {
		return &RedriveError{Reason: RedriveTruncated, Detail: "the input of the failed step is not in the recorded history"}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	prev, known := l.executions[r.ExecutionID]
	var (
		m       *Machine
		history []Event
	)
	if known {
		if prev.x.Status == StatusRunning {
			return &RedriveError{Reason: RedriveRunning, Detail: "the execution is running"}
		}
		m, history = prev.machine, slices.Clone(prev.x.History)
	} else {
		dm, ok := l.machines[ref]
		if !ok {
			return fmt.Errorf("%w: %s", ErrNotDeployed, ref)
		}
		m, history = dm, slices.Clone(r.History)
	}
	if st, ok := m.States[r.State]; !ok || st.Type != "Task" {
		return &RedriveError{Reason: RedriveNotACall, Detail: fmt.Sprintf("the execution did not fail at a call or transform step of its definition (%q)", r.State)}
	}
	le := &localExecution{x: Execution{ID: r.ExecutionID, Status: StatusRunning, History: history}, machine: m, done: make(chan struct{})}
	l.executions[r.ExecutionID] = le
	go l.run(le, func(onEvent func(Event)) (json.RawMessage, error) {
		return l.exec.Resume(context.WithoutCancel(ctx), m, r.State, r.Input, onEvent)
	})
	return nil
}

var (
	_ Engine   = (*Local)(nil)
	_ Redriver = (*Local)(nil)
)
