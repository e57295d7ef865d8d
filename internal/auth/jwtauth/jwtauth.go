// Package jwtauth verifies bearer JWTs issued by a tenant's own identity
// providers (the tenant's trusted issuers).
//
// The signature check is identity.VerifySignature (go-jose v4, compact
// serialization only, bounded size, algorithm allowlist tied to the key type,
// no keys or key URLs from the token, crit refused). Keys come from each
// issuer's JWKS URL through identity.RemoteJWKS: cached, refetched on an
// unknown kid at most once a minute. Claims: exp is required; iss must equal
// the issuer's exactly; aud must contain one of its audiences; exp, nbf and
// iat are checked with the issuer's leeway. Scopes come from "scope" (a
// space-separated string or an array) or "scp", roles from "roles" (names
// configurable per issuer).
package jwtauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/auth/introspect"
	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
)

// Issuers returns a tenant's trusted issuers.
type Issuers func(ctx context.Context, tenant string) ([]model.JWTIssuer, error)

// KeysFor returns the key source of an issuer. The default fetches its
// JWKS URL with Config.Client.
type KeysFor func(tenant string, iss *model.JWTIssuer) (identity.KeySource, error)

// Config configures a Verifier. Issuers is required.
type Config struct {
	Issuers Issuers
	// Client fetches JWKS documents; the gateway passes one behind the
	// SSRF guard (app/jwks.go). Default: a plain client with a timeout.
	Client *http.Client
	// KeysFor overrides how an issuer's keys are obtained (tests, static keys).
	KeysFor KeysFor
	// IssuerTTL bounds how stale a tenant's issuer list may be; default 10s.
	IssuerTTL time.Duration
	// Kind is the caller kind of verified tokens; default caller.JWT.
	Kind caller.Kind
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Introspector and IntrospectionSecret, when both set, check opaque
	// (non-JWT) bearer tokens with the tenant's introspection issuer
	// (introspect.go); without them opaque tokens are invalid.
	Introspector        *introspect.Introspector
	IntrospectionSecret IntrospectionSecret
}

// Verifier authenticates bearer JWTs for tenants. Safe for concurrent use.
type Verifier struct {
	cfg Config

	mu      sync.Mutex
	tenants map[string]*tenantIssuers
	keys    map[string]identity.KeySource // by tenant + "\x00" + JWKS URL
	secrets map[string]string             // introspection secrets by tenant, issuer, revision
}

type tenantIssuers struct {
	loaded time.Time
	list   []model.JWTIssuer
}

// New validates cfg and fills defaults.
func New(cfg Config) (*Verifier, error) {
	if cfg.Issuers == nil {
		return nil, errors.New("jwtauth: Config.Issuers is required")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 5 * time.Second}
	}
	if cfg.IssuerTTL <= 0 {
		cfg.IssuerTTL = 10 * time.Second
	}
	if cfg.Kind == "" {
		cfg.Kind = caller.JWT
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	v := &Verifier{cfg: cfg, tenants: map[string]*tenantIssuers{}, keys: map[string]identity.KeySource{}, secrets: map[string]string{}}
	if v.cfg.KeysFor == nil {
		v.cfg.KeysFor = v.remoteKeys
	}
	return v, nil
}

func (v *Verifier) remoteKeys(_ string, iss *model.JWTIssuer) (identity.KeySource, error) {
	if iss.JWKSURL == "" && len(iss.Keys) > 0 {
		return staticKeys(iss)
	}
	return identity.NewRemoteJWKS(identity.RemoteJWKSConfig{URL: iss.JWKSURL, Client: v.cfg.Client, Now: v.cfg.Now})
}

// BearerToken extracts the token of "Authorization: Bearer <token>". Tokens
// in the query string or a form body are never read. It returns
// ErrNoCredential without one, ErrAmbiguous for repeated Authorization
// headers, ErrInvalidCredential for an empty or oversized token.
func BearerToken(h http.Header) (string, error) {
	vs := h["Authorization"]
	switch {
	case len(vs) == 0:
		return "", auth.ErrNoCredential
	case len(vs) > 1:
		return "", auth.ErrAmbiguous
	}
	scheme, tok, ok := strings.Cut(vs[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", auth.ErrNoCredential
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || len(tok) > identity.MaxTokenSize {
		return "", auth.ErrInvalidCredential
	}
	return tok, nil
}

// Authenticate verifies the bearer token in h for tenant.
func (v *Verifier) Authenticate(ctx context.Context, tenant string, h http.Header) (*caller.Caller, error) {
	tok, err := BearerToken(h)
	if err != nil {
		return nil, err
	}
	return v.Verify(ctx, tenant, tok)
}

// Verify checks token against tenant's trusted issuers.
func (v *Verifier) Verify(ctx context.Context, tenant, token string) (*caller.Caller, error) {
	if len(token) > identity.MaxTokenSize {
		return nil, auth.ErrInvalidCredential
	}
	if opaque(token) {
		return v.introspect(ctx, tenant, token)
	}
	issName, err := unverifiedIssuer(token)
	if err != nil {
		return nil, auth.ErrInvalidCredential
	}
	list, err := v.issuers(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var iss *model.JWTIssuer
	for i := range list {
		if list[i].Issuer == issName {
			iss = &list[i]
			break
		}
	}
	if iss == nil {
		return nil, auth.ErrInvalidCredential
	}
	keys, err := v.keySource(tenant, iss)
	if err != nil {
		return nil, fmt.Errorf("jwt issuer %q keys: %w", iss.Slug, err)
	}
	payload, err := identity.VerifySignature(ctx, token, algorithms(iss), keys)
	switch {
	case errors.Is(err, identity.ErrInvalidToken):
		return nil, fmt.Errorf("%w: %w", auth.ErrInvalidCredential, err)
	case err != nil:
		return nil, err
	}
	return v.claims(tenant, iss, payload)
}

// unverifiedIssuer reads "iss" from the payload segment, only to pick the
// issuer whose keys will verify the token.
func unverifiedIssuer(token string) (string, error) {
	_, rest, ok := strings.Cut(token, ".")
	if !ok {
		return "", errors.New("not a compact JWS")
	}
	seg, _, ok := strings.Cut(rest, ".")
	if !ok {
		return "", errors.New("not a compact JWS")
	}
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return "", err
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if err := json.Unmarshal(raw, &c); err != nil || c.Issuer == "" {
		return "", errors.New("no iss")
	}
	return c.Issuer, nil
}

func algorithms(iss *model.JWTIssuer) []jose.SignatureAlgorithm {
	names := iss.Algorithms
	if len(names) == 0 {
		names = model.DefaultJWTAlgorithms
	}
	out := make([]jose.SignatureAlgorithm, 0, len(names))
	for _, n := range names {
		if a := jose.SignatureAlgorithm(n); identity.AllowedAlgorithm(a) {
			out = append(out, a)
		}
	}
	return out
}

func (v *Verifier) issuers(ctx context.Context, tenant string) ([]model.JWTIssuer, error) {
	now := v.cfg.Now()
	v.mu.Lock()
	ti := v.tenants[tenant]
	v.mu.Unlock()
	if ti != nil && now.Sub(ti.loaded) < v.cfg.IssuerTTL {
		return ti.list, nil
	}
	list, err := v.cfg.Issuers(ctx, tenant)
	if err != nil {
		if ti != nil {
			return ti.list, nil // keep verifying with what we had
		}
		return nil, fmt.Errorf("load jwt issuers of %q: %w", tenant, err)
	}
	v.mu.Lock()
	v.tenants[tenant] = &tenantIssuers{loaded: now, list: list}
	v.mu.Unlock()
	return list, nil
}

func (v *Verifier) keySource(tenant string, iss *model.JWTIssuer) (identity.KeySource, error) {
	id := tenant + "\x00" + iss.JWKSURL
	if iss.JWKSURL == "" {
		// Static keys change with the issuer's revision.
		id = tenant + "\x00static\x00" + iss.Slug + "\x00" + strconv.FormatInt(iss.Revision, 10)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if ks, ok := v.keys[id]; ok {
		return ks, nil
	}
	ks, err := v.cfg.KeysFor(tenant, iss)
	if err != nil {
		return nil, err
	}
	v.keys[id] = ks
	return ks, nil
}

// claims validates the verified payload and maps it to a caller.
func (v *Verifier) claims(tenant string, iss *model.JWTIssuer, payload []byte) (*caller.Caller, error) {
	var std jwt.Claims
	if err := json.Unmarshal(payload, &std); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", auth.ErrInvalidCredential, err)
	}
	if std.Expiry == nil {
		return nil, fmt.Errorf("%w: no exp claim", auth.ErrInvalidCredential)
	}
	if std.Subject == "" {
		return nil, fmt.Errorf("%w: no sub claim", auth.ErrInvalidCredential)
	}
	leeway := 30 * time.Second
	if iss.LeewaySeconds > 0 {
		leeway = time.Duration(iss.LeewaySeconds) * time.Second
	}
	err := std.ValidateWithLeeway(jwt.Expected{
		Issuer:      iss.Issuer,
		AnyAudience: jwt.Audience(iss.Audiences),
		Time:        v.cfg.Now(),
	}, leeway)
	if err != nil {
		return nil, fmt.Errorf("%w: claims: %v", auth.ErrInvalidCredential, err)
	}
	var extra map[string]json.RawMessage
	if err := json.Unmarshal(payload, &extra); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", auth.ErrInvalidCredential, err)
	}
	c := &caller.Caller{Kind: v.cfg.Kind, Tenant: tenant, Subject: std.Subject}
	scopeClaim, rolesClaim := iss.ScopeClaim, iss.RolesClaim
	if scopeClaim == "" {
		c.Scopes = stringsClaim(extra["scope"])
		if c.Scopes == nil {
			c.Scopes = stringsClaim(extra["scp"])
		}
	} else {
		c.Scopes = stringsClaim(extra[scopeClaim])
	}
	if rolesClaim == "" {
		rolesClaim = "roles"
	}
	c.Roles = stringsClaim(extra[rolesClaim])
	if iss.ConsumerClaim != "" {
		var s string
		if json.Unmarshal(extra[iss.ConsumerClaim], &s) == nil && model.ValidSlug(s) {
			c.Consumer = s
		}
	}
	return c, nil
}

// stringsClaim reads a space-separated string or an array of strings.
func stringsClaim(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.Fields(s)
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	return nil
}
