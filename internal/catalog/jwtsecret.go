package catalog

import (
	"context"
	"errors"

	"github.com/portico/portico/internal/model"
)

// pfxJWTSecret keyed an issuer's introspection client secret in clear
// before the secrets port; with a secrets store (Config.Secrets) the secret
// lives there (secrets.Internal("jwt-introspection", slug)) and the item is
// only read as a fallback and deleted. Either way it is kept apart from the
// issuer document, so it never reaches reads, listings or the audit trail.
const pfxJWTSecret = "JWTSEC#"

// withoutSecret returns v with its introspection client secret taken out,
// and the secret.
func withoutSecret(v *model.JWTIssuer) (*model.JWTIssuer, string) {
	if v.Introspection == nil {
		return v, ""
	}
	nv, in := *v, *v.Introspection
	secret := in.ClientSecret
	in.ClientSecret = ""
	in.HasSecret = secret != ""
	nv.Introspection = &in
	return &nv, secret
}

// saveJWTSecret stores (or, with "", keeps) the introspection secret of
// issuer slug, after the issuer document itself was committed.
func (c *Catalog) saveJWTSecret(ctx context.Context, tenant, slug, secret string) error {
	if secret == "" {
		return nil
	}
	return c.putInternalSecret(ctx, tenant, secretKindIntrospection, slug, pfxJWTSecret+slug, secret)
}

// JWTIntrospectionSecret returns the introspection client secret of a
// trusted issuer (for the gateway); ErrNotFound when none is stored.
func (c *Catalog) JWTIntrospectionSecret(ctx context.Context, tenant, slug string) (string, error) {
	return c.internalSecret(ctx, tenant, secretKindIntrospection, slug, pfxJWTSecret+slug)
}

// hasJWTSecret reports whether issuer slug has a stored secret.
func (c *Catalog) hasJWTSecret(ctx context.Context, tenant, slug string) (bool, error) {
	_, err := c.JWTIntrospectionSecret(ctx, tenant, slug)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

func (c *Catalog) deleteJWTSecret(ctx context.Context, tenant, slug string) error {
	return c.deleteInternalSecret(ctx, tenant, secretKindIntrospection, slug, pfxJWTSecret+slug)
}
