package transform

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

var coercions = []string{"string", "number", "integer", "boolean"}

// coerce converts v to the named type; nil stays nil.
func coerce(v any, typ string) (any, error) {
	if v == nil || typ == "" {
		return v, nil
	}
	switch typ {
	case "string":
		return toText(v), nil
	case "number", "integer":
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case string:
			p, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil || math.IsInf(p, 0) || math.IsNaN(p) {
				return nil, fmt.Errorf("%w: %q is not a number", ErrType, clip(x))
			}
			f = p
		case bool:
			if x {
				f = 1
			}
		default:
			return nil, fmt.Errorf("%w: %s is not a number", ErrType, kindOf(v))
		}
		if typ == "integer" {
			f = math.Trunc(f)
		}
		return f, nil
	case "boolean":
		switch x := v.(type) {
		case bool:
			return x, nil
		case float64:
			return x != 0, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true", "1", "yes":
				return true, nil
			case "false", "0", "no", "":
				return false, nil
			}
			return nil, fmt.Errorf("%w: %q is not a boolean", ErrType, clip(x))
		default:
			return nil, fmt.Errorf("%w: %s is not a boolean", ErrType, kindOf(v))
		}
	}
	return nil, fmt.Errorf("%w: unknown type %q", ErrType, typ)
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// toText renders a value for a template or a string coercion: strings as
// is, numbers in their shortest form, null as "", anything else as JSON.
func toText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// truthy is JMESPath truthiness: false, null, "", [], {} are false.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// deepCopy copies containers so that later steps can change the output
// without changing the input it came from.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}
