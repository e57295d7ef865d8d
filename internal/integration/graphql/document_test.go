package graphql

import (
	"errors"
	"testing"
)

func TestOperation(t *testing.T) {
	tests := []struct {
		name, doc, op string
		want          OpType
		err           error
	}{
		{"shorthand", `{ order(id: 1) { id } }`, "", Query, nil},
		{"named query", `query Order($id: ID!) { order(id: $id) { id } }`, "", Query, nil},
		{"anonymous with variables", `query ($id: ID = "x") { order(id: $id) { id } }`, "", Query, nil},
		{"mutation", `mutation Place($in: OrderInput!) { place(input: $in) { id } }`, "", Mutation, nil},
		{"subscription", `subscription { ticks }`, "", Subscription, nil},
		{"directive before selection", `query Q @cached(ttl: 5) { a }`, "Q", Query, nil},
		{"select by name", `query A { a } mutation B { b }`, "B", Mutation, nil},
		{"select query by name", `query A { a } mutation B { b }`, "A", Query, nil},
		{"fragment ignored", `fragment F on Order { id } query Q { order { ...F } }`, "", Query, nil},
		{"comments and strings", "# mutation X { }\nquery Q { a(s: \"mutation {\") b(s: \"\"\"\n } mutation \\\"\"\" \"\"\") }", "", Query, nil},
		{"keyword as name", `query mutation { a }`, "mutation", Query, nil},
		{"commas and BOM", "\ufeff,query,Q,{,a,}", "", Query, nil},
		{"several need a name", `query A { a } query B { b }`, "", "", ErrAmbiguous},
		{"anonymous among others", `{ a } query B { b }`, "B", "", ErrAmbiguous},
		{"unknown name", `query A { a }`, "B", "", ErrUnknownOperation},
		{"only fragments", `fragment F on T { a }`, "", "", ErrNoOperation},
		{"empty", ``, "", "", ErrNoOperation},
		{"type definitions", `type Query { a: Int }`, "", "", ErrNotExecutable},
		{"unbalanced open", `query { a `, "", "", ErrSyntax},
		{"unbalanced close", `query { a } }`, "", "", ErrSyntax},
		{"unterminated string", `query { a(s: "x) }`, "", "", ErrSyntax},
		{"unterminated block string", `query { a(s: """x) }`, "", "", ErrSyntax},
		{"definition without selection", `query Q`, "", "", ErrSyntax},
		{"stray name", `query Q R { a }`, "", "", ErrSyntax},
		{"stray variable", `query Q $x { a }`, "", "", ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Operation(tt.doc, tt.op)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Operation() error = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Operation() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// FuzzOperation: tenant documents never panic the scanner, and a valid
// document keeps its operation type behind a comment and whitespace.
func FuzzOperation(f *testing.F) {
	for _, s := range []string{`{ a }`, `query Q($a: [Int] = [1]) @d { a { ...F } } fragment F on T { b }`,
		`mutation M { m(s: """x\"""y""") }`, `query { a(s: "\"") }`, "\ufeff{a}", `}{`, `query (`, `"""`} {
		f.Add(s, "")
		f.Add(s, "Q")
	}
	f.Fuzz(func(t *testing.T, doc, name string) {
		typ, err := Operation(doc, name)
		if err != nil {
			return
		}
		switch typ {
		case Query, Mutation, Subscription:
		default:
			t.Fatalf("Operation(%q) = %q", doc, typ)
		}
		again, err := Operation("# c\n \t"+doc+"\n", name)
		if err != nil || again != typ {
			t.Fatalf("with a comment: %q, %v; want %q", again, err, typ)
		}
	})
}
