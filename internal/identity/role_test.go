package identity

import (
	"context"
	"errors"
	"testing"
)

func TestParseRole(t *testing.T) {
	tests := []struct {
		in   string
		want Role
		err  bool
	}{
		{"owner", RoleOwner, false},
		{"admin", RoleAdmin, false},
		{"developer", RoleDeveloper, false},
		{"viewer", RoleViewer, false},
		{"Owner", "", true},
		{"", "", true},
		{"root", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRole(tt.in)
			if tt.err {
				if !errors.Is(err, ErrUnknownRole) {
					t.Fatalf("ParseRole(%q) error = %v, want ErrUnknownRole", tt.in, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseRole(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestRoleAtLeast(t *testing.T) {
	roles := []Role{RoleViewer, RoleDeveloper, RoleAdmin, RoleOwner}
	for i, r := range roles {
		if r.Rank() != i+1 {
			t.Errorf("%s.Rank() = %d, want %d", r, r.Rank(), i+1)
		}
		for j, min := range roles {
			if got, want := r.AtLeast(min), i >= j; got != want {
				t.Errorf("%s.AtLeast(%s) = %v, want %v", r, min, got, want)
			}
		}
		if Role("root").AtLeast(r) || r.AtLeast("root") {
			t.Errorf("unknown role compared as privileged against %s", r)
		}
	}
	if Role("").Rank() != 0 {
		t.Error(`Role("").Rank() != 0`)
	}
}

func TestPrincipalContext(t *testing.T) {
	if _, ok := PrincipalFrom(context.Background()); ok {
		t.Fatal("PrincipalFrom(empty ctx) ok = true")
	}
	p := Principal{Subject: "s", Tenant: "t", Role: RoleDeveloper}
	got, ok := PrincipalFrom(WithPrincipal(context.Background(), p))
	if !ok || got != p {
		t.Fatalf("PrincipalFrom() = %+v, %v; want %+v", got, ok, p)
	}
}
