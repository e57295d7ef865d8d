package workflow

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/portico/portico/internal/problem"
)

// MaxInputBytes is Step Functions' limit on an execution's input (and the
// embedded engine keeps the same).
const MaxInputBytes = 256 << 10

// Invocation is an endpoint's workflow target, resolved by the gateway.
type Invocation struct {
	Engine   Engine
	Ref      string    // from Engine.Deploy
	Workflow *Workflow // kind and failure status mapping
	// Params are the route's path parameters.
	Params map[string]string
}

// Input is the execution input built from a request (the workflow's
// "$.input"): the JSON body, the path parameters and the query (first
// value per name). Headers are left out so credentials never reach the
// execution history.
type Input struct {
	Body   json.RawMessage   `json:"body"`
	Params map[string]string `json:"params"`
	Query  map[string]string `json:"query"`
}

// Serve runs the workflow for r: an express workflow answers 200 with its
// output; a standard one answers 202 with the execution id, started once
// per Idempotency-Key. It returns a *problem.Problem instead of writing
// one, for the gateway to render: 413/400 for the request, the workflow's
// failure status for a failed execution (never 200), 503 when the
// workflow is not deployed.
func Serve(w http.ResponseWriter, r *http.Request, inv Invocation) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxInputBytes+1))
	if err != nil {
		return problem.BadRequest("", "the request body could not be read").WithCause(err)
	}
	if len(body) > MaxInputBytes {
		return problem.New(http.StatusRequestEntityTooLarge, "too-large", "Payload Too Large", "a workflow input is at most 256 KiB")
	}
	in := Input{Body: json.RawMessage("null"), Params: inv.Params, Query: map[string]string{}}
	if len(body) > 0 {
		if !json.Valid(body) {
			return problem.BadRequest("", "a workflow endpoint takes a JSON body")
		}
		in.Body = body
	}
	if in.Params == nil {
		in.Params = map[string]string{}
	}
	for k, vs := range r.URL.Query() {
		in.Query[k] = vs[0]
	}
	input, _ := json.Marshal(in)
	if len(input) > MaxInputBytes {
		return problem.New(http.StatusRequestEntityTooLarge, "too-large", "Payload Too Large", "a workflow input is at most 256 KiB")
	}

	ctx := r.Context()
	h := w.Header()
	if inv.Workflow != nil && inv.Workflow.Kind == KindStandard {
		id, err := inv.Engine.Start(ctx, inv.Ref, r.Header.Get("Idempotency-Key"), input)
		if err != nil {
			return engineProblem(inv.Workflow, err)
		}
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		b, _ := json.Marshal(map[string]string{"executionId": id, "status": string(StatusRunning)})
		_, _ = w.Write(b)
		return nil
	}
	out, err := inv.Engine.Execute(ctx, inv.Ref, input)
	if err != nil {
		return engineProblem(inv.Workflow, err)
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	return nil
}

func engineProblem(wf *Workflow, err error) *problem.Problem {
	var e *Error
	switch {
	case errors.As(err, &e):
		return Problem(wf, err)
	case errors.Is(err, ErrNotDeployed):
		return problem.New(http.StatusServiceUnavailable, "workflow-unavailable", "Service Unavailable", "the workflow is not deployed").WithCause(err)
	}
	return problem.New(http.StatusBadGateway, "workflow-engine", "Bad Gateway", "the workflow engine could not be reached").WithCause(err)
}
