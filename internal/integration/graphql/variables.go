package graphql

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Kinds a variable's value can be converted to. KindAsIs keeps path and
// query values as strings and body values as they are.
const (
	KindAsIs    = ""
	KindString  = "string"
	KindInt     = "int"
	KindFloat   = "float"
	KindBoolean = "boolean"
)

// Sources a variable pointer starts with.
const (
	SourcePath  = "path"
	SourceQuery = "query"
	SourceBody  = "body"
)

// ErrBadPointer is wrapped by ParseVar for a "from" it cannot use.
var ErrBadPointer = errors.New("graphql: variable source must be a JSON pointer below /path/, /query/ or /body")

// ErrBody means the request body is needed but is not JSON.
var ErrBody = errors.New("graphql: the request body is not JSON")

// Var is a compiled variable mapping: the GraphQL variable Name takes the
// value at From, a JSON pointer (RFC 6901) into the request seen as the
// document {"path": {param: value}, "query": {name: value}, "body": <JSON
// body>}, converted to Kind.
type Var struct {
	Name   string
	From   string
	Kind   string
	source string
	tokens []string // below the source
}

// ParseVar compiles one mapping; its errors say what is wrong with from
// or kind.
func ParseVar(name, from, kind string) (Var, error) {
	v := Var{Name: name, From: from, Kind: kind}
	if !ValidName(name) {
		return v, fmt.Errorf("graphql: %q is not a GraphQL variable name", name)
	}
	switch kind {
	case KindAsIs, KindString, KindInt, KindFloat, KindBoolean:
	default:
		return v, fmt.Errorf("graphql: type must be one of string, int, float, boolean")
	}
	if !strings.HasPrefix(from, "/") {
		return v, ErrBadPointer
	}
	toks := strings.Split(from[1:], "/")
	for i, t := range toks {
		if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(t, "~0", ""), "~1", ""), "~") {
			return v, fmt.Errorf("%w: bad escape in %q", ErrBadPointer, from)
		}
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	v.source, v.tokens = toks[0], toks[1:]
	switch v.source {
	case SourcePath, SourceQuery:
		if len(v.tokens) != 1 || v.tokens[0] == "" {
			return v, fmt.Errorf("%w: /%s/ takes exactly one name", ErrBadPointer, v.source)
		}
	case SourceBody:
	default:
		return v, ErrBadPointer
	}
	return v, nil
}

// Request is what variables are taken from.
type Request struct {
	// Path returns the decoded value of a matched path param.
	Path func(name string) (string, bool)
	// PathNames lists the matched path params (for the default mapping).
	PathNames []string
	Query     url.Values
	// Body is the raw request body; it is parsed only when needed.
	Body []byte
}

// FieldError is a variable whose source value cannot be converted; Pointer
// is the variable's From.
type FieldError struct {
	Pointer, Detail string
}

func (e *FieldError) Error() string { return "graphql: " + e.Pointer + ": " + e.Detail }

// Variables builds the JSON object of a call's variables. With no vars,
// the default mapping applies: every member of a JSON object body, then
// every query parameter (first value), then every path param, each as a
// string, a later source winning over an earlier one. A source value that
// is absent leaves its variable out (the operation's default applies).
// Errors: ErrBody, or a *FieldError.
func Variables(vars []Var, in Request) (json.RawMessage, error) {
	out := map[string]any{}
	var body any
	bodyDone := false
	parseBody := func() (any, error) {
		if !bodyDone {
			bodyDone = true
			if len(bytes.TrimSpace(in.Body)) == 0 {
				return nil, nil
			}
			d := json.NewDecoder(bytes.NewReader(in.Body))
			d.UseNumber()
			if err := d.Decode(&body); err != nil || d.More() {
				return nil, ErrBody
			}
		}
		return body, nil
	}
	if vars == nil {
		if len(bytes.TrimSpace(in.Body)) > 0 {
			b, err := parseBody()
			if err != nil {
				return nil, err
			}
			if m, ok := b.(map[string]any); ok {
				for k, v := range m {
					out[k] = v
				}
			}
		}
		for k, vs := range in.Query {
			if len(vs) > 0 && ValidName(k) {
				out[k] = vs[0]
			}
		}
		for _, k := range in.PathNames {
			if v, ok := in.Path(k); ok && ValidName(k) {
				out[k] = v
			}
		}
		return json.Marshal(out)
	}
	for _, v := range vars {
		var val any
		var ok bool
		switch v.source {
		case SourcePath:
			if in.Path != nil {
				val, ok = in.Path(v.tokens[0])
			}
		case SourceQuery:
			if vs := in.Query[v.tokens[0]]; len(vs) > 0 {
				val, ok = vs[0], true
			}
		case SourceBody:
			b, err := parseBody()
			if err != nil {
				return nil, err
			}
			val, ok = lookup(b, v.tokens)
		}
		if !ok {
			continue
		}
		c, err := convert(val, v.Kind)
		if err != nil {
			return nil, &FieldError{Pointer: v.From, Detail: err.Error()}
		}
		out[v.Name] = c
	}
	return json.Marshal(out)
}

// lookup resolves pointer tokens in a decoded JSON value.
func lookup(doc any, toks []string) (any, bool) {
	cur := doc
	if cur == nil {
		return nil, false
	}
	for _, t := range toks {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[t]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(c) || (len(t) > 1 && t[0] == '0') {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// convert turns v (a string from the path or query, or a decoded JSON
// value) into kind.
func convert(v any, kind string) (any, error) {
	switch kind {
	case KindAsIs:
		return v, nil
	case KindString:
		switch x := v.(type) {
		case string:
			return x, nil
		case json.Number:
			return x.String(), nil
		case bool:
			return strconv.FormatBool(x), nil
		}
		return nil, errors.New("must be a string")
	case KindInt:
		s, ok := scalarText(v)
		if n, err := strconv.ParseInt(s, 10, 32); ok && err == nil { // GraphQL Int is 32-bit
			return n, nil
		}
		return nil, errors.New("must be a 32-bit integer")
	case KindFloat:
		s, ok := scalarText(v)
		if f, err := strconv.ParseFloat(s, 64); ok && err == nil && !isInfOrNaN(f) {
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
		}
		return nil, errors.New("must be a number")
	case KindBoolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			if b, err := strconv.ParseBool(x); err == nil && (x == "true" || x == "false") {
				return b, nil
			}
		}
		return nil, errors.New("must be true or false")
	}
	return nil, errors.New("unknown type")
}

func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

func isInfOrNaN(f float64) bool {
	return f != f || f > 1.7976931348623157e308 || f < -1.7976931348623157e308
}

// Body renders the JSON request of a call (GraphQL over HTTP, POST with
// application/json).
func Body(query, operationName string, variables json.RawMessage) ([]byte, error) {
	return json.Marshal(struct {
		Query         string          `json:"query"`
		OperationName string          `json:"operationName,omitempty"`
		Variables     json.RawMessage `json:"variables,omitempty"`
	}{query, operationName, variables})
}
