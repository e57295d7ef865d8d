package catalog

import (
	"context"
	"errors"
	"fmt"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// pfxJWTSecret keys an issuer's introspection client secret, kept apart
// from the issuer document so that it never reaches reads, listings or the
// audit trail (model.Introspection explains why it is not hashed).
const pfxJWTSecret = "JWTSEC#"

type jwtSecret struct {
	Secret string `json:"secret"`
}

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
	data, err := marshal(&jwtSecret{Secret: secret})
	if err != nil {
		return err
	}
	if err := c.st.Put(ctx, store.Item{PK: TenantPK(tenant), SK: pfxJWTSecret + slug, Version: 1, Data: data}, store.Cond{}); err != nil {
		return fmt.Errorf("store introspection secret of jwt issuer %q: %w", slug, err)
	}
	return nil
}

// JWTIntrospectionSecret returns the introspection client secret of a
// trusted issuer (for the gateway); ErrNotFound when none is stored.
func (c *Catalog) JWTIntrospectionSecret(ctx context.Context, tenant, slug string) (string, error) {
	s, err := getItem[jwtSecret](ctx, c.st, tenant, pfxJWTSecret+slug)
	if err != nil {
		return "", err
	}
	return s.Secret, nil
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
	err := c.st.Delete(ctx, store.Key{PK: TenantPK(tenant), SK: pfxJWTSecret + slug}, store.Cond{})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete introspection secret of jwt issuer %q: %w", slug, err)
	}
	return nil
}
