package jwtauth

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/auth/introspect"
	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/model"
)

// IntrospectionSecret returns the introspection client secret of a
// tenant's issuer.
type IntrospectionSecret func(ctx context.Context, tenant, slug string) (string, error)

// opaque reports whether token is not a compact JWS (three segments), so it
// can only be checked by introspection.
func opaque(token string) bool { return strings.Count(token, ".") != 2 }

// introspect checks an opaque token with the tenant's introspection issuer:
// the first (by slug) with Introspection set. A token is never sent to more
// than one provider. Inactive answers and failed claim checks are
// auth.ErrInvalidCredential; an unreachable endpoint is not (503).
func (v *Verifier) introspect(ctx context.Context, tenant, token string) (*caller.Caller, error) {
	if v.cfg.Introspector == nil || v.cfg.IntrospectionSecret == nil {
		return nil, auth.ErrInvalidCredential
	}
	list, err := v.issuers(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var iss *model.JWTIssuer
	for i := range list {
		if list[i].Introspection != nil && (iss == nil || list[i].Slug < iss.Slug) {
			iss = &list[i]
		}
	}
	if iss == nil {
		return nil, auth.ErrInvalidCredential
	}
	secret, err := v.secret(ctx, tenant, iss)
	if err != nil {
		return nil, fmt.Errorf("jwt issuer %q introspection secret: %w", iss.Slug, err)
	}
	in := iss.Introspection
	ep := introspect.Endpoint{URL: in.URL, ClientID: in.ClientID, ClientSecret: secret, TTL: time.Duration(in.CacheSeconds) * time.Second}
	res, err := v.cfg.Introspector.Introspect(ctx, ep, token)
	if err != nil {
		return nil, fmt.Errorf("jwt issuer %q introspection: %w", iss.Slug, err)
	}
	if !res.Active {
		return nil, fmt.Errorf("%w: token is not active", auth.ErrInvalidCredential)
	}
	leeway := 30 * time.Second
	if iss.LeewaySeconds > 0 {
		leeway = time.Duration(iss.LeewaySeconds) * time.Second
	}
	now := v.cfg.Now()
	switch {
	case res.ExpiresAt > 0 && now.After(time.Unix(res.ExpiresAt, 0).Add(leeway)):
		return nil, fmt.Errorf("%w: token expired", auth.ErrInvalidCredential)
	case res.NotBefore > 0 && now.Add(leeway).Before(time.Unix(res.NotBefore, 0)):
		return nil, fmt.Errorf("%w: token not yet valid", auth.ErrInvalidCredential)
	case res.Issuer != "" && res.Issuer != iss.Issuer:
		return nil, fmt.Errorf("%w: iss", auth.ErrInvalidCredential)
	}
	if auds := res.Audiences(); len(auds) > 0 && !slices.ContainsFunc(auds, func(a string) bool { return slices.Contains(iss.Audiences, a) }) {
		return nil, fmt.Errorf("%w: aud", auth.ErrInvalidCredential)
	}
	sub := res.Subject
	if sub == "" {
		sub = res.Username
	}
	if sub == "" {
		sub = res.ClientID
	}
	if sub == "" {
		return nil, fmt.Errorf("%w: no subject", auth.ErrInvalidCredential)
	}
	return &caller.Caller{Kind: v.cfg.Kind, Tenant: tenant, Subject: sub, Scopes: strings.Fields(res.Scope)}, nil
}

// secret returns the issuer's introspection secret, cached per issuer
// revision so that a request costs no store read.
func (v *Verifier) secret(ctx context.Context, tenant string, iss *model.JWTIssuer) (string, error) {
	id := tenant + "\x00" + iss.Slug + "\x00" + strconv.FormatInt(iss.Revision, 10)
	v.mu.Lock()
	s, ok := v.secrets[id]
	v.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := v.cfg.IntrospectionSecret(ctx, tenant, iss.Slug)
	if err != nil {
		return "", err
	}
	v.mu.Lock()
	v.secrets[id] = s
	v.mu.Unlock()
	return s, nil
}
