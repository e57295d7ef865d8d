package model

import "net/url"

// Introspection names a trusted issuer's RFC 7662 token introspection
// endpoint and the client credentials the gateway authenticates with.
//
// ClientSecret is write-only: accepted on create and update, then kept
// apart from the issuer document (the catalog's JWT secret item), so it
// never appears in reads, listings or the audit trail. An update without
// it keeps the stored one. Portico has no tenant secrets store yet, so the
// secret is stored in the tenant's partition in clear, like webhook
// signing secrets; it must stay usable, so it cannot be hashed.
type Introspection struct {
	// URL is the https introspection endpoint.
	URL string `json:"url"`
	// ClientID and ClientSecret authenticate the gateway (HTTP Basic).
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret,omitempty"`
	// CacheSeconds bounds how long an answer is cached (never past the
	// token's exp); default 60, at most 3600.
	CacheSeconds int `json:"cacheSeconds,omitempty"`
	// HasSecret is set on reads when a client secret is stored.
	HasSecret bool `json:"hasSecret,omitempty"`
}

func validateIntrospection(e *Errors, in *Introspection) {
	if u, err := url.Parse(in.URL); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" || len(in.URL) > 2048 {
		e.Add("/introspection/url", "must be an absolute https URL")
	}
	if in.ClientID == "" || len(in.ClientID) > 256 {
		e.Add("/introspection/clientId", "is required (at most 256 characters)")
	}
	if len(in.ClientSecret) > 1024 {
		e.Add("/introspection/clientSecret", "must be at most 1024 characters")
	}
	if in.CacheSeconds < 0 || in.CacheSeconds > 3600 {
		e.Add("/introspection/cacheSeconds", "must be between 0 and 3600")
	}
}
