package route

import (
	"errors"
	"fmt"
	"strings"
)

// MaxParams is the most params a template may declare.
const MaxParams = 8

// MaxTemplateLen is the longest template text, in bytes, that Parse accepts.
const MaxTemplateLen = 2 << 10

// maxParamName is the longest param name.
const maxParamName = 64

// ErrBadTemplate is wrapped by every error Parse returns. The rest of the
// message says precisely what is wrong and is safe to show to the tenant who
// wrote the template.
var ErrBadTemplate = errors.New("route: bad template")

type segKind uint8

const (
	segLiteral segKind = iota // matched case-insensitively
	segParam                  // {name}: exactly one segment
	segGreedy                 // {name+}: one or more final segments
)

type segment struct {
	kind segKind
	text string // literal as written, or param name
}

// Template is a parsed path template such as "/orders/{id}/items/{rest+}".
// It is immutable.
type Template struct {
	text   string
	shape  string
	segs   []segment
	params []string
}

// Parse parses a path template. A template starts with "/", has no empty
// segments, no trailing slash (except "/" itself) and no dot segments. Each
// segment is a literal (unreserved characters plus !$&'()*+,;=:@, no "%"),
// a param "{name}" matching exactly one segment, or, as the last segment
// only, a greedy param "{name+}" matching one or more segments. Names match
// [A-Za-z_][A-Za-z0-9_]{0,63}, are unique, and there are at most MaxParams.
func Parse(s string) (*Template, error) {
	if len(s) > MaxTemplateLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrBadTemplate, MaxTemplateLen)
	}
	if s == "" || s[0] != '/' {
		return nil, fmt.Errorf("%w: must start with \"/\"", ErrBadTemplate)
	}
	t := &Template{}
	if s == "/" {
		t.text, t.shape = "/", "/"
		return t, nil
	}
	rest := s[1:]
	for i := 1; ; i++ {
		raw, next, more := strings.Cut(rest, "/")
		seg, err := parseSegment(raw, i, more, t.params)
		if err != nil {
			return nil, err
		}
		if seg.kind != segLiteral {
			if len(t.params) == MaxParams {
				return nil, fmt.Errorf("%w: segment %d: more than %d params", ErrBadTemplate, i, MaxParams)
			}
			t.params = append(t.params, seg.text)
		}
		t.segs = append(t.segs, seg)
		if !more {
			break
		}
		rest = next
	}
	var text, shape strings.Builder
	for _, seg := range t.segs {
		text.WriteByte('/')
		shape.WriteByte('/')
		switch seg.kind {
		case segLiteral:
			text.WriteString(seg.text)
			shape.WriteString(lowerASCII(seg.text))
		case segParam:
			text.WriteString("{" + seg.text + "}")
			shape.WriteString("{}")
		case segGreedy:
			text.WriteString("{" + seg.text + "+}")
			shape.WriteString("{+}")
		}
	}
	t.text, t.shape = text.String(), shape.String()
	return t, nil
}

// parseSegment parses segment number i (1-based); last is false when more
// segments follow; seen holds the param names declared so far.
func parseSegment(raw string, i int, more bool, seen []string) (segment, error) {
	bad := func(format string, args ...any) (segment, error) {
		return segment{}, fmt.Errorf("%w: segment %d: %s", ErrBadTemplate, i, fmt.Sprintf(format, args...))
	}
	switch raw {
	case "":
		if more {
			return bad("empty segment (repeated \"/\")")
		}
		return bad("trailing \"/\" is not allowed")
	case ".", "..":
		return bad("dot segment %q is not allowed", raw)
	}
	if raw[0] != '{' {
		for j := 0; j < len(raw); j++ {
			c := raw[j]
			switch {
			case c == '{' || c == '}':
				return bad("a param must be the whole segment, as {name} or {name+}")
			case c == '%':
				return bad("percent-escapes are not allowed in literals; write the character itself")
			case !isPchar(c):
				return bad("%s is not allowed in a literal (allowed: letters, digits and -._~!$&'()*+,;=:@)", describeByte(c))
			}
		}
		return segment{kind: segLiteral, text: raw}, nil
	}
	if len(raw) < 2 || raw[len(raw)-1] != '}' {
		return bad("a param must be the whole segment, as {name} or {name+}")
	}
	name, kind := raw[1:len(raw)-1], segParam
	if n, ok := strings.CutSuffix(name, "+"); ok {
		name, kind = n, segGreedy
		if more {
			return bad("greedy param {%s+} must be the last segment", name)
		}
	}
	if !validName(name) {
		return bad("param name must match [A-Za-z_][A-Za-z0-9_]{0,63}")
	}
	for _, s := range seen {
		if s == name {
			return bad("duplicate param name %q", name)
		}
	}
	return segment{kind: kind, text: name}, nil
}

// describeByte names c for an error message: "character 'x'" for printable
// ASCII, "byte 0xC3" otherwise (a byte may be part of a UTF-8 sequence).
func describeByte(c byte) string {
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("byte 0x%02X", c)
	}
	return fmt.Sprintf("character %q", c)
}

func validName(name string) bool {
	if name == "" || len(name) > maxParamName {
		return false
	}
	for j := 0; j < len(name); j++ {
		c := name[j]
		alpha := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
		if !alpha && (j == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// String returns the template's canonical text, for example "/orders/{id}".
func (t *Template) String() string { return t.text }

// Shape returns the template with literals lower-cased, params written "{}"
// and a greedy param "{+}", for example "/orders/{}". Two templates overlap
// exactly (and so conflict on the same method) iff their shapes are equal.
func (t *Template) Shape() string { return t.shape }

// Params returns the param names in the order they appear.
func (t *Template) Params() []string {
	return append([]string(nil), t.params...)
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s) // s is ASCII: Parse allows only pchars
		}
	}
	return s
}
