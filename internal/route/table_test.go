package route

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
)

type testRoute struct{ method, tmpl string }

func buildTable(t testing.TB, routes []testRoute) *Table[string] {
	t.Helper()
	b := NewBuilder[string]()
	for _, r := range routes {
		if err := b.Add(r.method, mustParse(t, r.tmpl), r.method+" "+r.tmpl); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

func TestMatch(t *testing.T) {
	tbl := buildTable(t, []testRoute{
		{"GET", "/"},
		{"GET", "/health"},
		{"GET", "/orders"},
		{"POST", "/orders"},
		{"GET", "/orders/{id}"},
		{"PUT", "/orders/{id}"},
		{"GET", "/orders/mine"},
		{"GET", "/orders/{id}/items/{item}"},
		{"GET", "/a/b/c"},
		{"GET", "/a/{x}/d"},
		{"GET", "/a/{x}/{y}/e"},
		{"GET", "/files/{path+}"},
		{"GET", "/files/{dir}/meta"},
		{"GET", "/files/readme"},
		{"DELETE", "/Users/{userID}"},
		{"GET", "/users/me"},
		{"POST", "/users/{uid}"},
		{"ANY", "/proxy/{rest+}"},
		{"ANY", "/echo"},
		{"GET", "/t/{tenant}/{p+}"},
		{"GET", "/t/{tenant}/x/{id}"},
	})
	tests := []struct {
		name, method, path string
		want               string // "" for no match
		params             []string
	}{
		{"root", "GET", "/", "GET /", nil},
		{"literal", "GET", "/health", "GET /health", nil},
		{"method picks route", "POST", "/orders", "POST /orders", nil},
		{"param", "GET", "/orders/42", "GET /orders/{id}", []string{"id", "42"}},
		{"param value keeps case", "PUT", "/orders/AbC", "PUT /orders/{id}", []string{"id", "AbC"}},
		{"literal beats param", "GET", "/orders/mine", "GET /orders/mine", nil},
		{"literal case-insensitive", "GET", "/ORDERS/Mine", "GET /orders/mine", nil},
		{"template literal case-insensitive", "DELETE", "/users/U1", "DELETE /Users/{userID}", []string{"userID", "U1"}},
		{"two params", "GET", "/orders/7/items/x", "GET /orders/{id}/items/{item}", []string{"id", "7", "item", "x"}},
		{"literal dead end backtracks to param", "GET", "/a/b/d", "GET /a/{x}/d", []string{"x", "b"}},
		{"literal path wins", "GET", "/a/b/c", "GET /a/b/c", nil},
		{"deep backtrack", "GET", "/a/b/c/e", "GET /a/{x}/{y}/e", []string{"x", "b", "y", "c"}},
		{"no match after backtracking", "GET", "/a/b/x", "", nil},
		{"greedy one segment", "GET", "/files/a", "GET /files/{path+}", []string{"path", "a"}},
		{"greedy many segments", "GET", "/files/a/b/c", "GET /files/{path+}", []string{"path", "a/b/c"}},
		{"greedy needs a segment", "GET", "/files", "", nil},
		{"literal beats greedy", "GET", "/files/README", "GET /files/readme", nil},
		{"param beats greedy", "GET", "/files/d/meta", "GET /files/{dir}/meta", []string{"dir", "d"}},
		{"param dead end falls to greedy", "GET", "/files/d/other", "GET /files/{path+}", []string{"path", "d/other"}},
		{"greedy after param", "GET", "/t/acme/a/b", "GET /t/{tenant}/{p+}", []string{"tenant", "acme", "p", "a/b"}},
		{"param before greedy", "GET", "/t/acme/x/1", "GET /t/{tenant}/x/{id}", []string{"tenant", "acme", "id", "1"}},
		{"greedy pops failed param", "GET", "/t/acme/x/1/2", "GET /t/{tenant}/{p+}", []string{"tenant", "acme", "p", "x/1/2"}},
		{"method falls back to param", "POST", "/users/me", "POST /users/{uid}", []string{"uid", "me"}},
		{"method mismatch", "DELETE", "/orders", "", nil},
		{"ANY greedy", "PATCH", "/proxy/x/y", "ANY /proxy/{rest+}", []string{"rest", "x/y"}},
		{"ANY literal", "OPTIONS", "/echo", "ANY /echo", nil},
		{"methods are case-sensitive", "get", "/health", "", nil},
		{"unknown path", "GET", "/nope", "", nil},
		{"too deep", "GET", "/health/x", "", nil},
		{"not a path", "GET", "health", "", nil},
		{"empty", "GET", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Params
			p.push("stale")
			got, ok := tbl.Match(tt.method, tt.path, &p)
			if ok != (tt.want != "") || got != tt.want {
				t.Fatalf("Match(%s, %q) = %q, %v; want %q", tt.method, tt.path, got, ok, tt.want)
			}
			var params []string
			for i := range p.Len() {
				name, value := p.At(i)
				params = append(params, name, value)
				if g := p.Get(name); g != value {
					t.Errorf("Get(%q) = %q, want %q", name, g, value)
				}
			}
			if !slices.Equal(params, tt.params) {
				t.Errorf("params = %q, want %q", params, tt.params)
			}
		})
	}
}

func TestAllowed(t *testing.T) {
	tbl := buildTable(t, []testRoute{
		{"GET", "/orders"},
		{"POST", "/orders"},
		{"GET", "/orders/{id}"},
		{"PUT", "/orders/{id}"},
		{"DELETE", "/orders/mine"},
		{"GET", "/files/{p+}"},
		{"PUT", "/files/{dir}/x"},
		{"ANY", "/proxy/{p+}"},
	})
	tests := []struct {
		path string
		want []string
	}{
		{"/orders", []string{"GET", "POST"}},
		{"/orders/42", []string{"GET", "PUT"}},
		{"/orders/mine", []string{"DELETE", "GET", "PUT"}},
		{"/files/a/x", []string{"GET", "PUT"}},
		{"/proxy/a", []string{"ANY"}},
		{"/nope", nil},
		{"/", nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got := tbl.Allowed(tt.path)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Allowed(%q) = %q, want %q", tt.path, got, tt.want)
			}
			// Allowed lists exactly the methods Match accepts.
			for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH"} {
				var p Params
				_, ok := tbl.Match(m, tt.path, &p)
				want := slices.Contains(got, m) || slices.Contains(got, MethodAny)
				if ok != want {
					t.Errorf("Match(%s, %q) ok = %v, but Allowed = %q", m, tt.path, ok, got)
				}
			}
		})
	}
}

func TestAddConflicts(t *testing.T) {
	tests := []struct {
		name        string
		first, then testRoute
		conflict    bool
	}{
		{"same method same shape", testRoute{"GET", "/o/{id}"}, testRoute{"GET", "/O/{x}"}, true},
		{"other method", testRoute{"GET", "/o/{id}"}, testRoute{"POST", "/o/{x}"}, false},
		{"ANY then method", testRoute{"ANY", "/o/{id}"}, testRoute{"GET", "/o/{x}"}, true},
		{"method then ANY", testRoute{"DELETE", "/o/{id}"}, testRoute{"ANY", "/o/{x}"}, true},
		{"ANY twice", testRoute{"ANY", "/"}, testRoute{"ANY", "/"}, true},
		{"ANY other shape", testRoute{"ANY", "/o/{id}"}, testRoute{"GET", "/o/{id+}"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b Builder[int] // the zero value is usable
			if err := b.Add(tt.first.method, mustParse(t, tt.first.tmpl), 1); err != nil {
				t.Fatal(err)
			}
			err := b.Add(tt.then.method, mustParse(t, tt.then.tmpl), 2)
			if !tt.conflict {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
			want := tt.first.method + " " + tt.first.tmpl
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name the existing route %q", err, want)
			}
			if got := b.Build().Len(); got != 1 {
				t.Errorf("Len() = %d after a rejected Add, want 1", got)
			}
		})
	}
}

func TestAddRejects(t *testing.T) {
	b := NewBuilder[int]()
	for _, m := range []string{"", "GE T", "GET\n", "GÉT"} {
		if err := b.Add(m, mustParse(t, "/"), 0); !errors.Is(err, ErrBadMethod) {
			t.Errorf("Add(%q) = %v, want ErrBadMethod", m, err)
		}
	}
	if err := b.Add("GET", nil, 0); !errors.Is(err, ErrBadTemplate) {
		t.Errorf("Add(nil template) = %v, want ErrBadTemplate", err)
	}
}

func TestBuildSnapshot(t *testing.T) {
	b := NewBuilder[int]()
	if err := b.Add("GET", mustParse(t, "/a"), 1); err != nil {
		t.Fatal(err)
	}
	first := b.Build()
	if err := b.Add("GET", mustParse(t, "/b"), 2); err != nil {
		t.Fatal(err)
	}
	second := b.Build()
	var p Params
	if _, ok := first.Match("GET", "/b", &p); ok {
		t.Error("a built Table changed after a later Add")
	}
	if v, ok := second.Match("GET", "/b", &p); !ok || v != 2 {
		t.Errorf("second.Match(/b) = %d, %v", v, ok)
	}
	if first.Len() != 1 || second.Len() != 2 {
		t.Errorf("Len() = %d, %d; want 1, 2", first.Len(), second.Len())
	}
}

func TestZeroTable(t *testing.T) {
	var tbl Table[int]
	var p Params
	if _, ok := tbl.Match("GET", "/", &p); ok {
		t.Error("zero Table matched")
	}
	if got := tbl.Allowed("/"); got != nil {
		t.Errorf("zero Table Allowed = %q", got)
	}
	if tbl.Len() != 0 {
		t.Errorf("zero Table Len = %d", tbl.Len())
	}
	var nilTbl *Table[int]
	if _, ok := nilTbl.Match("GET", "/", &p); ok || nilTbl.Len() != 0 || nilTbl.Allowed("/") != nil {
		t.Error("nil Table matched")
	}
}

// TestManyLiterals covers the map lookup used past linearMax children,
// including a segment longer than the stack buffer.
func TestManyLiterals(t *testing.T) {
	long := strings.Repeat("x", 100)
	var routes []testRoute
	for _, name := range []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", long} {
		routes = append(routes, testRoute{"GET", "/" + name})
	}
	tbl := buildTable(t, routes)
	var p Params
	for _, r := range routes {
		path := strings.ToUpper(r.tmpl)
		if v, ok := tbl.Match("GET", path, &p); !ok || v != "GET "+r.tmpl {
			t.Errorf("Match(%q) = %q, %v", path, v, ok)
		}
	}
	if _, ok := tbl.Match("GET", "/lambda", &p); ok {
		t.Error("Match(/lambda) matched")
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	tbl := buildTable(t, []testRoute{
		{"GET", "/orders/{id}/items/{item}"},
		{"GET", "/Orders/{id}/items/special"},
		{"GET", "/files/{p+}"},
	})
	for _, path := range []string{"/ORDERS/1/Items/2", "/files/a/b", "/nope"} {
		allocs := testing.AllocsPerRun(100, func() {
			var p Params // a caller's Params stays on its stack
			tbl.Match("GET", path, &p)
			_ = p.Get("id")
		})
		if allocs != 0 {
			t.Errorf("Match(%q): %v allocs, want 0", path, allocs)
		}
	}
}

func TestMatchConcurrent(t *testing.T) {
	tbl := buildTable(t, []testRoute{{"GET", "/a/{x}"}, {"GET", "/a/b/c"}, {"GET", "/a/{x}/d"}})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			var p Params
			for range 1000 {
				if _, ok := tbl.Match("GET", "/a/b/d", &p); !ok || p.Get("x") != "b" {
					t.Error("concurrent Match failed")
					return
				}
			}
		})
	}
	wg.Wait()
}

func FuzzMatch(f *testing.F) {
	for _, s := range []string{"/", "/a/b/d", "/files/x/y", "/A/B/C", "//a", "/a/", "", "x", "/t/acme/x/1/2"} {
		f.Add("GET", s)
	}
	tbl := buildTable(f, []testRoute{
		{"GET", "/"}, {"GET", "/a/b/c"}, {"GET", "/a/{x}/d"}, {"POST", "/a/{x}/{y}"},
		{"GET", "/files/{p+}"}, {"ANY", "/t/{tenant}/{p+}"}, {"PUT", "/t/{tenant}/x/{id}"},
	})
	f.Fuzz(func(t *testing.T, method, path string) {
		var p Params
		_, ok := tbl.Match(method, path, &p)
		allowed := tbl.Allowed(path)
		if want := slices.Contains(allowed, method) || slices.Contains(allowed, MethodAny); ok != want {
			t.Fatalf("Match(%q, %q) ok = %v, Allowed = %q", method, path, ok, allowed)
		}
		if !ok && p.Len() != 0 {
			t.Fatalf("Match(%q, %q) failed but left %d params", method, path, p.Len())
		}
		for i := range p.Len() {
			if _, v := p.At(i); v == "" || !strings.Contains(path, v) {
				t.Fatalf("Match(%q, %q): param %d = %q", method, path, i, v)
			}
		}
	})
}
