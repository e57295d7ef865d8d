package transform

import (
	"errors"
	"strconv"
	"strings"
)

// pointer is a parsed RFC 6901 JSON pointer.
type pointer []string

func parsePointer(s string) (pointer, error) {
	if s == "" {
		return nil, nil
	}
	if s[0] != '/' {
		return nil, errors.New(`must be a JSON pointer starting with "/"`)
	}
	parts := strings.Split(s[1:], "/")
	for i, p := range parts {
		if strings.Contains(p, "~") {
			for j := 0; j < len(p); j++ {
				if p[j] == '~' && (j+1 == len(p) || (p[j+1] != '0' && p[j+1] != '1')) {
					return nil, errors.New("has an invalid ~ escape")
				}
			}
			p = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
		}
		parts[i] = p
	}
	return parts, nil
}

func (p pointer) String() string {
	var b strings.Builder
	for _, t := range p {
		b.WriteByte('/')
		b.WriteString(escapeToken(t))
	}
	return b.String()
}

func escapeToken(t string) string {
	if !strings.ContainsAny(t, "~/") {
		return t
	}
	return strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
}

func arrayIndex(tok string, n int) (int, bool) {
	i, err := strconv.Atoi(tok)
	if err != nil || i < 0 || i >= n || (len(tok) > 1 && tok[0] == '0') {
		return 0, false
	}
	return i, true
}

// get returns the value at p, and whether it exists.
func (p pointer) get(doc any) (any, bool) {
	cur := doc
	for _, tok := range p {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, ok := arrayIndex(tok, len(c))
			if !ok {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

var errNotContainer = errors.New("path crosses a value that is not an object")

// set stores v at p in doc, creating objects on the way, and returns the
// (possibly new) root. "-" appends to an array.
func (p pointer) set(doc, v any) (any, error) {
	if len(p) == 0 {
		return v, nil
	}
	if doc == nil {
		doc = map[string]any{}
	}
	var rec func(cur any, i int) (any, error)
	rec = func(cur any, i int) (any, error) {
		tok := p[i]
		last := i == len(p)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[tok] = v
				return c, nil
			}
			child, ok := c[tok]
			if !ok || child == nil {
				child = map[string]any{}
			}
			nc, err := rec(child, i+1)
			if err != nil {
				return nil, err
			}
			c[tok] = nc
			return c, nil
		case []any:
			if tok == "-" {
				if !last {
					child, err := rec(map[string]any{}, i+1)
					if err != nil {
						return nil, err
					}
					return append(c, child), nil
				}
				return append(c, v), nil
			}
			idx, ok := arrayIndex(tok, len(c))
			if !ok {
				return nil, errors.New("array index out of range")
			}
			if last {
				c[idx] = v
				return c, nil
			}
			nc, err := rec(c[idx], i+1)
			if err != nil {
				return nil, err
			}
			c[idx] = nc
			return c, nil
		default:
			return nil, errNotContainer
		}
	}
	return rec(doc, 0)
}

// remove deletes the value at p, if any.
func (p pointer) remove(doc any) any {
	if len(p) == 0 {
		return nil
	}
	parent, ok := p[:len(p)-1].get(doc)
	if !ok {
		return doc
	}
	tok := p[len(p)-1]
	switch c := parent.(type) {
	case map[string]any:
		delete(c, tok)
	case []any:
		if i, ok := arrayIndex(tok, len(c)); ok {
			nc := append(c[:i:i], c[i+1:]...)
			doc, _ = p[:len(p)-1].set(doc, nc)
		}
	}
	return doc
}
