package reqtmpl

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// vals is a Values of fixed maps.
type vals map[Source]map[string]string

func (v vals) Value(src Source, name string) string { return v[src][name] }

var req = vals{
	FromPath:   {"id": "a%2Fb", "dot": "..", "plain": "42"},
	FromQuery:  {"q": "x y&z=1", "crlf": "a\r\nX-Evil: 1"},
	FromHeader: {"X-Tenant": "acme", "Dots": "."},
}

func TestExpand(t *testing.T) {
	tests := []struct {
		name, tmpl string
		comp       Component
		want       string
		err        error
	}{
		{"static", "/v1/items", Path, "/v1/items", nil},
		{"path param stays one segment", "/items/{path.id}", Path, "/items/a%2Fb", nil},
		{"query into path", "/search/{query.q}", Path, "/search/x%20y&z=1", nil},
		{"dot segment refused", "/items/{path.dot}", Path, "", ErrDotSegment},
		{"single dot refused", "/items/{header.Dots}", Path, "", ErrDotSegment},
		{"missing renders empty", "/items/{path.nope}/x", Path, "/items//x", nil},
		{"query escaping", "q={query.q}&t={header.X-Tenant}", Query, "q=x+y%26z%3D1&t=acme", nil},
		{"header drops CR LF", "Bearer {query.crlf}", Header, "Bearer aX-Evil: 1", nil},
		{"braces", "{{literal}}", Header, "{literal}", nil},
		{"path decoded then escaped", "{path.plain}", Header, "42", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := Parse(tt.tmpl, tt.comp)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := tp.Expand(req)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Expand err = %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Errorf("Expand = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{"{", "}", "{id}", "{body.x}", "{path.}", "{path.a/b}", "{query." + strings.Repeat("a", 129) + "}"} {
		t.Run(s, func(t *testing.T) {
			if _, err := Parse(s, Path); !errors.Is(err, ErrSyntax) {
				t.Errorf("Parse(%q) err = %v, want ErrSyntax", s, err)
			}
		})
	}
}

func TestStaticRefsLiteral(t *testing.T) {
	tp, err := Parse("/a/{path.id}?q={query.q}", Path)
	if err != nil {
		t.Fatal(err)
	}
	if tp.Static() {
		t.Error("Static() = true")
	}
	var refs []string
	tp.Refs(func(s Source, n string) { refs = append(refs, sourceName(s)+"."+n) })
	if strings.Join(refs, ",") != "path.id,query.q" {
		t.Errorf("Refs = %v", refs)
	}
	if got := tp.Literal("x"); got != "/a/x?q=x" {
		t.Errorf("Literal = %q", got)
	}
}

// one is a Values that answers v for everything.
type one string

func (v one) Value(Source, string) string { return string(v) }

func FuzzExpand(f *testing.F) {
	f.Add("/items/{path.id}/x", "a/b", uint8(0))
	f.Add("/i/{query.q}", "..", uint8(0))
	f.Add("q={query.q}", "a&b=c", uint8(1))
	f.Add("Bearer {header.A}", "x\r\nY: z", uint8(2))
	f.Add("{{{path.a}}}", "%2e%2E", uint8(0))
	f.Fuzz(func(t *testing.T, tmpl, val string, c uint8) {
		comp := Component(c % 3)
		tp, err := Parse(tmpl, comp)
		if err != nil {
			return
		}
		out, err := tp.Expand(one(val))
		if err != nil {
			if !errors.Is(err, ErrDotSegment) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		lit := tp.Literal("")
		switch comp {
		case Header:
			if strings.ContainsAny(out, "\r\n\x00") && !strings.ContainsAny(lit, "\r\n\x00") {
				t.Fatalf("header output %q has CR/LF/NUL", out)
			}
		case Path:
			if strings.Count(out, "/") != strings.Count(lit, "/") {
				t.Fatalf("path value added segments: %q from %q", out, tmpl)
			}
			// Every segment a value produced, decoded, is not a dot segment.
			if !strings.Contains(lit, ".") && !strings.Contains(lit, "%") {
				for seg := range strings.SplitSeq(out, "/") {
					if dec, err := url.PathUnescape(seg); err == nil && (dec == "." || dec == "..") {
						t.Fatalf("dot segment %q in %q", seg, out)
					}
				}
			}
		case Query:
			if strings.Count(out, "&") != strings.Count(lit, "&") || strings.Count(out, "=") != strings.Count(lit, "=") {
				t.Fatalf("query value added parameters: %q", out)
			}
		}
	})
}
