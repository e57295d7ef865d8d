package reqtmpl

import (
	"errors"
	"testing"
)

func TestURL(t *testing.T) {
	tests := []struct {
		name, raw, want string
		err             error
	}{
		{"static", "https://api.example.com/v1/items?x=1", "https://api.example.com/v1/items?x=1", nil},
		{"path and query", "https://api.example.com/items/{path.id}?q={query.q}&t={header.X-Tenant}", "https://api.example.com/items/a%2Fb?q=x+y%26z%3D1&t=acme", nil},
		{"host templated", "https://{header.X-Tenant}.example.com/", "", ErrSyntax},
		{"port templated", "https://example.com:{query.p}/", "", ErrSyntax},
		{"fragment templated", "https://example.com/#{query.p}", "", ErrSyntax},
		{"bad placeholder", "https://example.com/{id}", "", ErrSyntax},
		{"not absolute", "/items/{path.id}", "", ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseURL(tt.raw)
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseURL err = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			got, err := u.Expand(req)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("Expand = %q, want %q", got.String(), tt.want)
			}
		})
	}
	if !Uses("/a/{query.x}") || Uses("/a/{id}") {
		t.Error("Uses")
	}
}
