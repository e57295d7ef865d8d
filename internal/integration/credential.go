package integration

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
)

// TypeCredentialUnavailable: the integration's auth names a secret the
// gateway cannot read (deleted, store unreachable, no secrets store) or
// cannot send; the call is not made without it.
const TypeCredentialUnavailable = "upstream-credential-unavailable"

// SecretSource resolves a tenant secret at call time; secrets.Cache
// implements it (a hit reads nothing from the store).
type SecretSource interface {
	Get(ctx context.Context, tenant, name string) (string, error)
}

// Auth is a compiled integration auth block (model.IntegrationAuth).
type Auth struct {
	Type     string // model.AuthBearer, AuthBasic or AuthHeader
	Secret   string
	Header   string // canonical; "Authorization" for bearer and basic
	Username string
}

func compileAuth(a *model.IntegrationAuth) *Auth {
	if a == nil {
		return nil
	}
	h := "Authorization"
	if a.Type == model.AuthHeader {
		h = http.CanonicalHeaderKey(a.Header)
	}
	return &Auth{Type: a.Type, Secret: a.Secret, Header: h, Username: a.Username}
}

// credential returns the header value p's auth sends, read from the
// secrets source; a problem (503, fail closed) when it cannot be had. No
// error or problem carries the value.
func (e *Engine) credential(ctx context.Context, p *Plan) (value, secret string, _ *problem.Problem) {
	a := p.Auth
	if e.cfg.Secrets == nil {
		return "", "", credentialUnavailable(errors.New("no secrets source is configured"))
	}
	secret, err := e.cfg.Secrets.Get(ctx, p.Tenant, a.Secret)
	if err != nil {
		return "", "", credentialUnavailable(fmt.Errorf("secret %q of integration %q: %w", a.Secret, p.Integration, err))
	}
	if strings.ContainsAny(secret, "\r\n\x00") {
		return "", "", credentialUnavailable(fmt.Errorf("secret %q of integration %q has CR, LF or NUL, which a header cannot carry", a.Secret, p.Integration))
	}
	switch a.Type {
	case model.AuthBearer:
		value = "Bearer " + secret
	case model.AuthBasic:
		value = "Basic " + base64.StdEncoding.EncodeToString([]byte(a.Username+":"+secret))
	default:
		value = secret
	}
	return value, secret, nil
}

func credentialUnavailable(cause error) *problem.Problem {
	return problem.New(http.StatusServiceUnavailable, TypeCredentialUnavailable, "Service Unavailable",
		"the upstream's credential is not available").WithCause(cause)
}

// withHeader returns a copy of set with k set to v (set is shared with
// the compiled snapshot and other requests, so it is never written).
func withHeader(set map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(set)+1)
	for sk, sv := range set {
		if !strings.EqualFold(sk, k) {
			out[sk] = sv
		}
	}
	out[k] = v
	return out
}

// without returns a copy of set without k.
func without(set map[string]string, k string) map[string]string {
	out := make(map[string]string, len(set))
	for sk, sv := range set {
		if !strings.EqualFold(sk, k) {
			out[sk] = sv
		}
	}
	return out
}

type credentialsKey struct{}

// Redact replaces, in s, the credential values the call carried by r
// made (Call hands them to use on its request), with "[redacted]". The
// test-connection action runs upstream answers through it, so an upstream
// that echoes request headers cannot show the secret to the console.
func Redact(r *http.Request, s string) string {
	vals, _ := r.Context().Value(credentialsKey{}).([]string)
	for _, v := range vals {
		if v != "" {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}
