package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/portico/portico/internal/problem"
)

// Limits on a transform document. They bound compile time and memory for a
// document uploaded by a tenant.
const (
	MaxDocumentBytes = 256 << 10
	MaxSteps         = 50
	MaxFields        = 200 // per map step, counting nested "each" fields
	MaxExprLen       = 1000
	MaxEachDepth     = 4
	MaxTests         = 50
	MaxPatterns      = 20
)

// Document is a transform as a tenant writes it: an ordered list of steps and
// the test cases that must pass before it can be published.
type Document struct {
	Steps []Step     `json:"steps"`
	Tests []TestCase `json:"tests,omitempty"`
}

// Step is one operation; exactly one of its operation fields is set.
type Step struct {
	// Name labels the step in errors; defaults to the operation name.
	Name     string        `json:"name,omitempty"`
	Map      *MapStep      `json:"map,omitempty"`
	Filter   *FilterStep   `json:"filter,omitempty"`
	Redact   *RedactStep   `json:"redact,omitempty"`
	Headers  *HeadersStep  `json:"headers,omitempty"`
	Status   *StatusStep   `json:"status,omitempty"`
	Validate *ValidateStep `json:"validate,omitempty"`
}

// MapStep builds a new body from expressions over the message.
type MapStep struct {
	// Base, when set, is an expression whose value (deep-copied) is the
	// starting document; otherwise the output starts as an empty object.
	Base   string  `json:"base,omitempty"`
	Fields []Field `json:"fields"`
}

// Field sets one location of the output. Exactly one source among From,
// Value, Template and Each is set.
type Field struct {
	// To is a JSON pointer into the output ("" replaces the whole output).
	To string `json:"to"`
	// From is a JMESPath expression over the message (body, query,
	// headers, params, claims, status), or over the item inside Each.
	From string `json:"from,omitempty"`
	// Value is a constant (null included).
	Value json.RawMessage `json:"value,omitempty"`
	// Template is a string with {{ expression }} placeholders.
	Template string `json:"template,omitempty"`
	// Each is an expression yielding an array; Fields build one output
	// object per item, evaluated against the item.
	Each   string  `json:"each,omitempty"`
	Fields []Field `json:"fields,omitempty"`
	// Default is used when the source yields null or nothing.
	Default json.RawMessage `json:"default,omitempty"`
	// Type coerces the value: string, number, integer, boolean.
	Type string `json:"type,omitempty"`
	// Required makes a missing value (after Default) an error.
	Required bool `json:"required,omitempty"`
	// Omit leaves the output untouched when the value is missing, instead
	// of writing null.
	Omit bool `json:"omitEmpty,omitempty"`
}

// FilterStep keeps or drops fields and filters array items.
type FilterStep struct {
	// Keep lists JSON pointers to copy into a fresh body; everything else
	// goes. Applied before Drop.
	Keep []string `json:"keep,omitempty"`
	// Drop lists JSON pointers to remove.
	Drop []string `json:"drop,omitempty"`
	// Items keeps only the array items matching a condition.
	Items []ItemFilter `json:"items,omitempty"`
}

// ItemFilter keeps the items of the array at At for which Where (a JMESPath
// expression evaluated against the item) is truthy.
type ItemFilter struct {
	At    string `json:"at"`
	Where string `json:"where"`
}

// RedactStep masks personal data anywhere in the body.
type RedactStep struct {
	// Patterns names built-in detectors: email, card, ssn, phone, ipv4.
	Patterns []string `json:"patterns,omitempty"`
	// Regex adds tenant patterns (RE2 syntax).
	Regex []string `json:"regex,omitempty"`
	// Fields lists object keys (case-insensitive) whose values are masked
	// whole, wherever they appear.
	Fields []string `json:"fields,omitempty"`
	// Mask replaces each match; default "****".
	Mask string `json:"mask,omitempty"`
}

// HeadersStep sets and removes headers. Set values are templates.
type HeadersStep struct {
	Set    map[string]string `json:"set,omitempty"`
	Remove []string          `json:"remove,omitempty"`
}

// StatusStep sets or maps the status code. Map keys are codes ("404") or
// classes ("5xx"); an exact code wins over a class.
type StatusStep struct {
	Set int            `json:"set,omitempty"`
	Map map[string]int `json:"map,omitempty"`
}

// ValidateStep validates the body against a JSON Schema (draft 2020-12
// unless the schema says otherwise). References are resolved only inside
// the schema: nothing is loaded from files or the network.
type ValidateStep struct {
	Schema json.RawMessage `json:"schema"`
	// When, a JMESPath expression over the message, limits the step to
	// the messages for which it is truthy, e.g. one response schema per
	// status: "status == `404`" (OpenAPI import).
	When string `json:"when,omitempty"`
}

// TestCase is an input message and what the transform must make of it.
type TestCase struct {
	Name  string  `json:"name"`
	Input Message `json:"input"`
	// Expect is the expected message; only the parts given are compared
	// (body when present, the listed headers, status when non-zero).
	Expect *Expectation `json:"expect,omitempty"`
	// ExpectError expects the transform to fail at this step (0-based).
	ExpectError *ErrorExpectation `json:"expectError,omitempty"`
}

// Expectation is the part of the output message a test case checks.
type Expectation struct {
	Body    json.RawMessage   `json:"body,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Status  int               `json:"status,omitempty"`
}

// ErrorExpectation names the step and, optionally, the data path expected
// to fail.
type ErrorExpectation struct {
	Step int    `json:"step"`
	Path string `json:"path,omitempty"`
}

// Message is what a transform reads and changes: a request or a response.
// Body is decoded JSON (map[string]any, []any, string, float64, bool, nil).
type Message struct {
	Body    any               `json:"body,omitempty"`
	Query   url.Values        `json:"query,omitempty"`
	Headers http.Header       `json:"headers,omitempty"`
	Params  map[string]string `json:"params,omitempty"`
	Claims  map[string]any    `json:"claims,omitempty"`
	Status  int               `json:"status,omitempty"`
}

// Parse decodes a transform document strictly (unknown fields are errors).
// It does not compile it; Compile reports every invalid field at once.
func Parse(data []byte) (*Document, error) {
	if len(data) > MaxDocumentBytes {
		return nil, problem.BadRequest("", fmt.Sprintf("transform document is larger than %d bytes", MaxDocumentBytes))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Document
	if err := dec.Decode(&d); err != nil {
		return nil, problem.BadRequest("", "invalid transform document: "+jsonErrorText(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, problem.BadRequest("", "invalid transform document: trailing data after the document")
	}
	for i := range d.Tests {
		d.Tests[i].Input.canonicalHeaders()
	}
	return &d, nil
}

func jsonErrorText(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s must be %s", "/"+te.Field, te.Type.String())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of document"
	default:
		return err.Error()
	}
}

func (m *Message) canonicalHeaders() {
	for k, v := range m.Headers {
		if c := http.CanonicalHeaderKey(k); c != k {
			delete(m.Headers, k)
			m.Headers[c] = append(m.Headers[c], v...)
		}
	}
}
