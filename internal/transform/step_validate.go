package transform

import (
	"bytes"
	"errors"
	"fmt"
	"sort"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/portico/portico/internal/problem"
)

// schemaURL is the base URL of a tenant schema. Relative references resolve
// against it and are refused by noLoader like any other external one.
const schemaURL = "https://schemas.portico.invalid/transform.json"

type validateStep struct {
	schema *jsonschema.Schema
	when   *expr // nil: always
}

// noLoader refuses every external reference: a tenant's schema must never
// make the engine read a file or a URL.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external schema references are not allowed: %s", url)
}

// CompileSchema compiles a JSON Schema document (default draft 2020-12)
// with external references refused.
func CompileSchema(raw []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("schema is not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(schemaURL)
}

func (c *compiler) validateStep(ptr string, v *ValidateStep) stepOp {
	if len(v.Schema) == 0 {
		c.errs.add(ptr+"/schema", "is required")
		return &validateStep{}
	}
	var when *expr
	if v.When != "" {
		when = c.expr(ptr+"/when", v.When, true)
	}
	s, err := CompileSchema(v.Schema)
	if err != nil {
		c.errs.add(ptr+"/schema", "is not a valid JSON Schema: %s", err.Error())
		return &validateStep{}
	}
	return &validateStep{schema: s, when: when}
}

func (s *validateStep) apply(st *state) *StepError {
	if s.when != nil {
		ok, err := s.when.eval(st.env)
		if err != nil {
			return &StepError{Rule: "/when", Err: err}
		}
		if !truthy(ok) {
			return nil
		}
	}
	err := s.schema.Validate(st.msg.Body)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return &StepError{Rule: "/schema", Err: err}
	}
	fields := SchemaErrors(ve, "/body")
	return &StepError{Rule: "/schema", Path: fields[0].Pointer, Fields: fields, Err: fmt.Errorf("%w: %d error(s)", ErrInvalid, len(fields))}
}

// SchemaErrors flattens a validation error into one field error per failing
// location, pointers prefixed with prefix, sorted, without duplicates.
func SchemaErrors(ve *jsonschema.ValidationError, prefix string) []problem.FieldError {
	var out []problem.FieldError
	seen := map[problem.FieldError]bool{}
	for _, u := range ve.BasicOutput().Errors {
		if u.Error == nil {
			continue
		}
		switch u.Error.Kind.(type) {
		case *kind.Group, *kind.Reference, *kind.Schema:
			continue // containers: their causes are listed
		}
		fe := problem.FieldError{Pointer: prefix + u.InstanceLocation, Detail: u.Error.String()}
		if fe.Detail == "" || seen[fe] {
			continue
		}
		seen[fe] = true
		out = append(out, fe)
	}
	if len(out) == 0 {
		out = append(out, problem.FieldError{Pointer: prefix, Detail: "does not match the schema"})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pointer < out[j].Pointer })
	return out
}
