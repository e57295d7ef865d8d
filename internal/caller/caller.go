// Package caller says who is calling a tenant's API. The gateway's
// authentication stage puts a verified *Caller in the request context; later
// stages (authorization, rate limiting, caching, transforms, logs) read it.
// It is a leaf package so every stage can import it without cycles.
package caller

import "context"

// Kind is how the caller authenticated.
type Kind string

// Caller kinds.
const (
	Anonymous Kind = "anonymous"
	APIKey    Kind = "apiKey"
	JWT       Kind = "jwt"
	OAuth2    Kind = "oauth2"
	// Webhook is an inbound webhook verified by its signature; Subject
	// names the tenant secret of the endpoint's policy.
	Webhook Kind = "webhook"
)

// Caller is a verified principal. The tenant always comes from the
// credential (or the host), never from a header or body field.
type Caller struct {
	Kind   Kind
	Tenant string
	// Consumer is the tenant's consumer slug the credential belongs to, if any.
	Consumer string
	// Subject identifies the credential holder: API key id, JWT sub, OAuth2 client id.
	Subject string
	Scopes  []string
	Roles   []string
	// Plan names the rate-limit plan attached to the credential, if any.
	Plan string
}

// ID is a stable identifier of the caller within its tenant, for rate-limit
// and cache keys: "<kind>:<consumer or subject>"; "anonymous" for anonymous.
func (c *Caller) ID() string {
	if c == nil || c.Kind == Anonymous || c.Kind == "" {
		return string(Anonymous)
	}
	if c.Consumer != "" {
		return "consumer:" + c.Consumer
	}
	return string(c.Kind) + ":" + c.Subject
}

type ctxKey struct{}

// With returns ctx carrying c.
func With(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// From returns the caller in ctx, if any.
func From(ctx context.Context) (*Caller, bool) {
	c, ok := ctx.Value(ctxKey{}).(*Caller)
	return c, ok && c != nil
}
