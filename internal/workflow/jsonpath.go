package workflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// A path segment: a field name or an array index.
type segment struct {
	field string
	index int // -1 for a field
}

// parsePath parses the reference-path subset of JSONPath: $, .name,
// ['name'] and [index]. Wildcards, filters and slices are not supported.
func parsePath(p string) ([]segment, error) {
	if !strings.HasPrefix(p, "$") || strings.HasPrefix(p, "$$") {
		return nil, fmt.Errorf("unsupported path %q: only paths from $ are supported", p)
	}
	var segs []segment
	rest := p[1:]
	for rest != "" {
		switch {
		case rest[0] == '.':
			end := strings.IndexAny(rest[1:], ".[")
			if end < 0 {
				end = len(rest) - 1
			}
			name := rest[1 : 1+end]
			if name == "" || strings.ContainsAny(name, "*@()?,:'\" ") {
				return nil, fmt.Errorf("unsupported path %q", p)
			}
			segs = append(segs, segment{field: name, index: -1})
			rest = rest[1+end:]
		case strings.HasPrefix(rest, "['"):
			end := strings.Index(rest, "']")
			if end < 0 {
				return nil, fmt.Errorf("unsupported path %q", p)
			}
			segs = append(segs, segment{field: rest[2:end], index: -1})
			rest = rest[end+2:]
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("unsupported path %q", p)
			}
			n, err := strconv.Atoi(rest[1:end])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("unsupported path %q: only non-negative indexes are supported", p)
			}
			segs = append(segs, segment{index: n})
			rest = rest[end+1:]
		default:
			return nil, fmt.Errorf("unsupported path %q", p)
		}
	}
	return segs, nil
}

// lookup returns the value at path p in v, and whether it exists.
func lookup(v any, p string) (any, bool, error) {
	segs, err := parsePath(p)
	if err != nil {
		return nil, false, err
	}
	for _, s := range segs {
		if s.index < 0 {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false, nil
			}
			if v, ok = m[s.field]; !ok {
				return nil, false, nil
			}
			continue
		}
		a, ok := v.([]any)
		if !ok || s.index >= len(a) {
			return nil, false, nil
		}
		v = a[s.index]
	}
	return v, true, nil
}

// set returns a copy of root with val at path p, creating objects on the
// way (ResultPath semantics); root itself is not modified.
func set(root any, p string, val any) (any, error) {
	segs, err := parsePath(p)
	if err != nil {
		return nil, err
	}
	var put func(node any, segs []segment) (any, error)
	put = func(node any, segs []segment) (any, error) {
		if len(segs) == 0 {
			return val, nil
		}
		s := segs[0]
		if s.index >= 0 {
			a, ok := node.([]any)
			if !ok || s.index >= len(a) {
				return nil, fmt.Errorf("path %q: index %d is out of range", p, s.index)
			}
			c := append([]any(nil), a...)
			v, err := put(a[s.index], segs[1:])
			c[s.index] = v
			return c, err
		}
		var c map[string]any
		switch m := node.(type) {
		case map[string]any:
			c = make(map[string]any, len(m)+1)
			for k, v := range m {
				c[k] = v
			}
		case nil:
			c = map[string]any{}
		default:
			return nil, fmt.Errorf("path %q: cannot set field %q on a non-object", p, s.field)
		}
		v, err := put(c[s.field], segs[1:])
		c[s.field] = v
		return c, err
	}
	return put(root, segs)
}

// decode parses JSON keeping numbers exact.
func decode(b []byte) (any, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func encode(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil { // values come from decode: always marshalable
		panic(err)
	}
	return b
}
