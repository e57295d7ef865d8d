package reqtmpl

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Component is the part of an upstream request a template renders, which
// decides how values are escaped.
type Component uint8

const (
	// Path renders a URL path: values are single escaped segments.
	Path Component = iota
	// Query renders a raw URL query: values are query-escaped.
	Query
	// Header renders a header value: control characters are dropped.
	Header
)

// Source is where a placeholder's value comes from.
type Source uint8

const (
	// FromPath is a path param of the matched route ({path.id}).
	FromPath Source = iota + 1
	// FromQuery is the first value of a query parameter ({query.limit}).
	FromQuery
	// FromHeader is the first value of a request header ({header.X-Tenant}).
	FromHeader
)

// ErrSyntax is returned by Parse for a malformed template.
var ErrSyntax = errors.New("invalid template")

// ErrDotSegment is returned by Expand when a path value is "." or "..",
// which would climb out of the configured path.
var ErrDotSegment = errors.New("path value is a dot segment")

// Values looks up request values; a missing value is "". Path values are
// as matched (percent-encoded); query and header values are decoded.
type Values interface {
	Value(src Source, name string) string
}

// Template is a parsed template. The zero value and nil expand to "".
type Template struct {
	comp  Component
	parts []part
	lits  int // bytes of literal text
}

type part struct {
	lit  string // when src == 0
	src  Source
	name string
}

// Parse parses s for component c. Placeholders are {path.name},
// {query.name} and {header.Name}; "{{" and "}}" stand for literal braces.
// Names are 1-128 bytes of letters, digits and "-_.~".
func Parse(s string, c Component) (*Template, error) {
	t := &Template{comp: c}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{lit: lit.String()})
			t.lits += lit.Len()
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '{' && i+1 < len(s) && s[i+1] == '{':
			lit.WriteByte('{')
			i++
		case ch == '}' && i+1 < len(s) && s[i+1] == '}':
			lit.WriteByte('}')
			i++
		case ch == '}':
			return nil, fmt.Errorf("%w: unmatched '}' at %d (write }} for a brace)", ErrSyntax, i)
		case ch == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("%w: unclosed '{' at %d", ErrSyntax, i)
			}
			src, name, err := parsePlaceholder(s[i+1 : i+end])
			if err != nil {
				return nil, err
			}
			flush()
			t.parts = append(t.parts, part{src: src, name: name})
			i += end
		default:
			lit.WriteByte(ch)
		}
	}
	flush()
	return t, nil
}

func parsePlaceholder(p string) (Source, string, error) {
	kind, name, ok := strings.Cut(p, ".")
	if !ok {
		return 0, "", fmt.Errorf("%w: {%s}: want {path.name}, {query.name} or {header.Name}", ErrSyntax, p)
	}
	var src Source
	switch kind {
	case "path":
		src = FromPath
	case "query":
		src = FromQuery
	case "header":
		src = FromHeader
	default:
		return 0, "", fmt.Errorf("%w: {%s}: source must be path, query or header", ErrSyntax, p)
	}
	if name == "" || len(name) > 128 {
		return 0, "", fmt.Errorf("%w: {%s}: name must be 1-128 bytes", ErrSyntax, p)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return 0, "", fmt.Errorf("%w: {%s}: name may hold letters, digits and -_.~", ErrSyntax, p)
		}
	}
	return src, name, nil
}

// Static reports whether t has no placeholders.
func (t *Template) Static() bool {
	if t == nil {
		return true
	}
	for _, p := range t.parts {
		if p.src != 0 {
			return false
		}
	}
	return true
}

// Refs calls fn for each placeholder, in order.
func (t *Template) Refs(fn func(src Source, name string)) {
	if t == nil {
		return
	}
	for _, p := range t.parts {
		if p.src != 0 {
			fn(p.src, p.name)
		}
	}
}

// Literal returns the template with every placeholder replaced by repl, so
// the static part can be checked (a URL parsed, an SSRF guard consulted).
func (t *Template) Literal(repl string) string {
	if t == nil {
		return ""
	}
	var sb strings.Builder
	for _, p := range t.parts {
		if p.src == 0 {
			sb.WriteString(p.lit)
		} else {
			sb.WriteString(repl)
		}
	}
	return sb.String()
}

// Expand renders t with values from v, escaped for t's component.
func (t *Template) Expand(v Values) (string, error) {
	if t == nil {
		return "", nil
	}
	if len(t.parts) == 1 && t.parts[0].src == 0 {
		return t.parts[0].lit, nil
	}
	var sb strings.Builder
	sb.Grow(t.lits + 16*(len(t.parts)))
	for _, p := range t.parts {
		if p.src == 0 {
			sb.WriteString(p.lit)
			continue
		}
		val := v.Value(p.src, p.name)
		if p.src == FromPath {
			if dec, err := url.PathUnescape(val); err == nil {
				val = dec
			}
		}
		switch t.comp {
		case Path:
			if val == "." || val == ".." {
				return "", fmt.Errorf("%w: {%s.%s}", ErrDotSegment, sourceName(p.src), p.name)
			}
			sb.WriteString(url.PathEscape(val))
		case Query:
			sb.WriteString(url.QueryEscape(val))
		default:
			writeHeaderValue(&sb, val)
		}
	}
	return sb.String(), nil
}

// writeHeaderValue writes val without control characters other than tab.
func writeHeaderValue(sb *strings.Builder, val string) {
	for i := 0; i < len(val); i++ {
		if c := val[i]; c >= 0x20 && c != 0x7f || c == '\t' {
			sb.WriteByte(c)
		}
	}
}

func sourceName(s Source) string {
	switch s {
	case FromPath:
		return "path"
	case FromQuery:
		return "query"
	default:
		return "header"
	}
}
