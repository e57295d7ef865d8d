package workflow

import (
	"encoding/json"
	"strings"
	"time"
)

// evalRule evaluates a Choice rule against the state's effective input.
// A comparison whose Variable (or *Path operand) selects nothing is a
// States.Runtime error, as on Step Functions; IsPresent is the exception.
func evalRule(r ChoiceRule, in any) (bool, *Error) {
	switch {
	case r.And != nil:
		for _, c := range r.And {
			ok, err := evalRule(c, in)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case r.Or != nil:
		for _, c := range r.Or {
			ok, err := evalRule(c, in)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case r.Not != nil:
		ok, err := evalRule(*r.Not, in)
		return !ok, err
	}
	v, present, err := lookup(in, r.Variable)
	if err != nil {
		return false, runtimeErr("choice Variable: %v", err)
	}
	operand, derr := decode(r.Value)
	if derr != nil {
		return false, runtimeErr("choice %s: %v", r.Op, derr)
	}
	if r.Op == "IsPresent" {
		return present == (operand == true), nil
	}
	if !present {
		return false, runtimeErr("invalid path %s: the choice state's condition path references an undefined value", r.Variable)
	}
	op := r.Op
	if base, isPath := strings.CutSuffix(op, "Path"); isPath {
		p, _ := operand.(string)
		got, ok, perr := lookup(in, p)
		if perr != nil || !ok {
			return false, runtimeErr("invalid path %s: the choice state's condition path references an undefined value", p)
		}
		op, operand = base, got
	}
	switch op {
	case "IsNull":
		return (v == nil) == (operand == true), nil
	case "IsString":
		_, ok := v.(string)
		return ok == (operand == true), nil
	case "IsNumeric":
		_, ok := v.(json.Number)
		return ok == (operand == true), nil
	case "IsBoolean":
		_, ok := v.(bool)
		return ok == (operand == true), nil
	case "IsTimestamp":
		_, ok := timestamp(v)
		return ok == (operand == true), nil
	case "BooleanEquals":
		b, ok := v.(bool)
		return ok && b == operand, nil
	case "StringMatches":
		s, ok := v.(string)
		pat, _ := operand.(string)
		return ok && wildcard(pat, s), nil
	}
	switch {
	case strings.HasPrefix(op, "String"):
		a, ok1 := v.(string)
		b, ok2 := operand.(string)
		return ok1 && ok2 && compare(op, "String", strings.Compare(a, b)), nil
	case strings.HasPrefix(op, "Numeric"):
		a, ok1 := number(v)
		b, ok2 := number(operand)
		if !ok1 || !ok2 {
			return false, nil
		}
		c := 0
		if a < b {
			c = -1
		} else if a > b {
			c = 1
		}
		return compare(op, "Numeric", c), nil
	case strings.HasPrefix(op, "Timestamp"):
		a, ok1 := timestamp(v)
		b, ok2 := timestamp(operand)
		return ok1 && ok2 && compare(op, "Timestamp", a.Compare(b)), nil
	}
	return false, runtimeErr("unsupported choice operator %q", r.Op)
}

func compare(op, prefix string, c int) bool {
	switch strings.TrimPrefix(op, prefix) {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "GreaterThan":
		return c > 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

func timestamp(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// wildcard matches s against an ASL StringMatches pattern: '*' matches any
// run of characters; '\*' and '\\' are a literal '*' and '\'. Linear
// backtracking (O(len(s)*len(pat))), so a tenant's pattern cannot blow up.
func wildcard(pat, s string) bool {
	type item struct {
		star bool
		c    byte
	}
	var p []item
	for i := 0; i < len(pat); i++ {
		switch {
		case pat[i] == '\\' && i+1 < len(pat):
			i++
			p = append(p, item{c: pat[i]})
		case pat[i] == '*':
			p = append(p, item{star: true})
		default:
			p = append(p, item{c: pat[i]})
		}
	}
	i, j, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case j < len(p) && !p[j].star && p[j].c == s[i]:
			i++
			j++
		case j < len(p) && p[j].star:
			star, mark = j, i
			j++
		case star >= 0:
			mark++
			i, j = mark, star+1
		default:
			return false
		}
	}
	for j < len(p) && p[j].star {
		j++
	}
	return j == len(p)
}
