package workflow

import (
	"context"
	"encoding/json"
)

// ExecuteObserved implements ObservedExecutor: Execute with onEvent
// receiving the execution's history.
func (l *Local) ExecuteObserved(ctx context.Context, ref string, input json.RawMessage, onEvent func(Event)) (json.RawMessage, error) {
	m, err := l.machine(ref)
	if err != nil {
		return nil, err
	}
	return l.exec.RunObserved(ctx, m, input, onEvent)
}

var _ ObservedExecutor = (*Local)(nil)
