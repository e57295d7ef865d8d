package identity

import (
	"errors"
	"fmt"
)

// Role is a console role within one tenant. Roles are totally ordered:
// owner > admin > developer > viewer.
type Role string

// The console roles, most to least privileged.
const (
	RoleOwner     Role = "owner"
	RoleAdmin     Role = "admin"
	RoleDeveloper Role = "developer"
	RoleViewer    Role = "viewer"
)

// ErrUnknownRole is returned by ParseRole for a string that names no role.
var ErrUnknownRole = errors.New("identity: unknown role")

// ParseRole returns the Role named by s. Matching is exact (lower case):
// a token claiming "Owner" is rejected rather than guessed at.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if r.Rank() == 0 {
		return "", fmt.Errorf("parse role %q: %w", s, ErrUnknownRole)
	}
	return r, nil
}

// Rank orders roles: owner 4, admin 3, developer 2, viewer 1, anything else 0.
func (r Role) Rank() int {
	switch r {
	case RoleOwner:
		return 4
	case RoleAdmin:
		return 3
	case RoleDeveloper:
		return 2
	case RoleViewer:
		return 1
	default:
		return 0
	}
}

// AtLeast reports whether r is a known role at least as privileged as min.
// An unknown r is never enough; an unknown min is never satisfied.
func (r Role) AtLeast(min Role) bool {
	return r.Rank() > 0 && min.Rank() > 0 && r.Rank() >= min.Rank()
}
