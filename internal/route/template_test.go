package route

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in, shape string
		params          []string
	}{
		{"root", "/", "/", nil},
		{"literal", "/health", "/health", nil},
		{"param", "/orders/{id}", "/orders/{}", []string{"id"}},
		{"case folded in shape", "/Orders/{ID}/Items", "/orders/{}/items", []string{"ID"}},
		{"greedy", "/files/{path+}", "/files/{+}", []string{"path"}},
		{"greedy at root", "/{proxy+}", "/{+}", []string{"proxy"}},
		{"several", "/t/{tenant}/o/{order_id}/{rest+}", "/t/{}/o/{}/{+}", []string{"tenant", "order_id", "rest"}},
		{"sub-delims", "/a!$&'()*+,;=:@b/x-y.z_~", "/a!$&'()*+,;=:@b/x-y.z_~", nil},
		{"dots inside literal", "/v1.2/...", "/v1.2/...", nil},
		{"max params", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}", "/{}/{}/{}/{}/{}/{}/{}/{}", []string{"a", "b", "c", "d", "e", "f", "g", "h"}},
		{"longest name", "/{" + strings.Repeat("n", 64) + "}", "/{}", []string{strings.Repeat("n", 64)}},
		{"underscore name", "/{_x9}", "/{}", []string{"_x9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := tmpl.String(); got != tt.in {
				t.Errorf("String() = %q, want %q", got, tt.in)
			}
			if got := tmpl.Shape(); got != tt.shape {
				t.Errorf("Shape() = %q, want %q", got, tt.shape)
			}
			if got := tmpl.Params(); !slices.Equal(got, tt.params) {
				t.Errorf("Params() = %q, want %q", got, tt.params)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", `must start with "/"`},
		{"relative", "orders", `must start with "/"`},
		{"too long", "/" + strings.Repeat("a", MaxTemplateLen), "longer than 2048 bytes"},
		{"double slash", "/a//b", `segment 2: empty segment (repeated "/")`},
		{"leading double slash", "//a", `segment 1: empty segment`},
		{"trailing slash", "/a/b/", `segment 3: trailing "/" is not allowed`},
		{"dot", "/a/./b", `segment 2: dot segment "." is not allowed`},
		{"dotdot", "/a/..", `segment 2: dot segment ".." is not allowed`},
		{"percent", "/a%2Fb", "segment 1: percent-escapes are not allowed in literals"},
		{"space", "/a b", `segment 1: character ' ' is not allowed in a literal`},
		{"tab", "/a\tb", `segment 1: byte 0x09 is not allowed in a literal`},
		{"non-ascii", "/caf\xc3\xa9", `segment 1: byte 0xC3 is not allowed in a literal`},
		{"partial param", "/a/x{id}", "segment 2: a param must be the whole segment"},
		{"param suffix", "/a/{id}.json", "segment 2: a param must be the whole segment"},
		{"unclosed", "/a/{id", "segment 2: a param must be the whole segment"},
		{"stray brace", "/a/}", "segment 2: a param must be the whole segment"},
		{"lone brace", "/{", "segment 1: a param must be the whole segment"},
		{"empty name", "/a/{}", "segment 2: param name must match [A-Za-z_][A-Za-z0-9_]{0,63}"},
		{"empty greedy name", "/a/{+}", "segment 2: param name must match"},
		{"digit first", "/a/{1d}", "segment 2: param name must match"},
		{"dash in name", "/a/{order-id}", "segment 2: param name must match"},
		{"name too long", "/{" + strings.Repeat("n", 65) + "}", "segment 1: param name must match"},
		{"nested", "/{{a}}", "segment 1: param name must match"},
		{"greedy not last", "/{p+}/x", "segment 1: greedy param {p+} must be the last segment"},
		{"duplicate", "/{id}/x/{id}", `segment 3: duplicate param name "id"`},
		{"duplicate greedy", "/{id}/{id+}", `segment 2: duplicate param name "id"`},
		{"too many params", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", "segment 9: more than 8 params"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want error", tt.in, tmpl)
			}
			if !errors.Is(err, ErrBadTemplate) {
				t.Errorf("error %v does not wrap ErrBadTemplate", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestShapeConflicts(t *testing.T) {
	tests := []struct {
		a, b     string
		conflict bool
	}{
		{"/orders/{id}", "/orders/{orderID}", true},
		{"/Orders/{id}", "/orders/{id}", true},
		{"/files/{p+}", "/files/{rest+}", true},
		{"/", "/", true},
		{"/orders/{id}", "/orders/mine", false},
		{"/orders/{id}", "/orders/{id+}", false},
		{"/orders/{id}", "/orders/{id}/items", false},
		{"/a/{x}/b", "/a/{y}/c", false},
	}
	for _, tt := range tests {
		t.Run(tt.a+" vs "+tt.b, func(t *testing.T) {
			a, b := mustParse(t, tt.a), mustParse(t, tt.b)
			if got := a.Shape() == b.Shape(); got != tt.conflict {
				t.Fatalf("shapes %q and %q: equal = %v, want %v", a.Shape(), b.Shape(), got, tt.conflict)
			}
			bld := NewBuilder[int]()
			if err := bld.Add("GET", a, 1); err != nil {
				t.Fatal(err)
			}
			err := bld.Add("GET", b, 2)
			if tt.conflict {
				if !errors.Is(err, ErrConflict) {
					t.Fatalf("Add(%q) after %q: %v, want ErrConflict", tt.b, tt.a, err)
				}
				if !strings.Contains(err.Error(), tt.a) {
					t.Errorf("error %q does not name the existing template %q", err, tt.a)
				}
			} else if err != nil {
				t.Fatalf("Add(%q) after %q: %v", tt.b, tt.a, err)
			}
		})
	}
}

func TestParamsReturnsCopy(t *testing.T) {
	tmpl := mustParse(t, "/{a}/{b}")
	tmpl.Params()[0] = "x"
	if got := tmpl.Params()[0]; got != "a" {
		t.Fatalf("Params()[0] = %q after mutating a returned slice", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"/", "/orders/{id}", "/files/{path+}", "/Orders/{ID}/Items", "/a//b", "/a/",
		"/{a}/{a}", "/{p+}/x", "/a%2F", "/{}", "/x{y}", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}",
		"/a!$&'()*+,;=:@", "/..", "/{_9}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tmpl, err := Parse(in)
		if err != nil {
			if !errors.Is(err, ErrBadTemplate) {
				t.Fatalf("Parse(%q): error %v does not wrap ErrBadTemplate", in, err)
			}
			return
		}
		again, err := Parse(tmpl.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not re-parse: %v", in, tmpl, err)
		}
		if again.Shape() != tmpl.Shape() || again.String() != tmpl.String() {
			t.Fatalf("re-parse of %q: shape %q, string %q; want %q, %q",
				in, again.Shape(), again, tmpl.Shape(), tmpl)
		}
		if len(tmpl.Params()) > MaxParams {
			t.Fatalf("Parse(%q): %d params", in, len(tmpl.Params()))
		}
		// A template's literal text is already a canonical path, so the
		// table sees exactly the segments the tenant wrote.
		if len(tmpl.Params()) == 0 {
			if c, err := Canonical(in); err != nil || !strings.EqualFold(c, in) {
				t.Fatalf("literal template %q: Canonical = %q, %v", in, c, err)
			}
		}
	})
}

func mustParse(t testing.TB, s string) *Template {
	t.Helper()
	tmpl, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}
