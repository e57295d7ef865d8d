// Command workflow-task is the Step Functions task worker: each Task state
// of a compiled workflow invokes it with one step (an integration call or a
// transform). It only wires; the step code is workflow.TaskHandler, the
// same code the embedded engine runs locally.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/portico/portico/internal/workflow"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	h := &workflow.TaskHandler{Steps: unwired{}, Log: log}
	lambda.Start(func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
		out, err := h.Handle(ctx, payload)
		return out, lambdaError(err)
	})
}

// lambdaError reports a step's *workflow.Error with its name as the
// Lambda errorType, which is the error name Retry and Catch match.
func lambdaError(err error) error {
	if err == nil {
		return nil
	}
	var e *workflow.Error
	if errors.As(err, &e) {
		return messages.InvokeResponse_Error{Type: e.Name, Message: e.Cause}
	}
	return messages.InvokeResponse_Error{Type: workflow.ErrorStepFailed, Message: "the step failed"}
}

// unwired stands in until the integration engine and the transform host
// are wired here (docs/workflows.md, "Wiring"): every step fails with a
// named error instead of doing something else.
type unwired struct{}

func (unwired) Call(context.Context, string, workflow.CallConfig, json.RawMessage) (json.RawMessage, error) {
	return nil, &workflow.Error{Name: workflow.ErrorStepFailed, Cause: "integration calls are not wired into workflow-task yet"}
}

func (unwired) Transform(context.Context, string, workflow.TransformConfig, json.RawMessage) (json.RawMessage, error) {
	return nil, &workflow.Error{Name: workflow.ErrorStepFailed, Cause: "transforms are not wired into workflow-task yet"}
}
