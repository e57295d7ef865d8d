package catalog

import (
	"context"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
)

// checkJWTIssuer validates an issuer document and its key source. A JWKS
// URL, when well formed, goes through the configured URL check (the SSRF
// guard): the gateway fetches it, so a tenant must not point it at the
// metadata service or the gateway's own network. Static keys are checked
// against the issuer's algorithm allowlist (identity.ParseStaticJWKS). All
// problems are reported at once.
func (c *Catalog) checkJWTIssuer(ctx context.Context, v *model.JWTIssuer) error {
	errs := model.ValidateJWTIssuer(v)
	if c.checkURL != nil && v.JWKSURL != "" && !hasPointer(errs, "/jwksUrl") {
		if err := c.checkURL(ctx, v.JWKSURL); err != nil {
			errs.Add("/jwksUrl", "is not an allowed JWKS URL: %s", err.Error())
		}
	}
	if in := v.Introspection; in != nil && c.checkURL != nil && !hasPointer(errs, "/introspection/url") {
		if err := c.checkURL(ctx, in.URL); err != nil {
			errs.Add("/introspection/url", "is not an allowed introspection URL: %s", err.Error())
		}
	}
	if len(v.Keys) > 0 && v.JWKSURL == "" && !hasPointerPrefix(errs, "/algorithms") {
		names := v.Algorithms
		if len(names) == 0 {
			names = model.DefaultJWTAlgorithms
		}
		algs := make([]jose.SignatureAlgorithm, len(names))
		for i, n := range names {
			algs[i] = jose.SignatureAlgorithm(n)
		}
		_, probs := identity.ParseStaticJWKS(v.Keys, algs)
		for _, p := range probs {
			errs.Add("/keys"+p.Pointer, "%s", p.Detail)
		}
	}
	if p := errs.Problem(); p != nil {
		return p
	}
	return nil
}

func hasPointerPrefix(errs model.Errors, prefix string) bool {
	for _, e := range errs {
		if strings.HasPrefix(e.Pointer, prefix) {
			return true
		}
	}
	return false
}
