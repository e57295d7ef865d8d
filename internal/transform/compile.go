package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	jmespath "github.com/jmespath-community/go-jmespath"

	"github.com/portico/portico/internal/problem"
)

// Transform is a compiled document: safe for concurrent use, applied many
// times without parsing anything.
type Transform struct {
	steps []compiledStep
	roots rootSet
	tests []TestCase
}

type compiledStep struct {
	name string
	rule string // "/steps/<i>"
	op   stepOp
}

// stepOp applies one step to the state.
type stepOp interface {
	apply(s *state) *StepError
}

// Compile validates d and compiles every expression, template, pattern and
// schema. Invalid documents yield a 400 validation problem listing every
// invalid field by JSON pointer.
func Compile(d *Document) (*Transform, error) {
	var errs fieldErrs
	c := &compiler{errs: &errs}
	t := &Transform{tests: d.Tests}
	switch {
	case len(d.Steps) == 0:
		errs.add("/steps", "is required: at least one step")
	case len(d.Steps) > MaxSteps:
		errs.add("/steps", "must have at most %d steps", MaxSteps)
	}
	for i := range d.Steps {
		if i >= MaxSteps {
			break
		}
		st := &d.Steps[i]
		ptr := "/steps/" + strconv.Itoa(i)
		var ops []string
		var op stepOp
		if st.Map != nil {
			ops = append(ops, "map")
			op = c.mapStep(ptr+"/map", st.Map)
		}
		if st.Filter != nil {
			ops = append(ops, "filter")
			op = c.filterStep(ptr+"/filter", st.Filter)
		}
		if st.Redact != nil {
			ops = append(ops, "redact")
			op = c.redactStep(ptr+"/redact", st.Redact)
		}
		if st.Headers != nil {
			ops = append(ops, "headers")
			op = c.headersStep(ptr+"/headers", st.Headers)
		}
		if st.Status != nil {
			ops = append(ops, "status")
			op = c.statusStep(ptr+"/status", st.Status)
		}
		if st.Validate != nil {
			ops = append(ops, "validate")
			op = c.validateStep(ptr+"/validate", st.Validate)
		}
		switch len(ops) {
		case 0:
			errs.add(ptr, "must set one of map, filter, redact, headers, status, validate")
			continue
		case 1:
		default:
			errs.add(ptr, "must set exactly one operation, found %s", strings.Join(ops, ", "))
			continue
		}
		name := st.Name
		if name == "" {
			name = ops[0]
		} else if len(name) > 100 || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			errs.add(ptr+"/name", "must be at most 100 characters without control characters")
		}
		t.steps = append(t.steps, compiledStep{name: name, rule: ptr + "/" + ops[0], op: op})
	}
	if len(d.Tests) > MaxTests {
		errs.add("/tests", "must have at most %d test cases", MaxTests)
	}
	for i, tc := range d.Tests {
		ptr := "/tests/" + strconv.Itoa(i)
		if tc.Name == "" {
			errs.add(ptr+"/name", "is required")
		}
		if (tc.Expect == nil) == (tc.ExpectError == nil) {
			errs.add(ptr, "must set exactly one of expect, expectError")
		}
		if tc.ExpectError != nil && (tc.ExpectError.Step < 0 || tc.ExpectError.Step >= len(d.Steps)) {
			errs.add(ptr+"/expectError/step", "must be the index of a step")
		}
	}
	if len(errs) > 0 {
		return nil, problem.Validation(errs)
	}
	t.roots = c.roots
	return t, nil
}

// MustCompile parses and compiles a document, panicking on error. For tests
// and built-in transforms.
func MustCompile(doc string) *Transform {
	d, err := Parse([]byte(doc))
	if err != nil {
		panic(err)
	}
	t, err := Compile(d)
	if err != nil {
		panic(err)
	}
	return t
}

// Tests returns the document's test cases.
func (t *Transform) Tests() []TestCase { return t.tests }

// Apply runs every step on m, in order. It takes ownership of m.Body and
// may change it in place. The first failing step stops the run with a
// *StepError.
func (t *Transform) Apply(ctx context.Context, m *Message) error {
	s := state{msg: m}
	s.env = t.roots.env(m)
	for i := range t.steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		st := &t.steps[i]
		if err := st.op.apply(&s); err != nil {
			err.Step = i
			err.Name = st.name
			err.Rule = st.rule + err.Rule
			return err
		}
		if s.env != nil {
			s.env["body"] = m.Body
			if t.roots&rootStatus != 0 {
				s.env["status"] = float64(m.Status)
			}
		}
	}
	return nil
}

// ApplyJSON decodes body, applies the transform to a message carrying it and
// returns the encoded result. The rest of m is used as is (and changed).
func (t *Transform) ApplyJSON(ctx context.Context, m *Message, body []byte) ([]byte, error) {
	if len(body) > 0 {
		if err := json.Unmarshal(body, &m.Body); err != nil {
			return nil, &StepError{Name: "decode", Err: fmt.Errorf("%w: body is not JSON", ErrType)}
		}
	}
	if err := t.Apply(ctx, m); err != nil {
		return nil, err
	}
	return json.Marshal(m.Body)
}

// state is one run's working set.
type state struct {
	msg *Message
	env map[string]any // the expression environment; nil when no step reads it
}

type rootSet uint8

const (
	rootBody rootSet = 1 << iota
	rootQuery
	rootHeaders
	rootParams
	rootClaims
	rootStatus
)

var rootNames = []struct {
	name string
	bit  rootSet
}{{"body", rootBody}, {"query", rootQuery}, {"headers", rootHeaders}, {"params", rootParams}, {"claims", rootClaims}, {"status", rootStatus}}

// env builds the expression environment with only the roots some
// expression may read.
func (r rootSet) env(m *Message) map[string]any {
	if r == 0 {
		return nil
	}
	env := make(map[string]any, 6)
	env["body"] = m.Body
	if r&rootQuery != 0 {
		q := make(map[string]any, len(m.Query))
		for k, v := range m.Query {
			if len(v) > 0 {
				q[k] = v[0]
			}
		}
		env["query"] = q
	}
	if r&rootHeaders != 0 {
		h := make(map[string]any, len(m.Headers))
		for k, v := range m.Headers {
			if len(v) > 0 {
				h[strings.ToLower(k)] = v[0]
			}
		}
		env["headers"] = h
	}
	if r&rootParams != 0 {
		p := make(map[string]any, len(m.Params))
		for k, v := range m.Params {
			p[k] = v
		}
		env["params"] = p
	}
	if r&rootClaims != 0 {
		env["claims"] = m.Claims
	}
	if r&rootStatus != 0 {
		env["status"] = float64(m.Status)
	}
	return env
}

type compiler struct {
	errs  *fieldErrs
	roots rootSet
}

// expr is a compiled JMESPath expression.
type expr struct {
	src string
	q   jmespath.JMESPath
}

func (x *expr) eval(data any) (any, error) { return x.q.Search(data) }

// expr compiles src; top says it is evaluated against the message
// environment (so the roots it names must be provided).
func (c *compiler) expr(ptr, src string, top bool) *expr {
	switch {
	case src == "":
		c.errs.add(ptr, "is required")
		return nil
	case len(src) > MaxExprLen:
		c.errs.add(ptr, "must be at most %d characters", MaxExprLen)
		return nil
	}
	q, err := jmespath.Compile(src)
	if err != nil {
		c.errs.add(ptr, "is not a valid JMESPath expression: %s", err.Error())
		return nil
	}
	if top {
		c.roots |= rootBody
		for _, r := range rootNames {
			if strings.Contains(src, r.name) {
				c.roots |= r.bit
			}
		}
	}
	return &expr{src: src, q: q}
}

// template is a string with {{ expression }} placeholders.
type template struct {
	lits  []string // len(exprs)+1
	exprs []*expr
}

func (c *compiler) template(ptr, src string, top bool) *template {
	t := &template{}
	rest := src
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			t.lits = append(t.lits, rest)
			break
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			c.errs.add(ptr, "has an unclosed {{")
			return nil
		}
		t.lits = append(t.lits, rest[:i])
		x := c.expr(ptr, strings.TrimSpace(rest[i+2:i+j]), top)
		if x == nil {
			return nil
		}
		t.exprs = append(t.exprs, x)
		rest = rest[i+j+2:]
	}
	return t
}

func (t *template) render(data any) (string, error) {
	if len(t.exprs) == 0 {
		return t.lits[0], nil
	}
	var b strings.Builder
	for i, x := range t.exprs {
		b.WriteString(t.lits[i])
		v, err := x.eval(data)
		if err != nil {
			return "", err
		}
		b.WriteString(toText(v))
	}
	b.WriteString(t.lits[len(t.lits)-1])
	return b.String(), nil
}

func (c *compiler) pointer(ptr, src string) pointer {
	p, err := parsePointer(src)
	if err != nil {
		c.errs.add(ptr, "%s", err.Error())
	}
	return p
}
