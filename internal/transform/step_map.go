package transform

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

type mapStep struct {
	base   *expr
	fields []*field
}

type field struct {
	rule     string // pointer relative to the step
	to       pointer
	from     *expr
	value    any
	hasValue bool
	tmpl     *template
	each     *expr
	fields   []*field
	def      any
	hasDef   bool
	typ      string
	required bool
	omit     bool
}

func (c *compiler) mapStep(ptr string, m *MapStep) stepOp {
	s := &mapStep{}
	if m.Base != "" {
		s.base = c.expr(ptr+"/base", m.Base, true)
	}
	if len(m.Fields) == 0 && m.Base == "" {
		c.errs.add(ptr+"/fields", "is required: at least one field")
	}
	count := 0
	s.fields = c.fields(ptr, "", m.Fields, 0, &count)
	if count > MaxFields {
		c.errs.add(ptr+"/fields", "must have at most %d fields (nested included)", MaxFields)
	}
	return s
}

func (c *compiler) fields(stepPtr, rel string, fs []Field, depth int, count *int) []*field {
	out := make([]*field, 0, len(fs))
	for i := range fs {
		*count++
		f := &fs[i]
		r := rel + "/fields/" + strconv.Itoa(i)
		ptr := stepPtr + r
		cf := &field{rule: r, typ: f.Type, required: f.Required, omit: f.Omit}
		cf.to = c.pointer(ptr+"/to", f.To)
		top := depth == 0
		sources := 0
		if f.From != "" {
			sources++
			cf.from = c.expr(ptr+"/from", f.From, top)
		}
		if len(f.Value) > 0 {
			sources++
			cf.hasValue = true
			if err := json.Unmarshal(f.Value, &cf.value); err != nil {
				c.errs.add(ptr+"/value", "is not JSON")
			}
		}
		if f.Template != "" {
			sources++
			cf.tmpl = c.template(ptr+"/template", f.Template, top)
		}
		if f.Each != "" {
			sources++
			cf.each = c.expr(ptr+"/each", f.Each, top)
			switch {
			case depth+1 >= MaxEachDepth:
				c.errs.add(ptr+"/each", "nests deeper than %d levels", MaxEachDepth)
			case len(f.Fields) == 0:
				c.errs.add(ptr+"/fields", "is required with each")
			default:
				cf.fields = c.fields(stepPtr, r, f.Fields, depth+1, count)
			}
		} else if len(f.Fields) > 0 {
			c.errs.add(ptr+"/fields", "is only allowed with each")
		}
		if sources != 1 {
			c.errs.add(ptr, "must set exactly one of from, value, template, each")
		}
		if len(f.Default) > 0 {
			cf.hasDef = true
			if err := json.Unmarshal(f.Default, &cf.def); err != nil {
				c.errs.add(ptr+"/default", "is not JSON")
			}
		}
		if f.Type != "" && !slices.Contains(coercions, f.Type) {
			c.errs.add(ptr+"/type", "must be one of string, number, integer, boolean")
		}
		out = append(out, cf)
	}
	return out
}

func (s *mapStep) apply(st *state) *StepError {
	var out any
	if s.base != nil {
		v, err := s.base.eval(st.env)
		if err != nil {
			return &StepError{Rule: "/base", Err: err}
		}
		out = deepCopy(v)
	}
	if out == nil && len(s.fields) > 0 {
		out = map[string]any{}
	}
	out, err := applyFields(s.fields, st.env, out)
	if err != nil {
		return err
	}
	st.msg.Body = out
	return nil
}

func applyFields(fs []*field, data, out any) (any, *StepError) {
	for _, f := range fs {
		v, ok, err := f.eval(data)
		if err != nil {
			var se *StepError
			if errors.As(err, &se) {
				return nil, se
			}
			return nil, &StepError{Rule: f.rule, Path: f.to.String(), Err: err}
		}
		if !ok {
			continue
		}
		if out, err = f.to.set(out, v); err != nil {
			return nil, &StepError{Rule: f.rule + "/to", Path: f.to.String(), Err: err}
		}
	}
	return out, nil
}

// eval computes the field's value; ok is false when the field is omitted.
func (f *field) eval(data any) (v any, ok bool, err error) {
	switch {
	case f.hasValue:
		v = deepCopy(f.value)
	case f.from != nil:
		if v, err = f.from.eval(data); err != nil {
			return nil, false, err
		}
		v = deepCopy(v)
	case f.tmpl != nil:
		s, err := f.tmpl.render(data)
		if err != nil {
			return nil, false, err
		}
		v = s
	case f.each != nil:
		src, err := f.each.eval(data)
		if err != nil {
			return nil, false, err
		}
		switch items := src.(type) {
		case nil:
		case []any:
			arr := make([]any, 0, len(items))
			for i, it := range items {
				o, se := applyFields(f.fields, it, map[string]any{})
				if se != nil {
					se.Path = f.to.String() + "/" + strconv.Itoa(i) + se.Path
					return nil, false, se
				}
				arr = append(arr, o)
			}
			v = arr
		default:
			return nil, false, fmt.Errorf("%w: each needs an array, got %s", ErrType, kindOf(src))
		}
	}
	if v == nil && f.hasDef {
		v = deepCopy(f.def)
	}
	if v == nil {
		if f.required {
			return nil, false, ErrMissing
		}
		if f.omit {
			return nil, false, nil
		}
	}
	v, err = coerce(v, f.typ)
	return v, err == nil, err
}
