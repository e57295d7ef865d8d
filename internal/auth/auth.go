// Package auth holds what the gateway's authentication and authorization
// stages share: the errors every credential verifier returns, and the
// authorization decision (scopes and roles of an endpoint against the
// verified caller). Verifiers live in subpackages: apikey (Portico-issued
// API keys), jwtauth (tokens from a tenant's own identity provider, and
// Portico's OAuth2 access tokens).
package auth

import (
	"errors"
	"slices"

	"github.com/portico/portico/internal/caller"
)

// Errors of credential verification. The gateway maps them to statuses in
// one place (401, 400); any other error means the verifier could not decide
// (a key store or JWKS outage) and is a 503.
var (
	// ErrNoCredential means the request carries no credential of the
	// endpoint's kind: 401 with a bare challenge.
	ErrNoCredential = errors.New("auth: no credential")
	// ErrInvalidCredential means the credential is unknown, malformed,
	// expired, revoked or another tenant's: 401 with error="invalid_token".
	// Every such case gives the same answer.
	ErrInvalidCredential = errors.New("auth: invalid credential")
	// ErrAmbiguous means the request carries more than one credential (two
	// Authorization headers, a key in two places): 400 with
	// error="invalid_request" (RFC 6750 section 3.1).
	ErrAmbiguous = errors.New("auth: more than one credential")
)

// Requirement is what an endpoint demands of a verified caller.
type Requirement struct {
	// Scopes: the caller must hold every one.
	Scopes []string
	// Roles: the caller must hold at least one, when any are listed.
	Roles []string
}

// Allows reports whether c meets the requirement.
func (q Requirement) Allows(c *caller.Caller) bool {
	for _, s := range q.Scopes {
		if !slices.Contains(c.Scopes, s) {
			return false
		}
	}
	if len(q.Roles) == 0 {
		return true
	}
	for _, r := range q.Roles {
		if slices.Contains(c.Roles, r) {
			return true
		}
	}
	return false
}
