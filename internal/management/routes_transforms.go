package management

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/transform"
)

// previewTimeout bounds one preview: compile, apply and the test cases.
const previewTimeout = 2 * time.Second

// transformRoutes serve the console's transform editor: nothing is stored
// and nothing is audited.
func (h *Handler) transformRoutes() []apiRoute {
	return []apiRoute{
		{"POST " + prefix + "/transforms:preview", member, identity.RoleDeveloper, h.previewTransform},
	}
}

type previewRequest struct {
	Transform json.RawMessage   `json:"transform"`
	Input     transform.Message `json:"input"`
}

// previewError is a failed run: the step and the paths that failed.
type previewError struct {
	Step   int                  `json:"step"`
	Name   string               `json:"name"`
	Rule   string               `json:"rule"`
	Path   string               `json:"path,omitempty"`
	Detail string               `json:"detail"`
	Errors []problem.FieldError `json:"errors,omitempty"`
}

type previewResponse struct {
	// Output is the transformed message, absent when the run failed.
	Output *transform.Message `json:"output,omitempty"`
	Error  *previewError      `json:"error,omitempty"`
	// Tests are the document's own test cases; Publishable is false when
	// any fails (a transform whose cases fail cannot be published).
	Tests       []transform.TestResult `json:"tests"`
	Publishable bool                   `json:"publishable"`
}

// previewTransform compiles the submitted transform, applies it to the
// input and runs its test cases. An invalid document is a 400 listing every
// invalid field under /transform; a run that fails is a 200 whose error names
// the step, the rule and the data path.
func (h *Handler) previewTransform(w http.ResponseWriter, r *http.Request, _ identity.Principal) error {
	var req previewRequest
	if err := h.decode(w, r, &req); err != nil {
		return err
	}
	if len(req.Transform) == 0 {
		return problem.Validation([]problem.FieldError{{Pointer: "/transform", Detail: "is required"}})
	}
	doc, err := transform.Parse(req.Transform)
	if err == nil {
		var t *transform.Transform
		if t, err = transform.Compile(doc); err == nil {
			return h.runPreview(r.Context(), w, t, req.Input)
		}
	}
	var p *problem.Problem
	if !errors.As(err, &p) {
		return err
	}
	fields := make([]problem.FieldError, 0, max(len(p.Errors), 1))
	for _, fe := range p.Errors {
		fields = append(fields, problem.FieldError{Pointer: "/transform" + fe.Pointer, Detail: fe.Detail})
	}
	if len(fields) == 0 {
		fields = append(fields, problem.FieldError{Pointer: "/transform", Detail: p.Detail})
	}
	return problem.Validation(fields)
}

func (h *Handler) runPreview(ctx context.Context, w http.ResponseWriter, t *transform.Transform, in transform.Message) error {
	ctx, cancel := context.WithTimeout(ctx, previewTimeout)
	defer cancel()
	out := previewResponse{Tests: t.RunTests(ctx)}
	out.Publishable = transform.AllPassed(out.Tests)
	err := t.Apply(ctx, &in)
	var se *transform.StepError
	switch {
	case err == nil:
		out.Output = &in
	case errors.As(err, &se):
		out.Error = &previewError{Step: se.Step, Name: se.Name, Rule: se.Rule, Path: se.Path, Detail: se.Err.Error(), Errors: se.Fields}
	default:
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
