package transform

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/portico/portico/internal/problem"
)

var (
	// ErrMissing is a required value that the input does not have.
	ErrMissing = errors.New("required value is missing")
	// ErrType is a value that cannot be coerced or used as asked.
	ErrType = errors.New("value has the wrong type")
	// ErrInvalid is a body that fails the step's JSON Schema.
	ErrInvalid = errors.New("body does not match the schema")
)

// StepError is a failure while applying a step: which step, which rule of
// the document, and which location of the data.
type StepError struct {
	Step int    // 0-based index in the document
	Name string // the step's name or operation
	// Rule is the JSON pointer of the failing rule in the document
	// (for example "/steps/1/map/fields/3").
	Rule string
	// Path is the JSON pointer of the data that failed, when known.
	Path string
	// Fields lists every failing location (schema validation).
	Fields []problem.FieldError
	Err    error
}

func (e *StepError) Error() string {
	msg := fmt.Sprintf("step %d (%s)", e.Step, e.Name)
	if e.Path != "" {
		msg += " at " + strconv.Quote(e.Path)
	}
	return msg + ": " + e.Err.Error()
}

func (e *StepError) Unwrap() error { return e.Err }

// Problem renders the failure for a caller. transform names the transform.
// On a request (response false) a failure is the caller's: 400, listing every
// failing pointer under /body. On a response it is the upstream's or the
// transform's: 502, without data details.
func (e *StepError) Problem(transform string, response bool) *problem.Problem {
	if response {
		p := problem.New(http.StatusBadGateway, "transform-failed", "Bad Gateway",
			fmt.Sprintf("response transform %q failed at step %d (%s)", transform, e.Step, e.Name))
		return p.WithCause(e)
	}
	fields := e.Fields
	if len(fields) == 0 {
		fields = []problem.FieldError{{Pointer: e.Path, Detail: e.Err.Error()}}
	}
	p := problem.Validation(fields)
	p.Detail = fmt.Sprintf("request transform %q rejected the request at step %d (%s): %s", transform, e.Step, e.Name, p.Detail)
	return p.WithCause(e)
}

// fieldErrs collects document validation errors, model-style.
type fieldErrs []problem.FieldError

func (e *fieldErrs) add(ptr, format string, args ...any) {
	*e = append(*e, problem.FieldError{Pointer: ptr, Detail: fmt.Sprintf(format, args...)})
}
