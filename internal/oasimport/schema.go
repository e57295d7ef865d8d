package oasimport

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// direction is which side of an exchange a schema describes: readOnly
// properties are not required in requests, writeOnly ones not in responses.
type direction int

const (
	request direction = iota
	response
)

// maxInlineDepth bounds references that cannot become $defs (a $ref into
// the middle of another schema) inlined into each other.
const maxInlineDepth = 32

const componentPrefix = "#/components/schemas/"

// converter turns OpenAPI schemas into one JSON Schema 2020-12 document:
// component schemas become $defs (so recursive ones stay finite).
type converter struct {
	dir     direction
	v30     bool                // OpenAPI 3.0 dialect
	defs    map[string]any      // $defs by sanitized name
	names   map[string]string   // component name -> $defs name
	taken   map[string]bool     // $defs names in use
	schemas openapi3.Schemas    // the document's component schemas
	notes   map[string]struct{} // translations worth reporting
}

func newConverter(doc *openapi3.T, dir direction) *converter {
	c := &converter{dir: dir, v30: !doc.IsOpenAPI31OrLater(), defs: map[string]any{}, names: map[string]string{},
		taken: map[string]bool{}, notes: map[string]struct{}{}}
	if doc.Components != nil {
		c.schemas = doc.Components.Schemas
	}
	return c
}

// document converts root into a complete schema document.
func (c *converter) document(root *openapi3.SchemaRef) (map[string]any, error) {
	s, err := c.ref(root, 0)
	if err != nil {
		return nil, err
	}
	out, ok := s.(map[string]any)
	if !ok { // a boolean schema
		out = map[string]any{"allOf": []any{s}}
	}
	out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	if len(c.defs) > 0 {
		out["$defs"] = c.defs
	}
	return out, nil
}

var unsafeDefChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// ref converts a schema reference: a component schema becomes a $ref to
// its $defs entry, converted once; anything else is inlined.
func (c *converter) ref(sr *openapi3.SchemaRef, depth int) (any, error) {
	if sr == nil {
		return true, nil
	}
	if name, ok := strings.CutPrefix(sr.Ref, componentPrefix); ok && !strings.Contains(name, "/") {
		name = unescape(name)
		if def, ok := c.names[name]; ok {
			return map[string]any{"$ref": "#/$defs/" + def}, nil
		}
		comp := c.schemas[name]
		if comp == nil || comp.Value == nil {
			return nil, fmt.Errorf("unresolved reference %s", sr.Ref)
		}
		def := unsafeDefChars.ReplaceAllString(name, "_")
		for i := 2; c.taken[def]; i++ {
			def = fmt.Sprintf("%s_%d", unsafeDefChars.ReplaceAllString(name, "_"), i)
		}
		c.taken[def] = true
		c.names[name] = def
		c.defs[def] = true // placeholder while converting (recursion)
		v, err := c.schema(comp.Value, 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sr.Ref, err)
		}
		c.defs[def] = v
		return map[string]any{"$ref": "#/$defs/" + def}, nil
	}
	if sr.Value == nil {
		return nil, fmt.Errorf("unresolved reference %s", sr.Ref)
	}
	if sr.Ref != "" {
		depth++
		if depth > maxInlineDepth {
			return nil, fmt.Errorf("references nest more than %d deep at %s", maxInlineDepth, sr.Ref)
		}
	}
	return c.schema(sr.Value, depth)
}

func unescape(s string) string {
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
}

// schema converts one schema object. Annotations (title, description,
// example(s), default, deprecated, xml, discriminator, extensions) are
// left out: only what validates is kept.
func (c *converter) schema(s *openapi3.Schema, depth int) (any, error) {
	if s.Always != nil {
		return *s.Always, nil
	}
	out := map[string]any{}
	var err error
	one := func(key string, sr *openapi3.SchemaRef) {
		if err == nil && sr != nil {
			out[key], err = c.ref(sr, depth)
		}
	}
	list := func(key string, srs openapi3.SchemaRefs) {
		if err != nil || len(srs) == 0 {
			return
		}
		l := make([]any, 0, len(srs))
		for _, sr := range srs {
			var v any
			if v, err = c.ref(sr, depth); err != nil {
				return
			}
			l = append(l, v)
		}
		out[key] = l
	}
	object := func(key string, m openapi3.Schemas) {
		if err != nil || len(m) == 0 {
			return
		}
		o := make(map[string]any, len(m))
		for _, k := range sortedKeys(m) {
			var v any
			if v, err = c.ref(m[k], depth); err != nil {
				err = fmt.Errorf("%s %q: %w", key, k, err)
				return
			}
			o[k] = v
		}
		out[key] = o
	}

	types := s.Type.Slice()
	nullable := s.Nullable && c.v30 && len(types) > 0
	if nullable && !s.Type.IncludesNull() {
		types = append(types, "null")
		c.note("nullable became a \"null\" type")
	}
	switch len(types) {
	case 0:
	case 1:
		out["type"] = types[0]
	default:
		out["type"] = types
	}
	if s.Format != "" {
		out["format"] = s.Format // an annotation in 2020-12, as in OpenAPI
	}
	if len(s.Enum) > 0 {
		enum := append([]any(nil), s.Enum...)
		if nullable && !containsNil(enum) {
			enum = append(enum, nil)
		}
		out["enum"] = enum
	}
	if s.Const != nil {
		out["const"] = s.Const
	}

	// Numbers. OpenAPI 3.0's boolean exclusiveMinimum/Maximum modify
	// minimum/maximum; 2020-12's are the bounds themselves.
	if s.Min != nil {
		out["minimum"] = *s.Min
	}
	if s.Max != nil {
		out["maximum"] = *s.Max
	}
	if b := s.ExclusiveMin; b.Value != nil {
		out["exclusiveMinimum"] = *b.Value
	} else if b.Bool != nil && *b.Bool && s.Min != nil {
		out["exclusiveMinimum"] = *s.Min
		delete(out, "minimum")
		c.note("boolean exclusiveMinimum became a number")
	}
	if b := s.ExclusiveMax; b.Value != nil {
		out["exclusiveMaximum"] = *b.Value
	} else if b.Bool != nil && *b.Bool && s.Max != nil {
		out["exclusiveMaximum"] = *s.Max
		delete(out, "maximum")
		c.note("boolean exclusiveMaximum became a number")
	}
	if s.MultipleOf != nil {
		out["multipleOf"] = *s.MultipleOf
	}

	// Strings.
	if s.MinLength > 0 {
		out["minLength"] = s.MinLength
	}
	if s.MaxLength != nil {
		out["maxLength"] = *s.MaxLength
	}
	if s.Pattern != "" {
		out["pattern"] = s.Pattern
	}

	// Arrays.
	one("items", s.Items)
	list("prefixItems", s.PrefixItems)
	one("contains", s.Contains)
	if s.MinItems > 0 {
		out["minItems"] = s.MinItems
	}
	if s.MaxItems != nil {
		out["maxItems"] = *s.MaxItems
	}
	if s.MinContains != nil {
		out["minContains"] = *s.MinContains
	}
	if s.MaxContains != nil {
		out["maxContains"] = *s.MaxContains
	}
	if s.UniqueItems {
		out["uniqueItems"] = true
	}
	c.boolSchema(out, "unevaluatedItems", s.UnevaluatedItems, depth, &err)

	// Objects.
	object("properties", s.Properties)
	object("patternProperties", s.PatternProperties)
	object("dependentSchemas", s.DependentSchemas)
	one("propertyNames", s.PropertyNames)
	c.boolSchema(out, "additionalProperties", s.AdditionalProperties, depth, &err)
	c.boolSchema(out, "unevaluatedProperties", s.UnevaluatedProperties, depth, &err)
	if req := c.required(s); len(req) > 0 {
		out["required"] = req
	}
	if s.MinProps > 0 {
		out["minProperties"] = s.MinProps
	}
	if s.MaxProps != nil {
		out["maxProperties"] = *s.MaxProps
	}
	if len(s.DependentRequired) > 0 {
		out["dependentRequired"] = s.DependentRequired
	}

	// Composition.
	list("allOf", s.AllOf)
	list("anyOf", s.AnyOf)
	list("oneOf", s.OneOf)
	one("not", s.Not)
	one("if", s.If)
	one("then", s.Then)
	one("else", s.Else)
	if err != nil {
		return nil, err
	}
	if s.DynamicRef != "" {
		return nil, fmt.Errorf("$dynamicRef is not supported")
	}
	return out, nil
}

// boolSchema converts a keyword that is a boolean or a schema.
func (c *converter) boolSchema(out map[string]any, key string, b openapi3.BoolSchema, depth int, err *error) {
	if *err != nil {
		return
	}
	switch {
	case b.Has != nil:
		out[key] = *b.Has
	case b.Schema != nil:
		out[key], *err = c.ref(b.Schema, depth)
	}
}

// required drops readOnly properties from a request's required list and
// writeOnly ones from a response's, as OpenAPI specifies.
func (c *converter) required(s *openapi3.Schema) []string {
	var out []string
	for _, name := range s.Required {
		if p := s.Properties[name]; p != nil && p.Value != nil {
			if c.dir == request && p.Value.ReadOnly || c.dir == response && p.Value.WriteOnly {
				c.note("readOnly/writeOnly properties are not required in that direction")
				continue
			}
		}
		out = append(out, name)
	}
	return out
}

func (c *converter) note(s string) { c.notes[s] = struct{}{} }

// notesList returns the translations made, sorted.
func (c *converter) notesList() []string {
	out := make([]string, 0, len(c.notes))
	for n := range c.notes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func containsNil(vs []any) bool {
	for _, v := range vs {
		if v == nil {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
