package graphql

import (
	"encoding/json"
	"errors"
	"net/url"
	"testing"
)

func TestParseVar(t *testing.T) {
	tests := []struct {
		name, v, from, kind string
		ok                  bool
	}{
		{"path", "id", "/path/id", "", true},
		{"query int", "first", "/query/limit", KindInt, true},
		{"whole body", "input", "/body", "", true},
		{"deep body", "city", "/body/address/city", KindString, true},
		{"escaped", "x", "/body/a~1b/c~0d", "", true},
		{"bad escape", "x", "/body/a~2", "", false},
		{"no slash", "x", "path/id", "", false},
		{"unknown source", "x", "/header/x", "", false},
		{"path needs a name", "x", "/path", "", false},
		{"path one level", "x", "/path/a/b", "", false},
		{"bad variable name", "1x", "/path/id", "", false},
		{"bad kind", "x", "/path/id", "date", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseVar(tt.v, tt.from, tt.kind)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseVar(%q, %q, %q) error = %v, want ok=%v", tt.v, tt.from, tt.kind, err, tt.ok)
			}
		})
	}
}

func mustVars(t *testing.T, specs ...[3]string) []Var {
	t.Helper()
	out := []Var{}
	for _, s := range specs {
		v, err := ParseVar(s[0], s[1], s[2])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestVariables(t *testing.T) {
	path := func(name string) (string, bool) {
		v, ok := map[string]string{"id": "42", "slug": "a/b"}[name]
		return v, ok
	}
	req := Request{Path: path, PathNames: []string{"id", "slug"}, Query: url.Values{"limit": {"10", "20"}, "on": {"true"}, "bad-name": {"x"}, "id": {"q"}},
		Body: []byte(`{"order":{"lines":[{"sku":"A1","qty":2}]},"note":"hi","id":"body"}`)}
	tests := []struct {
		name string
		vars []Var
		in   Request
		want string
		err  string // "body", "field" or ""
	}{
		{"default mapping: body < query < path", nil, req, `{"id":"42","limit":"10","note":"hi","on":"true","order":{"lines":[{"qty":2,"sku":"A1"}]},"slug":"a/b"}`, ""},
		{"default without body", nil, Request{Path: path, PathNames: []string{"id"}}, `{"id":"42"}`, ""},
		{"mapped and typed", mustVars(t, [3]string{"id", "/path/id", KindInt}, [3]string{"first", "/query/limit", KindInt}, [3]string{"on", "/query/on", KindBoolean},
			[3]string{"sku", "/body/order/lines/0/sku", ""}, [3]string{"qty", "/body/order/lines/0/qty", KindString}, [3]string{"ratio", "/body/order/lines/0/qty", KindFloat}), req,
			`{"first":10,"id":42,"on":true,"qty":"2","ratio":2,"sku":"A1"}`, ""},
		{"whole body", mustVars(t, [3]string{"input", "/body", ""}), Request{Body: []byte(`[1, 2.50, "x"]`)}, `{"input":[1,2.50,"x"]}`, ""},
		{"absent values are left out", mustVars(t, [3]string{"a", "/path/nope", ""}, [3]string{"b", "/query/nope", ""}, [3]string{"c", "/body/x/9", ""}, [3]string{"d", "/body/order/lines/01", ""}), req, `{}`, ""},
		{"no body at all", mustVars(t, [3]string{"c", "/body/x", ""}), Request{}, `{}`, ""},
		{"int conversion fails", mustVars(t, [3]string{"n", "/path/slug", KindInt}), req, "", "field"},
		{"int out of 32 bits", mustVars(t, [3]string{"n", "/query/n", KindInt}), Request{Query: url.Values{"n": {"4294967296"}}}, "", "field"},
		{"boolean conversion fails", mustVars(t, [3]string{"n", "/query/limit", KindBoolean}), req, "", "field"},
		{"string from object fails", mustVars(t, [3]string{"n", "/body/order", KindString}), req, "", "field"},
		{"body not JSON", mustVars(t, [3]string{"n", "/body/x", ""}), Request{Body: []byte(`{"x":`)}, "", "body"},
		{"two JSON values", nil, Request{Body: []byte(`{} {}`)}, "", "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Variables(tt.vars, tt.in)
			var fe *FieldError
			switch tt.err {
			case "body":
				if !errors.Is(err, ErrBody) {
					t.Fatalf("err = %v, want ErrBody", err)
				}
				return
			case "field":
				if !errors.As(err, &fe) {
					t.Fatalf("err = %v, want *FieldError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("Variables() = %s\nwant          %s", got, tt.want)
			}
		})
	}
}

func TestBody(t *testing.T) {
	b, err := Body("query Q { a }", "Q", json.RawMessage(`{"x":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"query":"query Q { a }","operationName":"Q","variables":{"x":1}}`; string(b) != want {
		t.Fatalf("Body() = %s, want %s", b, want)
	}
}

// FuzzVariables: request bodies and query values are caller input.
func FuzzVariables(f *testing.F) {
	f.Add([]byte(`{"a":{"b":[1,"x",true]}}`), "/body/a/b/1", "10", "int")
	f.Add([]byte(`[`), "/body", "x", "")
	f.Add([]byte(`null`), "/query/q", "true", "boolean")
	f.Fuzz(func(t *testing.T, body []byte, from, q, kind string) {
		v, err := ParseVar("v", from, kind)
		if err != nil {
			return
		}
		out, err := Variables([]Var{v}, Request{Body: body, Query: url.Values{"q": {q}}})
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("Variables() = %q, not JSON", out)
		}
	})
}
