package oasimport

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/portico/portico/internal/problem"
)

// MaxDocumentBytes bounds an imported document.
const MaxDocumentBytes = 2 << 20

// maxProblems bounds the errors one problem lists.
const maxProblems = 20

// Document is a parsed and validated OpenAPI document.
type Document struct {
	doc *openapi3.T
	// Version is the document's openapi field ("3.0.3", "3.1.0").
	Version string
}

// Parse reads an OpenAPI 3.0 or 3.1 document, JSON or YAML. External
// references (files, URLs) are refused: only the document itself is read.
// A document that cannot be used is a 400 problem whose field errors
// point into it (prefixed with prefix, the document's place in the
// request).
func Parse(ctx context.Context, data []byte, prefix string) (*Document, error) {
	bad := func(ptr, format string, args ...any) error {
		return problem.Validation([]problem.FieldError{{Pointer: prefix + ptr, Detail: fmt.Sprintf(format, args...)}})
	}
	if len(data) == 0 {
		return nil, bad("", "is required")
	}
	if len(data) > MaxDocumentBytes {
		return nil, bad("", "is larger than %d bytes", MaxDocumentBytes)
	}
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = false
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		return nil, fmt.Errorf("external references are not allowed: %s", u.Redacted())
	}
	doc, err := loadData(loader, data)
	if err != nil {
		return nil, bad("", "is not a readable OpenAPI document: %s", clean(err.Error()))
	}
	switch {
	case doc.OpenAPI == "":
		return nil, bad("/openapi", "is required: an OpenAPI 3.0 or 3.1 document (Swagger 2.0 is not supported)")
	case !strings.HasPrefix(doc.OpenAPI, "3.0.") && !strings.HasPrefix(doc.OpenAPI, "3.1."):
		return nil, bad("/openapi", "must be 3.0.x or 3.1.x, not %q", doc.OpenAPI)
	}
	if err := doc.Validate(ctx, openapi3.EnableMultiError(), openapi3.DisableExamplesValidation(), openapi3.DisableSchemaPatternValidation()); err != nil {
		return nil, problem.Validation(validationErrors(err, prefix))
	}
	return &Document{doc: doc, Version: doc.OpenAPI}, nil
}

// loadData runs the loader, turning its panics on hostile input into
// errors: the document comes from a tenant.
func loadData(loader *openapi3.Loader, data []byte) (doc *openapi3.T, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("the parser failed on this document: %v", r)
		}
	}()
	return loader.LoadFromData(data)
}

// validationErrors lists kin-openapi's validation errors, each with the
// pointer its context wrappers name.
func validationErrors(err error, prefix string) []problem.FieldError {
	var errs []error
	var me openapi3.MultiError
	if errors.As(err, &me) {
		errs = flatten(me)
	} else {
		errs = []error{err}
	}
	out := make([]problem.FieldError, 0, min(len(errs), maxProblems))
	for _, e := range errs {
		if len(out) == maxProblems {
			break
		}
		ptr, detail := locate(e)
		out = append(out, problem.FieldError{Pointer: prefix + ptr, Detail: clean(detail)})
	}
	return out
}

func flatten(me openapi3.MultiError) []error {
	var out []error
	for _, e := range me {
		var sub openapi3.MultiError
		if errors.As(e, &sub) && len(sub) > 0 && e.Error() == sub.Error() {
			out = append(out, flatten(sub)...)
			continue
		}
		out = append(out, e)
	}
	return out
}

// componentSections maps ComponentValidationError sections to the
// components field names.
var componentSections = map[string]string{
	"schema": "schemas", "parameter": "parameters", "header": "headers", "request body": "requestBodies",
	"response": "responses", "security scheme": "securitySchemes", "example": "examples", "link": "links", "callback": "callbacks",
}

// locate walks err's chain of context wrappers into a JSON pointer and
// returns it with the innermost cause's text.
func locate(err error) (string, string) {
	var b strings.Builder
	cause := err
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch x := e.(type) {
		case *openapi3.SectionValidationError:
			b.WriteString("/" + Escape(x.Section))
			cause = x.Cause
		case *openapi3.PathValidationError:
			b.WriteString("/" + Escape(x.Path))
			cause = x.Cause
		case *openapi3.OperationValidationError:
			b.WriteString("/" + strings.ToLower(x.Method))
			cause = x.Cause
		case *openapi3.ComponentValidationError:
			sec := componentSections[x.Section]
			if sec == "" {
				sec = x.Section
			}
			p := b.String()
			if !strings.HasSuffix(p, "/components") {
				b.WriteString("/components")
			}
			b.WriteString("/" + Escape(sec) + "/" + Escape(x.Name))
			cause = x.Cause
		}
	}
	return b.String(), cause.Error()
}

// Escape escapes one JSON pointer token (RFC 6901).
func Escape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// clean bounds a library message shown to the tenant.
func clean(s string) string {
	const n = 500
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}
