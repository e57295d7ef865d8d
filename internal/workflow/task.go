package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
)

// Error names the task handler returns, so Retry and Catch can match them.
// Steps implementations return *Error with these names (or their own).
const (
	ErrorInvalidTask         = "Portico.InvalidTask"         // the task input is malformed
	ErrorStepFailed          = "Portico.StepFailed"          // an unnamed failure
	ErrorIntegrationNotFound = "Portico.IntegrationNotFound" // the integration no longer exists
	ErrorUpstreamUnavailable = "Portico.UpstreamUnavailable" // connect failure, upstream timeout, open circuit
	ErrorUpstreamClientError = "Portico.UpstreamClientError" // the upstream answered 4xx
	ErrorUpstreamServerError = "Portico.UpstreamServerError" // the upstream answered 5xx
	ErrorTransformFailed     = "Portico.TransformFailed"     // the transform trapped or returned an error
)

// CallConfig is a call step's configuration, as compiled into its Task.
type CallConfig struct {
	Integration string            `json:"integration"`
	Method      string            `json:"method"`
	Path        string            `json:"path,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
}

// TransformConfig is a transform step's configuration.
type TransformConfig struct {
	Transform string `json:"transform"`
}

// Steps performs workflow steps for a tenant: the port the task handler
// consumes (adapters: the integration engine and the transform host).
type Steps interface {
	Call(ctx context.Context, tenant string, c CallConfig, input json.RawMessage) (json.RawMessage, error)
	Transform(ctx context.Context, tenant string, t TransformConfig, input json.RawMessage) (json.RawMessage, error)
}

// TaskHandler performs one workflow step: the code behind
// functions/workflow-task on AWS and behind the Local engine's Task
// states. It returns *Error values with names so Retry/Catch match them.
type TaskHandler struct {
	Steps Steps
	// Log receives the internal text of unnamed step errors (default: discarded).
	Log *slog.Logger
}

// Handle performs the step described by a Task state's input.
func (h *TaskHandler) Handle(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
	var in TaskInput
	if err := json.Unmarshal(payload, &in); err != nil || in.Step == "" {
		return nil, &Error{Name: ErrorInvalidTask, Cause: "the task input is not a Portico step"}
	}
	var (
		out json.RawMessage
		err error
	)
	switch in.Kind {
	case StepCall:
		var c CallConfig
		if json.Unmarshal(in.Config, &c) != nil || c.Integration == "" {
			return nil, &Error{Name: ErrorInvalidTask, Cause: "step " + in.Step + ": invalid call config"}
		}
		out, err = h.Steps.Call(ctx, in.Tenant, c, in.Input)
	case StepTransform:
		var t TransformConfig
		if json.Unmarshal(in.Config, &t) != nil || t.Transform == "" {
			return nil, &Error{Name: ErrorInvalidTask, Cause: "step " + in.Step + ": invalid transform config"}
		}
		out, err = h.Steps.Transform(ctx, in.Tenant, t, in.Input)
	default:
		return nil, &Error{Name: ErrorInvalidTask, Cause: fmt.Sprintf("step %s: unknown kind %q", in.Step, in.Kind)}
	}
	if err != nil {
		var named *Error
		if errors.As(err, &named) {
			return nil, named
		}
		if h.Log != nil {
			h.Log.ErrorContext(ctx, "workflow step failed", "tenant", in.Tenant, "step", in.Step, "err", err)
		}
		return nil, &Error{Name: ErrorStepFailed, Cause: "step " + in.Step + " failed"}
	}
	if len(out) == 0 {
		out = json.RawMessage("null")
	}
	if !json.Valid(out) {
		return nil, &Error{Name: ErrorStepFailed, Cause: "step " + in.Step + " returned invalid JSON"}
	}
	return out, nil
}

// RunTask implements TaskRunner, so the Local engine runs the same step
// code as the Lambda.
func (h *TaskHandler) RunTask(ctx context.Context, t Task) (json.RawMessage, error) {
	return h.Handle(ctx, t.Input)
}

var _ TaskRunner = (*TaskHandler)(nil)
