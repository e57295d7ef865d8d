package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/auth/apikey"
	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
)

// Authenticator verifies one kind of credential carried by a request's
// headers for a tenant: *apikey.Verifier, *jwtauth.Verifier. Errors are
// auth.ErrNoCredential, auth.ErrInvalidCredential and auth.ErrAmbiguous;
// anything else means it could not decide (503). The returned Caller may
// be shared between requests and must not be modified.
type Authenticator interface {
	Authenticate(ctx context.Context, tenant string, h http.Header) (*caller.Caller, error)
}

// authenticate runs the authentication and authorization stages of an
// endpoint with an auth policy. On success it returns r carrying the
// verified *caller.Caller; otherwise the problem to answer with, which
// never says more than "missing", "invalid" or "not allowed".
func (g *Gateway) authenticate(r *http.Request, tenant string, pol *model.AuthPolicy) (*http.Request, *problem.Problem) {
	if pol.Type == model.AuthWebhook {
		return g.verifyWebhook(r, tenant, pol) // webhookauth.go
	}
	a := g.cfg.Authenticators[pol.Type]
	if a == nil {
		return nil, problem.New(http.StatusServiceUnavailable, "policy-unavailable", "Service Unavailable",
			"this endpoint requires "+string(pol.Type)+" authentication, which this gateway is not configured for; it fails closed")
	}
	ft := g.cfg.Failures
	ip, p := g.blocked(r, tenant)
	if p != nil {
		return nil, p
	}
	c, err := a.Authenticate(r.Context(), tenant, r.Header)
	if err == nil && c.Tenant != tenant {
		// Verifiers bind credentials to tenants; this is a second lock.
		err = auth.ErrInvalidCredential
	}
	if err != nil {
		p := authProblem(pol.Type, tenant, err)
		if ft != nil && p.Status < 500 {
			ft.Failed(tenant, ip, credentialPrefix(r.Header), "", g.cfg.Now())
		}
		return nil, p
	}
	if !(auth.Requirement{Scopes: pol.Scopes, Roles: pol.Roles}).Allows(c) {
		if ft != nil {
			// Counted against the consumer only: its own doing, never a
			// reason to block its address.
			ft.Failed(tenant, "", "", c.ID(), g.cfg.Now())
		}
		p := problem.New(http.StatusForbidden, "insufficient-scope", "Forbidden", "the credential is valid but lacks the scope or role this endpoint requires")
		ch := challenge(pol.Type, tenant, "insufficient_scope")
		if len(pol.Scopes) > 0 {
			ch += `, scope="` + strings.Join(pol.Scopes, " ") + `"`
		}
		p.Headers = http.Header{"Www-Authenticate": {ch}}
		return nil, p
	}
	return r.WithContext(caller.With(r.Context(), c)), nil
}

// blocked returns the source address of r (when failures are tracked)
// and the 429 to answer when that address is blocked for tenant.
func (g *Gateway) blocked(r *http.Request, tenant string) (string, *problem.Problem) {
	ft := g.cfg.Failures
	if ft == nil {
		return "", nil
	}
	ip := stripPort(r.RemoteAddr)
	if wait, blocked := ft.Blocked(tenant, ip, g.cfg.Now()); blocked {
		p := problem.New(http.StatusTooManyRequests, "too-many-failures", "Too Many Requests", "too many failed authentications from this address; retry later")
		p.Headers = http.Header{"Retry-After": {itoa(int64((wait + time.Second - 1) / time.Second))}}
		return ip, p
	}
	return ip, nil
}

// authProblem maps verifier errors to answers (RFC 6750 section 3).
func authProblem(t model.AuthType, tenant string, err error) *problem.Problem {
	var p *problem.Problem
	switch {
	case errors.Is(err, auth.ErrNoCredential):
		p = problem.New(http.StatusUnauthorized, "unauthorized", "Unauthorized", "this endpoint requires a credential")
		p.Headers = http.Header{"Www-Authenticate": {challenge(t, tenant, "")}}
	case errors.Is(err, auth.ErrInvalidCredential):
		p = problem.New(http.StatusUnauthorized, "unauthorized", "Unauthorized", "the credential is invalid, expired or revoked")
		p.Headers = http.Header{"Www-Authenticate": {challenge(t, tenant, "invalid_token")}}
	case errors.Is(err, auth.ErrAmbiguous):
		p = problem.New(http.StatusBadRequest, "invalid-request", "Bad Request", "send exactly one credential, in one header")
		p.Headers = http.Header{"Www-Authenticate": {challenge(t, tenant, "invalid_request")}}
	default:
		p = problem.New(http.StatusServiceUnavailable, "auth-unavailable", "Service Unavailable", "the credential cannot be verified right now; retry").WithCause(err)
		p.Headers = http.Header{"Retry-After": {"1"}}
	}
	return p
}

// challenge renders a WWW-Authenticate value: the Bearer scheme for tokens,
// ApiKey for API keys. Tenant ids are DNS labels, safe inside quotes.
func challenge(t model.AuthType, tenant, code string) string {
	scheme := "Bearer"
	if t == model.AuthAPIKey {
		scheme = "ApiKey"
	}
	s := scheme + ` realm="` + tenant + `"`
	if code != "" {
		s += `, error="` + code + `"`
	}
	return s
}

// TenantEndpoints serves Portico's own endpoints below a tenant, such as
// the OAuth2 token endpoint and its JWKS (*oauth2.Server). They answer only
// paths no route of the tenant matched.
type TenantEndpoints interface {
	Match(path string) bool
	ServeTenant(w http.ResponseWriter, r *http.Request, tenant, path string)
}

// tenantEndpoint serves r with the configured TenantEndpoints when the
// tenant exists and its path is one of theirs.
func (g *Gateway) tenantEndpoint(w http.ResponseWriter, r *http.Request, res *resolution) bool {
	te := g.cfg.TenantEndpoints
	if te == nil || res.snap == nil || !res.snap.exists || !te.Match(res.path) {
		return false
	}
	te.ServeTenant(w, r, res.tenant, res.path)
	return true
}

// FailureTracker counts failed authentications and blocks abusive source
// addresses (*detect.Detector).
type FailureTracker interface {
	Blocked(tenant, ip string, now time.Time) (time.Duration, bool)
	Failed(tenant, ip, prefix, consumer string, now time.Time)
}

// credentialPrefix is the public prefix of a presented API key, for
// counting failures by credential; "" for anything else.
func credentialPrefix(h http.Header) string {
	v := ""
	if vs := h[apikey.Header]; len(vs) > 0 {
		v = vs[0]
	} else if vs := h["Authorization"]; len(vs) > 0 {
		if scheme, rest, ok := strings.Cut(vs[0], " "); ok && strings.EqualFold(scheme, apikey.AuthScheme) {
			v = strings.TrimSpace(rest)
		}
	}
	if len(v) < apikey.PrefixLen || !strings.HasPrefix(v, apikey.Scheme) || !apikey.WellFormed(v) {
		return ""
	}
	return v[:apikey.PrefixLen]
}
