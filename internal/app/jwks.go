package app

import (
	"net/http"
	"time"

	"github.com/portico/portico/internal/proxy"
)

// jwksClient fetches tenants' JWKS documents (and, later, calls their
// token introspection endpoints) behind the upstream SSRF guard: every
// dialled address, redirects included, is checked after DNS resolution, and
// proxies are ignored so that the guard judges the IdP's address, not the
// proxy's. Save time checks the URL too (catalog.checkJWTIssuer); the dial
// check is what stops DNS rebinding.
func jwksClient(e Env) *http.Client {
	guard := upstreamGuard(e)
	t := proxy.NewTransportWith(proxy.TransportConfig{Control: guard.Control, NoProxy: true, ConnectTimeout: 3 * time.Second})
	t.DisableCompression = false
	return &http.Client{Timeout: 5 * time.Second, Transport: t}
}
