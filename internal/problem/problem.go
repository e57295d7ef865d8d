// Package problem renders RFC 9457 problem details (application/problem+json).
//
// A Problem is the only error body a tenant or console user ever sees: it
// carries a status, a stable type URI, a human title, an error id for support,
// and, for validation failures, one entry per invalid field addressed by a
// JSON pointer. Internal error text never leaves the process.
package problem

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// ContentType is the media type of a problem document.
const ContentType = "application/problem+json"

// TypeBase prefixes every problem type URI.
const TypeBase = "https://portico.dev/problems/"

// FieldError is one invalid field: Pointer is an RFC 6901 JSON pointer into
// the submitted document (for example "/endpoints/0/path").
type FieldError struct {
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
}

// Problem is an RFC 9457 problem document. It implements error so handlers
// can return it up the chain; Cause is never serialised.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	ErrorID  string       `json:"errorId,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`

	// Headers are extra response headers (Retry-After, WWW-Authenticate...).
	Headers http.Header `json:"-"`
	// Cause is the internal error, logged but never rendered.
	Cause error `json:"-"`
}

// Error implements error.
func (p *Problem) Error() string {
	msg := strconv.Itoa(p.Status) + " " + p.Title
	if p.Detail != "" {
		msg += ": " + p.Detail
	}
	if p.Cause != nil {
		msg += ": " + p.Cause.Error()
	}
	return msg
}

// Unwrap returns the internal cause.
func (p *Problem) Unwrap() error { return p.Cause }

// New builds a problem with a type slug ("validation", "not-found"...).
func New(status int, slug, title, detail string) *Problem {
	return &Problem{Type: TypeBase + slug, Title: title, Status: status, Detail: detail}
}

// WithCause returns p with its internal cause set.
func (p *Problem) WithCause(err error) *Problem { p.Cause = err; return p }

// Validation builds a 400 listing every invalid field.
func Validation(errs []FieldError) *Problem {
	p := New(http.StatusBadRequest, "validation", "Invalid request", fmt.Sprintf("%d field(s) are invalid", len(errs)))
	p.Errors = errs
	return p
}

// NotFound builds a 404.
func NotFound(detail string) *Problem {
	return New(http.StatusNotFound, "not-found", "Not Found", detail)
}

// Conflict builds a 409.
func Conflict(detail string) *Problem {
	return New(http.StatusConflict, "conflict", "Conflict", detail)
}

// BadRequest builds a 400 with a single message and optional pointer.
func BadRequest(pointer, detail string) *Problem {
	p := New(http.StatusBadRequest, "bad-request", "Bad Request", detail)
	if pointer != "" {
		p.Errors = []FieldError{{Pointer: pointer, Detail: detail}}
	}
	return p
}

// Internal builds a 500 whose body says nothing about the cause.
func Internal(cause error) *Problem {
	return New(http.StatusInternalServerError, "internal", "Internal Server Error", "an unexpected error occurred; quote the errorId to support").WithCause(cause)
}

// From converts any error into a problem: a *Problem anywhere in the chain is
// used as is; anything else becomes a 500.
func From(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	return Internal(err)
}

// NewErrorID returns a random identifier for correlating a response with logs.
func NewErrorID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Write renders p. If p has no ErrorID one is generated; the id is returned so
// the caller can log it next to the cause.
func Write(w http.ResponseWriter, p *Problem) string {
	if p.ErrorID == "" {
		p.ErrorID = NewErrorID()
	}
	h := w.Header()
	for k, vs := range p.Headers {
		h[k] = vs
	}
	h.Set("Content-Type", ContentType)
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(p.Status)
	_, _ = w.Write(p.JSON())
	return p.ErrorID
}

// JSON returns the problem document, assigning an ErrorID if it has none.
func (p *Problem) JSON() []byte {
	if p.ErrorID == "" {
		p.ErrorID = NewErrorID()
	}
	body, err := json.Marshal(p)
	if err != nil { // cannot happen: every field is marshalable
		body = []byte(`{"title":"Internal Server Error","status":500}`)
	}
	return body
}
