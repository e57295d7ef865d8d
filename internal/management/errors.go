package management

import (
	"errors"
	"net/http"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/problem"
)

// errPrecondition is returned when an If-Match header names a stale revision.
var errPrecondition = errors.New("management: If-Match does not match the current revision")

// toProblem maps every error a handler can return to the problem a caller
// sees. It is the only place where errors become HTTP statuses.
func toProblem(err error) *problem.Problem {
	var p *problem.Problem
	if errors.As(err, &p) {
		return p
	}
	var ce *catalog.ConflictError
	switch {
	case errors.Is(err, errPrecondition):
		return problem.New(http.StatusPreconditionFailed, "precondition-failed", "Precondition Failed",
			"the resource changed since you read it (If-Match does not match its ETag); fetch it again and retry").WithCause(err)
	case errors.As(err, &ce):
		p := problem.Conflict(ce.Detail).WithCause(err)
		if ce.Pointer != "" {
			p.Errors = []problem.FieldError{{Pointer: ce.Pointer, Detail: ce.Detail}}
		}
		return p
	case errors.Is(err, catalog.ErrNotFound):
		return problem.NotFound("the resource does not exist").WithCause(err)
	case errors.Is(err, catalog.ErrStale):
		return problem.Conflict("the resource changed since you read it; fetch it again and retry").WithCause(err)
	case errors.Is(err, catalog.ErrExists):
		return problem.Conflict("the resource already exists").WithCause(err)
	case errors.Is(err, catalog.ErrNoSecrets):
		return problem.New(http.StatusServiceUnavailable, "secrets-unavailable", "Service Unavailable", "this installation has no secrets store").WithCause(err)
	case errors.Is(err, catalog.ErrBusy):
		p := problem.New(http.StatusServiceUnavailable, "busy", "Service Unavailable", "too many concurrent changes to this tenant; retry").WithCause(err)
		p.Headers = http.Header{"Retry-After": {"1"}}
		return p
	}
	return problem.Internal(err)
}
