package model

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// KeyStatus is the state of an API key.
type KeyStatus string

// API key states. A revoked key never becomes active again.
const (
	KeyActive  KeyStatus = "active"
	KeyRevoked KeyStatus = "revoked"
)

// APIKey is an API key issued to a consumer. The secret itself is shown once
// at creation and never stored; only its hash is (see internal/auth/apikey).
type APIKey struct {
	// ID identifies the key within its tenant (generated).
	ID       string `json:"id"`
	Consumer string `json:"consumer"`
	Name     string `json:"name,omitempty"`
	// Prefix is the public start of the secret ("ptk_AbCd1234"), shown in
	// listings and logs so that a key can be recognised without its secret.
	Prefix string   `json:"prefix"`
	Scopes []string `json:"scopes,omitempty"`
	// Plan names the rate-limit plan of the key's requests.
	Plan      string     `json:"plan,omitempty"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	Status    KeyStatus  `json:"status"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	Meta
}

// Usable reports whether the key authenticates requests at now.
func (k *APIKey) Usable(now time.Time) bool {
	return k.Status == KeyActive && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt))
}

// ValidateAPIKey checks the caller-supplied fields of a key to issue.
func ValidateAPIKey(k *APIKey, now time.Time) Errors {
	var e Errors
	e.name("/name", k.Name, false)
	stringList(&e, "/scopes", k.Scopes, scopeRE, "must be a scope token (printable ASCII, no spaces, quotes or backslashes)")
	if k.Plan != "" && !ValidSlug(k.Plan) {
		e.Add("/plan", "must be a plan name (lowercase letters, digits and dashes, at most 40)")
	}
	if k.ExpiresAt != nil && !k.ExpiresAt.After(now) {
		e.Add("/expiresAt", "must be in the future")
	}
	return e
}

// JWTIssuer is an identity provider a tenant trusts to sign its callers'
// tokens.
type JWTIssuer struct {
	Slug string `json:"slug"`
	Name string `json:"name,omitempty"`
	// Issuer must equal the token's "iss" exactly.
	Issuer string `json:"issuer"`
	// JWKSURL is the https URL of the provider's key set. Exactly one of
	// JWKSURL and Keys is set.
	JWKSURL string `json:"jwksUrl,omitempty"`
	// Keys is a JWKS document stored with the issuer (public keys only),
	// for providers without a reachable key URL.
	Keys json.RawMessage `json:"keys,omitempty"`
	// Audiences: the token's "aud" must contain one of them.
	Audiences []string `json:"audiences"`
	// Algorithms allowed in the token header; default ["RS256","ES256"].
	Algorithms []string `json:"algorithms,omitempty"`
	// LeewaySeconds tolerated on exp, nbf and iat; default 30, at most 300.
	LeewaySeconds int `json:"leewaySeconds,omitempty"`
	// ScopeClaim and RolesClaim name the claims mapped to the caller's
	// scopes and roles; defaults "scope" (space-separated string, or an
	// array; "scp" is read too) and "roles".
	ScopeClaim string `json:"scopeClaim,omitempty"`
	RolesClaim string `json:"rolesClaim,omitempty"`
	// ConsumerClaim names the claim holding the consumer slug; default none
	// (the consumer is then the token's subject).
	ConsumerClaim string `json:"consumerClaim,omitempty"`
	// Introspection, when set, validates opaque (non-JWT) bearer tokens
	// with the provider's RFC 7662 endpoint (see introspection.go).
	Introspection *Introspection `json:"introspection,omitempty"`
	Meta
}

// DefaultJWTAlgorithms are an issuer's algorithms when it lists none.
var DefaultJWTAlgorithms = []string{"RS256", "ES256"}

// JWTAlgorithms are the signature algorithms an issuer may allow:
// asymmetric only, so a public key can never verify an HMAC.
var JWTAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// ValidateJWTIssuer checks an issuer document.
func ValidateJWTIssuer(j *JWTIssuer) Errors {
	var e Errors
	e.slug("/slug", j.Slug)
	e.name("/name", j.Name, false)
	if j.Issuer == "" || len(j.Issuer) > 512 {
		e.Add("/issuer", "is required (at most 512 characters)")
	}
	switch {
	case j.JWKSURL == "" && len(j.Keys) == 0 && j.Introspection == nil:
		e.Add("/jwksUrl", "is required unless keys holds a JWKS document or introspection is set")
	case j.JWKSURL != "" && len(j.Keys) > 0:
		e.Add("/keys", "must be empty when jwksUrl is set (one key source per issuer)")
	case j.JWKSURL != "":
		if u, err := url.Parse(j.JWKSURL); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" || len(j.JWKSURL) > 2048 {
			e.Add("/jwksUrl", "must be an absolute https URL")
		}
	}
	if len(j.Audiences) == 0 {
		e.Add("/audiences", "must list at least one audience")
	}
	stringList(&e, "/audiences", j.Audiences, scopeRE, "must be an audience (printable ASCII, no spaces)")
	for i, a := range j.Algorithms {
		if !slices.Contains(JWTAlgorithms, a) {
			e.Add("/algorithms/"+strconv.Itoa(i), "must be one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA")
		}
	}
	if j.LeewaySeconds < 0 || j.LeewaySeconds > 300 {
		e.Add("/leewaySeconds", "must be between 0 and 300")
	}
	for _, c := range [...]struct{ ptr, v string }{{"/scopeClaim", j.ScopeClaim}, {"/rolesClaim", j.RolesClaim}, {"/consumerClaim", j.ConsumerClaim}} {
		if c.v != "" && !scopeRE.MatchString(c.v) {
			e.Add(c.ptr, "must be a claim name")
		}
	}
	if j.Introspection != nil {
		validateIntrospection(&e, j.Introspection)
	}
	return e
}

// OAuthClient is an OAuth2 client of the client-credentials grant, issued
// to a consumer. Its secret is shown once; only a hash is stored.
type OAuthClient struct {
	// ID is the client_id (generated).
	ID       string `json:"id"`
	Consumer string `json:"consumer"`
	Name     string `json:"name,omitempty"`
	// Scopes the client may request; a token gets all of them by default.
	Scopes    []string   `json:"scopes,omitempty"`
	Status    KeyStatus  `json:"status"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	Meta
}

// ValidateOAuthClient checks the caller-supplied fields of a client.
func ValidateOAuthClient(c *OAuthClient) Errors {
	var e Errors
	e.name("/name", c.Name, false)
	stringList(&e, "/scopes", c.Scopes, scopeRE, "must be a scope token (printable ASCII, no spaces, quotes or backslashes)")
	return e
}
