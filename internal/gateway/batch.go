package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/transform"
	"github.com/portico/portico/internal/wasmhost"
)

// maxBatchFieldErrors bounds the field errors a refused batch lists.
const maxBatchFieldErrors = 50

// batchError is a bulk transform that could not run (the body is not an
// array, too many records) or whose records failed (failed, by index).
type batchError struct {
	records int
	reason  string
	failed  []*transform.RecordError
}

func (e *batchError) Error() string {
	if e.reason != "" {
		return e.reason
	}
	return fmt.Sprintf("%d of %d records failed", len(e.failed), e.records)
}

// applyEach runs the unit on every element of body, a JSON array, and
// returns the array of results in order. Declarative transforms run the
// records in parallel (transform.ApplyBatch, bounded memory); wasm
// transforms run them one after another on the module's pool. Header and
// status changes a transform makes to a record are not kept: a bulk
// transform reshapes records.
func (u *transformUnit) applyEach(ctx context.Context, host *wasmhost.Host, m *transform.Message, body []byte) ([]byte, error) {
	var records []json.RawMessage
	if err := json.Unmarshal(body, &records); err != nil || records == nil {
		return nil, &batchError{reason: "the body must be a JSON array: this endpoint transforms each record"}
	}
	if len(records) > transform.MaxBatch {
		return nil, &batchError{records: len(records), reason: fmt.Sprintf("the body has %d records; at most %d are transformed at once", len(records), transform.MaxBatch)}
	}
	var (
		out  []json.RawMessage
		errs []error
	)
	if u.decl != nil {
		tmpl := *m
		tmpl.Body = nil
		var err error
		if out, errs, err = u.decl.ApplyBatch(ctx, records, transform.BatchOptions{Template: tmpl}); err != nil {
			return nil, err
		}
	} else {
		mod, err := u.wasm.module(ctx, host)
		if err != nil {
			return nil, &wasmhost.CallError{Module: u.name, Err: err}
		}
		out, errs = make([]json.RawMessage, len(records)), make([]error, len(records))
		for i, rec := range records {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			res, err := mod.Call(ctx, rec)
			switch {
			case err != nil:
				errs[i] = &transform.RecordError{Index: i, Err: err}
			case !json.Valid(res.Output):
				errs[i] = &transform.RecordError{Index: i, Err: errors.New("the module's output is not JSON")}
			default:
				out[i] = res.Output
			}
		}
	}
	be := &batchError{records: len(records)}
	for _, err := range errs {
		var re *transform.RecordError
		if errors.As(err, &re) {
			be.failed = append(be.failed, re)
		}
	}
	if len(be.failed) > 0 {
		return nil, be
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode the transformed records: %w", err)
	}
	return b, nil
}

// problem renders a failed bulk transform: on a request the caller's
// records are at fault (400 with a pointer into each failing record, at
// most maxBatchFieldErrors); on a response the upstream's are (502).
func (e *batchError) problem(name string, response bool) *problem.Problem {
	if response {
		return problem.New(http.StatusBadGateway, "transform-failed", "Bad Gateway",
			fmt.Sprintf("response transform %q failed: %s", name, e.Error())).WithCause(e)
	}
	if e.reason != "" {
		p := problem.Validation([]problem.FieldError{{Pointer: "/body", Detail: e.reason}})
		p.Detail = fmt.Sprintf("request transform %q rejected the request: %s", name, e.reason)
		return p
	}
	var fields []problem.FieldError
	for _, re := range e.failed {
		at := "/body/" + strconv.Itoa(re.Index)
		var se *transform.StepError
		var ce *wasmhost.CallError
		switch {
		case errors.As(re.Err, &se):
			for _, f := range se.Problem(name, false).Errors {
				fields = append(fields, problem.FieldError{Pointer: at + strings.TrimPrefix(f.Pointer, "/body"), Detail: f.Detail})
			}
		case errors.As(re.Err, &ce) && errors.Is(re.Err, wasmhost.ErrGuest):
			fields = append(fields, problem.FieldError{Pointer: at, Detail: ce.Message})
		default:
			// The transform itself failed (trap, deadline): not the caller's.
			return problem.New(http.StatusBadGateway, "transform-failed", "Bad Gateway",
				fmt.Sprintf("request transform %q failed on record %d", name, re.Index)).WithCause(re)
		}
	}
	if len(fields) > maxBatchFieldErrors {
		fields = fields[:maxBatchFieldErrors]
	}
	p := problem.Validation(fields)
	p.Detail = fmt.Sprintf("request transform %q rejected %d of %d records", name, len(e.failed), e.records)
	return p.WithCause(e)
}
