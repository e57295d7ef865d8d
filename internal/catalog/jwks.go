package catalog

import (
	"context"

	"github.com/portico/portico/internal/model"
)

// checkJWTIssuer validates an issuer document and, when its JWKS URL is
// well formed, runs the configured URL check (the SSRF guard) on it: the
// gateway fetches that URL, so a tenant must not point it at the metadata
// service or the gateway's own network. All problems are reported at once.
func (c *Catalog) checkJWTIssuer(ctx context.Context, v *model.JWTIssuer) error {
	errs := model.ValidateJWTIssuer(v)
	if c.checkURL != nil && v.JWKSURL != "" && !hasPointer(errs, "/jwksUrl") {
		if err := c.checkURL(ctx, v.JWKSURL); err != nil {
			errs.Add("/jwksUrl", "is not an allowed JWKS URL: %s", err.Error())
		}
	}
	if p := errs.Problem(); p != nil {
		return p
	}
	return nil
}
