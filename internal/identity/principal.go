package identity

import (
	"context"
	"time"
)

// Principal is an authenticated console user acting within one tenant.
type Principal struct {
	Subject   string
	Tenant    string
	Email     string
	Role      Role
	Issuer    string
	ExpiresAt time.Time
}

// principalKey is the context key for a Principal; unexported so only this
// package can set or read it.
type principalKey struct{}

// WithPrincipal returns a copy of ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the Principal stored in ctx by WithPrincipal.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
