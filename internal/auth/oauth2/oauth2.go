// Package oauth2 is Portico as an OAuth2 authorization server for the
// client-credentials grant (RFC 6749 section 4.4), per tenant:
// POST /t/{tenant}/oauth2/token issues short-lived ES256 JWT access tokens
// (RFC 9068 shape) and GET /t/{tenant}/.well-known/jwks.json publishes the
// verification keys. Client secrets are 256-bit random strings stored only
// as SHA-256 hashes and compared in constant time; an unknown client costs
// the same hash and comparison as a wrong secret.
//
// Verifier returns the gateway authenticator for endpoints with an oauth2
// policy: a jwtauth.Verifier pinned to this server's issuer, audience and
// keys for the request's tenant.
//
// The signing key comes from a KeySource: a fixed key locally, or SeedKeys,
// which derives it (DeriveKey) from a rotated seed so every instance signs
// with the same key and verifies with the current and previous ones.
package oauth2

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portico/portico/internal/auth/jwtauth"
	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
)

// Paths of the per-tenant endpoints, below /t/{tenant} (or the tenant host).
const (
	TokenPath = "/oauth2/token"
	JWKSPath  = "/.well-known/jwks.json"
)

// SecretPrefix starts every client secret.
const SecretPrefix = "pcs_"

// ErrUnknownClient is what a ClientLookup returns for a client that does
// not exist.
var ErrUnknownClient = errors.New("oauth2: unknown client")

// ClientLookup returns a tenant's client and the hex SHA-256 of its secret.
type ClientLookup func(ctx context.Context, tenant, clientID string) (*model.OAuthClient, string, error)

// Config configures a Server. Clients and one of Key or Keys are required.
type Config struct {
	Clients ClientLookup
	// Key signs access tokens (ES256): a fixed key (local mode).
	Key *ecdsa.PrivateKey
	// Keys supplies keys that change (rotation); it takes precedence over
	// Key.
	Keys KeySource
	// TTL of access tokens; default 10 minutes.
	TTL time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Server serves the token and JWKS endpoints. Safe for concurrent use.
type Server struct {
	cfg  Config
	ring atomic.Pointer[keyring]
	// dummy is compared against when a client does not exist, so unknown
	// clients and wrong secrets cost the same.
	dummy [sha256.Size]byte
}

// New validates cfg and fills defaults.
func New(cfg Config) (*Server, error) {
	if cfg.Clients == nil || (cfg.Key == nil && cfg.Keys == nil) {
		return nil, errors.New("oauth2: Clients and Key or Keys are required")
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Keys == nil {
		cfg.Keys = fixedKeys{Current: cfg.Key}
	}
	s := &Server{cfg: cfg}
	if cfg.Key != nil {
		if _, err := s.keys(context.Background(), false); err != nil {
			return nil, err
		}
	}
	_, _ = rand.Read(s.dummy[:])
	return s, nil
}

// Issuer is the "iss" of a tenant's access tokens.
func Issuer(tenant string) string { return "portico:t:" + tenant }

// Audience is the "aud" of a tenant's access tokens.
func Audience(tenant string) string { return "portico:t:" + tenant + ":api" }

// GenerateSecret returns a new client secret and the hex SHA-256 to store.
func GenerateSecret() (secret, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	secret = SecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashSecret(secret)
}

// HashSecret is the stored form of a secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Match reports whether path (below the tenant) is one of the server's.
func (s *Server) Match(path string) bool { return path == TokenPath || path == JWKSPath }

// ServeTenant serves the token endpoint or the JWKS for tenant.
func (s *Server) ServeTenant(w http.ResponseWriter, r *http.Request, tenant, path string) {
	switch path {
	case JWKSPath:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			tokenError(w, http.StatusMethodNotAllowed, "invalid_request", "use GET")
			return
		}
		ring, err := s.keys(r.Context(), false)
		if err != nil {
			w.Header().Set("Retry-After", "1")
			tokenError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "retry")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(ring.jwks)
	case TokenPath:
		s.token(w, r, tenant)
	default:
		http.NotFound(w, r)
	}
}

// tokenError answers per RFC 6749 section 5.2.
func tokenError(w http.ResponseWriter, status int, code, desc string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

const maxTokenRequest = 4 << 10

func (s *Server) token(w http.ResponseWriter, r *http.Request, tenant string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		tokenError(w, http.StatusMethodNotAllowed, "invalid_request", "use POST")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		tokenError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	if len(r.URL.RawQuery) > 0 {
		tokenError(w, http.StatusBadRequest, "invalid_request", "parameters go in the body, not the query string")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenRequest)
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "the body is not a valid form")
		return
	}
	form := r.PostForm
	for k, vs := range form {
		if len(vs) > 1 {
			tokenError(w, http.StatusBadRequest, "invalid_request", "parameter "+k+" is repeated")
			return
		}
	}
	id, secret, basic, ok := clientCredentials(r, form)
	if !ok {
		tokenError(w, http.StatusBadRequest, "invalid_request", "authenticate the client once: HTTP Basic or client_id and client_secret")
		return
	}
	if gt := form.Get("grant_type"); gt != "client_credentials" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported")
		return
	}
	client, err := s.authenticate(r.Context(), tenant, id, secret)
	if errors.Is(err, ErrUnknownClient) {
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="`+tenant+`"`)
		}
		tokenError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if err != nil {
		w.Header().Set("Retry-After", "1")
		tokenError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "retry")
		return
	}
	scopes := client.Scopes
	if req := form.Get("scope"); req != "" {
		scopes = strings.Fields(req)
		for _, sc := range scopes {
			if !slices.Contains(client.Scopes, sc) {
				tokenError(w, http.StatusBadRequest, "invalid_scope", "scope "+strconv.Quote(sc)+" is not granted to this client")
				return
			}
		}
	}
	ring, err := s.keys(r.Context(), false)
	if err != nil {
		w.Header().Set("Retry-After", "1")
		tokenError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "retry")
		return
	}
	tok, err := s.issue(ring.signer, tenant, client, scopes, s.cfg.Now())
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error", "the token could not be issued")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": tok, "token_type": "Bearer", "expires_in": int(s.cfg.TTL / time.Second), "scope": strings.Join(scopes, " "),
	})
}

// clientCredentials reads client_secret_basic or client_secret_post; using
// both (or neither) is not ok.
func clientCredentials(r *http.Request, form url.Values) (id, secret string, basic, ok bool) {
	_, inForm := form["client_secret"]
	if vs := r.Header["Authorization"]; len(vs) > 0 {
		if len(vs) > 1 || inForm {
			return "", "", false, false
		}
		u, p, ok := r.BasicAuth()
		if !ok {
			return "", "", false, false
		}
		// RFC 6749 section 2.3.1: both are form-urlencoded before Basic.
		uid, err1 := url.QueryUnescape(u)
		sec, err2 := url.QueryUnescape(p)
		if err1 != nil || err2 != nil || uid == "" {
			return "", "", false, false
		}
		return uid, sec, true, true
	}
	id, secret = form.Get("client_id"), form.Get("client_secret")
	return id, secret, false, id != "" && inForm
}

// authenticate checks a client's secret with the same work whether or not
// the client exists or is active.
func (s *Server) authenticate(ctx context.Context, tenant, id, secret string) (*model.OAuthClient, error) {
	got := sha256.Sum256([]byte(secret))
	want := s.dummy
	client, hash, err := s.cfg.Clients(ctx, tenant, id)
	switch {
	case errors.Is(err, ErrUnknownClient):
		client = nil
	case err != nil:
		return nil, err
	default:
		if b, err := hex.DecodeString(hash); err == nil && len(b) == len(want) {
			copy(want[:], b)
		} else {
			client = nil
		}
	}
	match := subtle.ConstantTimeCompare(got[:], want[:]) == 1
	if client == nil || !match || client.Status != model.KeyActive {
		return nil, ErrUnknownClient
	}
	return client, nil
}

type accessClaims struct {
	jwt.Claims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope,omitempty"`
	Tenant   string `json:"tenant"`
	Consumer string `json:"consumer,omitempty"`
}

func (s *Server) issue(signer jose.Signer, tenant string, c *model.OAuthClient, scopes []string, now time.Time) (string, error) {
	var jti [16]byte
	_, _ = rand.Read(jti[:])
	cl := accessClaims{
		Claims: jwt.Claims{
			Issuer: Issuer(tenant), Audience: jwt.Audience{Audience(tenant)}, Subject: c.ID,
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(s.cfg.TTL)),
			ID: hex.EncodeToString(jti[:]),
		},
		ClientID: c.ID, Scope: strings.Join(scopes, " "), Tenant: tenant, Consumer: c.Consumer,
	}
	return jwt.Signed(signer).Claims(cl).Serialize()
}

// Verifier returns the authenticator for endpoints with an oauth2 policy:
// tokens of this server, for the request's tenant only, signed with the
// current or the previous key.
func (s *Server) Verifier() (*jwtauth.Verifier, error) {
	keys := verifyKeys{s}
	return jwtauth.New(jwtauth.Config{
		Issuers: func(_ context.Context, tenant string) ([]model.JWTIssuer, error) {
			return []model.JWTIssuer{{Slug: "portico", Issuer: Issuer(tenant), Audiences: []string{Audience(tenant)},
				Algorithms: []string{"ES256"}, ConsumerClaim: "consumer", LeewaySeconds: 5}}, nil
		},
		KeysFor:   func(string, *model.JWTIssuer) (identity.KeySource, error) { return keys, nil },
		IssuerTTL: time.Hour,
		Kind:      caller.OAuth2,
		Now:       s.cfg.Now,
	})
}
