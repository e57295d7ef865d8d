// Command workflow-task is the Step Functions task worker: each Task state
// of a compiled workflow invokes it with one step (an integration call or a
// transform). It only wires; the step code is workflow.TaskHandler over
// workflow/steps, the same code the embedded engine runs locally. It reads
// the tenant's integration or transform (one GetItem) from the table; a
// wasm transform's module too on its first use.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/portico/portico/internal/app"
	"github.com/portico/portico/internal/workflow"
)

func main() {
	e, err := app.LoadEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "workflow-task: configuration: %v\n", err)
		os.Exit(2)
	}
	log := e.Logger()
	ctx := context.Background()
	st, _, err := app.OpenStore(ctx, e)
	if err != nil {
		log.Error("start workflow-task", "error", err.Error())
		os.Exit(1)
	}
	cat, err := app.NewCatalog(e, st)
	if err != nil {
		log.Error("start workflow-task", "error", err.Error())
		os.Exit(1)
	}
	sh, err := app.NewShared(e, log)
	if err != nil {
		log.Error("start workflow-task", "error", err.Error())
		os.Exit(1)
	}
	wasm, err := sh.WasmHost(e, log)
	if err != nil {
		log.Error("start workflow-task", "error", err.Error())
		os.Exit(1)
	}
	steps, err := app.NewWorkflowSteps(e, cat, wasm, log)
	if err != nil {
		log.Error("start workflow-task", "error", err.Error())
		os.Exit(1)
	}
	h := &workflow.TaskHandler{Steps: steps, Log: log}
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
