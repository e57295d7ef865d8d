package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
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
	executions map[string]*Execution
	seq        int
}

// NewLocal returns the embedded engine running tasks on exec.
func NewLocal(exec *Executor) *Local {
	return &Local{exec: exec, machines: map[string]*Machine{}, kinds: map[string]Kind{}, executions: map[string]*Execution{}}
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

// Start implements Engine. The execution runs detached from ctx.
func (l *Local) Start(ctx context.Context, ref, key string, input json.RawMessage) (string, error) {
	m, err := l.machine(ref)
	if err != nil {
		return "", err
	}
	l.mu.Lock()
	var id string
	if key != "" {
		id = ref + ":" + ExecutionName(ref, key)
		if _, dup := l.executions[id]; dup {
			l.mu.Unlock()
			return id, nil
		}
	} else {
		l.seq++
		id = ref + ":" + strconv.Itoa(l.seq)
	}
	l.executions[id] = &Execution{ID: id, Status: StatusRunning}
	l.mu.Unlock()
	record := func(ev Event) {
		l.mu.Lock()
		defer l.mu.Unlock()
		x := l.executions[id]
		x.History = append(x.History, ev)
	}
	go func() {
		out, err := l.exec.RunObserved(context.WithoutCancel(ctx), m, input, record)
		l.mu.Lock()
		defer l.mu.Unlock()
		x := l.executions[id]
		stopped := l.exec.cfg.Clock.Now()
		x.StoppedAt = &stopped
		var e *Error
		switch {
		case err == nil:
			x.Status, x.Output = StatusSucceeded, out
		case errors.As(err, &e) && e.Name == ErrorTimeout:
			x.Status, x.Error = StatusTimedOut, e
		case errors.As(err, &e):
			x.Status, x.Error = StatusFailed, e
		default:
			x.Status, x.Error = StatusFailed, &Error{Name: ErrorRuntime, Cause: err.Error()}
		}
	}()
	return id, nil
}

// Describe implements Engine.
func (l *Local) Describe(_ context.Context, id string) (*Execution, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	x, ok := l.executions[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrExecutionNotFound, id)
	}
	c := *x
	c.History = slices.Clone(x.History)
	return &c, nil
}

var _ Engine = (*Local)(nil)
