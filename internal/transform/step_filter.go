package transform

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

type filterStep struct {
	keep  []pointer
	drop  []pointer
	items []itemFilter
}

type itemFilter struct {
	at    pointer
	where *expr
}

func (c *compiler) filterStep(ptr string, f *FilterStep) stepOp {
	s := &filterStep{}
	for i, k := range f.Keep {
		s.keep = append(s.keep, c.pointer(ptr+"/keep/"+strconv.Itoa(i), k))
	}
	for i, d := range f.Drop {
		p := c.pointer(ptr+"/drop/"+strconv.Itoa(i), d)
		if d == "" {
			c.errs.add(ptr+"/drop/"+strconv.Itoa(i), "must not be the whole body")
		}
		s.drop = append(s.drop, p)
	}
	for i, it := range f.Items {
		p := ptr + "/items/" + strconv.Itoa(i)
		s.items = append(s.items, itemFilter{at: c.pointer(p+"/at", it.At), where: c.expr(p+"/where", it.Where, false)})
	}
	if len(f.Keep)+len(f.Drop)+len(f.Items) == 0 {
		c.errs.add(ptr, "must set keep, drop or items")
	}
	return s
}

func (s *filterStep) apply(st *state) *StepError {
	body := st.msg.Body
	if len(s.keep) > 0 {
		var out any = map[string]any{}
		for i, k := range s.keep {
			v, ok := k.get(body)
			if !ok {
				continue
			}
			var err error
			if out, err = k.set(out, v); err != nil {
				return &StepError{Rule: "/keep/" + strconv.Itoa(i), Path: k.String(), Err: err}
			}
		}
		body = out
	}
	for _, d := range s.drop {
		body = d.remove(body)
	}
	for i, it := range s.items {
		v, ok := it.at.get(body)
		if !ok || v == nil {
			continue
		}
		arr, isArr := v.([]any)
		if !isArr {
			return &StepError{Rule: "/items/" + strconv.Itoa(i) + "/at", Path: it.at.String(), Err: fmt.Errorf("%w: expected an array, got %s", ErrType, kindOf(v))}
		}
		kept := arr[:0]
		for j, e := range arr {
			r, err := it.where.eval(e)
			if err != nil {
				return &StepError{Rule: "/items/" + strconv.Itoa(i) + "/where", Path: it.at.String() + "/" + strconv.Itoa(j), Err: err}
			}
			if truthy(r) {
				kept = append(kept, e)
			}
		}
		clear(arr[len(kept):])
		body, _ = it.at.set(body, kept)
	}
	st.msg.Body = body
	return nil
}

// Built-in PII detectors. card matches are confirmed with a Luhn check.
var piiPatterns = map[string]*regexp.Regexp{
	"email": regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`),
	"card":  regexp.MustCompile(`\b(?:\d[ -]?){12,18}\d\b`),
	"ssn":   regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`),
	"phone": regexp.MustCompile(`\+[1-9]\d{6,14}\b|\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b`),
	"ipv4":  regexp.MustCompile(`\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b`),
}

// piiNeeds are cheap prefilters: a string that fails one cannot match the
// pattern, so the regular expression (the expensive part) is skipped.
var piiNeeds = map[string]func(string) bool{
	"email": func(s string) bool { return strings.IndexByte(s, '@') > 0 },
	"card":  func(s string) bool { return digits(s, 13) },
	"ssn":   func(s string) bool { return digits(s, 9) },
	"phone": func(s string) bool { return digits(s, 7) },
	"ipv4":  func(s string) bool { return digits(s, 4) && strings.Count(s, ".") >= 3 },
}

func digits(s string, n int) bool {
	for i := 0; i < len(s) && n > 0; i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n--
		}
	}
	return n == 0
}

type redactStep struct {
	res    []*regexp.Regexp
	needs  []func(string) bool
	luhn   []bool
	fields map[string]bool
	mask   string
}

func (c *compiler) redactStep(ptr string, r *RedactStep) stepOp {
	s := &redactStep{mask: r.Mask, fields: map[string]bool{}}
	if s.mask == "" {
		s.mask = "****"
	}
	if len(r.Patterns)+len(r.Regex) > MaxPatterns {
		c.errs.add(ptr, "must have at most %d patterns", MaxPatterns)
		return s
	}
	for i, p := range r.Patterns {
		re, ok := piiPatterns[p]
		if !ok {
			c.errs.add(ptr+"/patterns/"+strconv.Itoa(i), "must be one of card, email, ipv4, phone, ssn")
			continue
		}
		s.res = append(s.res, re)
		s.needs = append(s.needs, piiNeeds[p])
		s.luhn = append(s.luhn, p == "card")
	}
	for i, src := range r.Regex {
		p := ptr + "/regex/" + strconv.Itoa(i)
		if len(src) > MaxExprLen {
			c.errs.add(p, "must be at most %d characters", MaxExprLen)
			continue
		}
		re, err := regexp.Compile(src)
		if err != nil {
			c.errs.add(p, "is not a valid regular expression: %s", err.Error())
			continue
		}
		s.res = append(s.res, re)
		s.needs = append(s.needs, nil)
		s.luhn = append(s.luhn, false)
	}
	for _, f := range r.Fields {
		s.fields[strings.ToLower(f)] = true
	}
	if len(r.Patterns)+len(r.Regex)+len(r.Fields) == 0 {
		c.errs.add(ptr, "must set patterns, regex or fields")
	}
	return s
}

func (s *redactStep) apply(st *state) *StepError {
	st.msg.Body = s.walk(st.msg.Body)
	return nil
}

func (s *redactStep) walk(v any) any {
	switch x := v.(type) {
	case string:
		return s.text(x)
	case map[string]any:
		for k, e := range x {
			if len(s.fields) > 0 && s.fields[strings.ToLower(k)] {
				if e != nil {
					x[k] = s.mask
				}
				continue
			}
			x[k] = s.walk(e)
		}
	case []any:
		for i, e := range x {
			x[i] = s.walk(e)
		}
	}
	return v
}

func (s *redactStep) text(t string) string {
	for i, re := range s.res {
		if (s.needs[i] != nil && !s.needs[i](t)) || !re.MatchString(t) {
			continue
		}
		if s.luhn[i] {
			t = re.ReplaceAllStringFunc(t, func(m string) string {
				if luhn(m) {
					return s.mask
				}
				return m
			})
			continue
		}
		t = re.ReplaceAllLiteralString(t, s.mask)
	}
	return t
}

func luhn(s string) bool {
	sum, n := 0, 0
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			continue
		}
		d := int(c - '0')
		if n%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
	}
	return n >= 13 && sum%10 == 0
}
