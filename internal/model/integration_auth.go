package model

import (
	"net/http"
	"regexp"
	"strings"
)

// Integration auth types: how the gateway presents a tenant secret to an
// upstream (docs/secrets.md). Query-string credentials are not offered:
// URLs end up in logs, error causes and the upstream's own access logs.
const (
	AuthBearer = "bearer" // Authorization: Bearer <secret>
	AuthBasic  = "basic"  // Authorization: Basic base64(username ":" secret)
	AuthHeader = "header" // <header>: <secret>
)

// IntegrationAuth authenticates an integration's upstream calls with a
// secret from the tenant's secrets store, resolved at call time. The
// document names the secret; it never holds its value.
type IntegrationAuth struct {
	Type string `json:"type"`
	// Secret names a tenant secret (PUT /admin/v1/secrets/{name}); it must
	// exist when the integration is saved.
	Secret string `json:"secret"`
	// Header is the header the secret goes in (type header), e.g.
	// X-Api-Key.
	Header string `json:"header,omitempty"`
	// Username is the user of type basic; the secret is the password.
	Username string `json:"username,omitempty"`
}

// secretNameRE is what tenants may name a secret: a letter or digit, then
// up to 63 letters, digits, '-' and '_' (valid in Secrets Manager names
// and store keys alike).
var secretNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// ValidSecretName reports whether tenants may use name for a secret.
func ValidSecretName(name string) bool { return secretNameRE.MatchString(name) }

// IsCredentialHeader reports whether k is Authorization, which may not
// carry a literal value in an integration's headers: a literal credential
// would be stored in the configuration (reads, audit entries, exports); it
// must come from the auth block. A templated value (forwarding a header of
// the caller's request) is allowed. Other headers cannot be told from
// credentials by name (X-Api-Key, a vendor's own); docs/secrets.md asks
// for auth type header for them.
func IsCredentialHeader(k string) bool { return http.CanonicalHeaderKey(k) == "Authorization" }

func validateIntegrationAuth(e *Errors, in *Integration) {
	a := in.Auth
	if a == nil {
		return
	}
	switch a.Type {
	case AuthBearer, AuthBasic, AuthHeader:
	case "":
		e.Add("/auth/type", "is required (bearer, basic or header)")
	default:
		e.Add("/auth/type", "must be bearer, basic or header")
	}
	if !ValidSecretName(a.Secret) {
		e.Add("/auth/secret", "must name a secret: 1-64 letters, digits, '-' or '_', starting with a letter or digit")
	}
	switch {
	case a.Type == AuthHeader && a.Header == "":
		e.Add("/auth/header", "is required for type header")
	case a.Type == AuthHeader && !headerNameRE.MatchString(a.Header):
		e.Add("/auth/header", "is not a valid header name")
	case a.Type == AuthHeader && isHopByHop(a.Header):
		e.Add("/auth/header", "is a hop-by-hop header and cannot be set")
	case a.Type != AuthHeader && a.Header != "":
		e.Add("/auth/header", "is only for type header")
	}
	switch {
	case a.Type == AuthBasic && a.Username == "":
		e.Add("/auth/username", "is required for type basic")
	case a.Type == AuthBasic && (len(a.Username) > 256 || strings.ContainsAny(a.Username, ":\r\n\x00")):
		e.Add("/auth/username", "must be at most 256 characters without ':', CR, LF or NUL")
	case a.Type != AuthBasic && a.Username != "":
		e.Add("/auth/username", "is only for type basic")
	}
	// The auth header must not also be set from headers, where the two
	// would race.
	target := "Authorization"
	if a.Type == AuthHeader {
		target = a.Header
	}
	for k := range in.Headers {
		if strings.EqualFold(k, target) {
			e.Add("/headers/"+escapePointer(k), "is set by auth; remove it from headers")
		}
	}
}
