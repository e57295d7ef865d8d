// Package identity models who is calling the Portico console and proves it.
//
// A Principal (subject, tenant, role) travels in the request context
// (WithPrincipal, PrincipalFrom). Tokens are JWTs: in development a Signer
// issues ES256 "dev-login" tokens with a key persisted in a data directory,
// and a Verifier checks any issuer's tokens against a JWKS (StaticKeys for the
// dev signer, RemoteJWKS for an identity provider such as AWS Cognito).
//
// Verification is deliberately strict: compact serialization only, a size
// cap, an algorithm allowlist tied to the type of the key selected by "kid",
// no keys taken from the token itself (jwk, jku, x5u, x5c), no "crit"
// extensions, and iss, aud, exp, nbf, sub, tenant and role all required.
package identity
