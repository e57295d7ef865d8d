package caller

import (
	"context"
	"testing"
)

func TestID(t *testing.T) {
	tests := []struct {
		name string
		c    *Caller
		want string
	}{
		{"nil", nil, "anonymous"},
		{"anonymous", &Caller{Kind: Anonymous}, "anonymous"},
		{"consumer wins", &Caller{Kind: APIKey, Consumer: "mobile", Subject: "k_1"}, "consumer:mobile"},
		{"subject", &Caller{Kind: JWT, Subject: "user-7"}, "jwt:user-7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.ID(); got != tc.want {
				t.Fatalf("ID() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestContext(t *testing.T) {
	if _, ok := From(context.Background()); ok {
		t.Fatal("empty context has a caller")
	}
	c := &Caller{Kind: APIKey, Tenant: "acme", Subject: "k"}
	got, ok := From(With(context.Background(), c))
	if !ok || got != c {
		t.Fatalf("From(With(c)) = %v, %v", got, ok)
	}
}
