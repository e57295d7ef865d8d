package identity

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// ErrInvalidToken is wrapped by every Verify error caused by the token
// itself (malformed, bad signature, wrong claims): answer 401. A failure to
// obtain keys wraps the KeySource's error instead (e.g. ErrJWKSFetch).
var ErrInvalidToken = errors.New("identity: invalid token")

// MaxTokenSize is the largest token Verify will look at, in bytes.
const MaxTokenSize = 8 << 10

// minRSABits is the smallest RSA modulus accepted for verification.
const minRSABits = 2048

// VerifierConfig configures a Verifier. Issuer, Audience and Keys are required.
type VerifierConfig struct {
	// Issuer must equal the token's "iss" exactly (for Cognito:
	// https://cognito-idp.<region>.amazonaws.com/<pool id>).
	Issuer string
	// Audience must be among the token's "aud" (for Cognito ID tokens, the
	// app client id; Cognito access tokens carry no "aud" and are refused).
	Audience string
	// Keys supplies verification keys by kid.
	Keys KeySource
	// Algorithms allowed in the "alg" header; default ES256 and RS256.
	// Only asymmetric signature algorithms are accepted.
	Algorithms []jose.SignatureAlgorithm
	// Leeway for exp, nbf and iat; default 30s.
	Leeway time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Claim names for tenant, role and email; defaults "tenant", "role",
	// "email" (Cognito custom attributes would be "custom:tenant", ...).
	TenantClaim, RoleClaim, EmailClaim string
}

// Verifier checks console tokens. It is immutable and safe for concurrent use.
type Verifier struct {
	cfg  VerifierConfig
	algs []jose.SignatureAlgorithm
}

// NewVerifier validates cfg and fills defaults.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	switch {
	case cfg.Issuer == "":
		return nil, errors.New("new verifier: issuer is required")
	case cfg.Audience == "":
		return nil, errors.New("new verifier: audience is required")
	case cfg.Keys == nil:
		return nil, errors.New("new verifier: key source is required")
	case cfg.Leeway < 0:
		return nil, fmt.Errorf("new verifier: negative leeway %v", cfg.Leeway)
	}
	if len(cfg.Algorithms) == 0 {
		cfg.Algorithms = []jose.SignatureAlgorithm{jose.ES256, jose.RS256}
	}
	for _, a := range cfg.Algorithms {
		if _, known := keyFits(a, nil); !known {
			return nil, fmt.Errorf("new verifier: algorithm %q not allowed (asymmetric signatures only)", a)
		}
	}
	cfg.Algorithms = append([]jose.SignatureAlgorithm(nil), cfg.Algorithms...)
	if cfg.Leeway == 0 {
		cfg.Leeway = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TenantClaim == "" {
		cfg.TenantClaim = "tenant"
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = "role"
	}
	if cfg.EmailClaim == "" {
		cfg.EmailClaim = "email"
	}
	return &Verifier{cfg: cfg, algs: cfg.Algorithms}, nil
}

// keyFits ties each allowed algorithm to the only key type that may verify
// it, so an RSA key never verifies an ES256 token (and vice versa). known is
// false for algorithms the Verifier never accepts (HMAC, none, ...).
func keyFits(alg jose.SignatureAlgorithm, key any) (fits, known bool) {
	switch alg {
	case jose.ES256:
		return ecOn(key, elliptic.P256()), true
	case jose.ES384:
		return ecOn(key, elliptic.P384()), true
	case jose.ES512:
		return ecOn(key, elliptic.P521()), true
	case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
		pk, ok := key.(*rsa.PublicKey)
		return ok && pk.N.BitLen() >= minRSABits, true
	case jose.EdDSA:
		_, ok := key.(ed25519.PublicKey)
		return ok, true
	default:
		return false, false
	}
}

func ecOn(key any, c elliptic.Curve) bool {
	pk, ok := key.(*ecdsa.PublicKey)
	return ok && pk.Curve == c
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidToken}, args...)...)
}

// Verify checks token and returns the Principal it asserts. Errors caused by
// the token wrap ErrInvalidToken; key source failures wrap the source's error.
func (v *Verifier) Verify(ctx context.Context, token string) (Principal, error) {
	payload, err := VerifySignature(ctx, token, v.algs, v.cfg.Keys)
	if err != nil {
		return Principal{}, err
	}
	return v.claims(payload)
}

// VerifySignature checks a compact JWS strictly and returns its payload,
// unvalidated: at most MaxTokenSize bytes; one signature; "alg" in algs and
// fitting the key's type (so never "none" or HMAC); a "kid" that keys
// supplies; no "jwk", "jku", "x5u", "x5c" or "crit" header. Errors caused by
// the token wrap ErrInvalidToken; key source failures wrap the source's
// error. Callers validate the claims.
func VerifySignature(ctx context.Context, token string, algs []jose.SignatureAlgorithm, keys KeySource) ([]byte, error) {
	if len(token) > MaxTokenSize {
		return nil, invalid("token is %d bytes, limit %d", len(token), MaxTokenSize)
	}
	kid, err := checkHeader(token)
	if err != nil {
		return nil, err
	}
	tok, err := jwt.ParseSigned(token, algs)
	if err != nil {
		return nil, invalid("parse: %v", err)
	}
	if len(tok.Headers) != 1 {
		return nil, invalid("want one signature, got %d", len(tok.Headers))
	}
	alg := jose.SignatureAlgorithm(tok.Headers[0].Algorithm)

	set, err := keys.Keys(ctx, kid)
	if err != nil {
		return nil, fmt.Errorf("verify token: keys for kid %q: %w", kid, err)
	}
	var payload json.RawMessage
	for _, k := range set {
		if fits, _ := keyFits(alg, k.Key); !fits || (k.Algorithm != "" && k.Algorithm != string(alg)) || (k.Use != "" && k.Use != "sig") {
			continue
		}
		err := tok.Claims(k.Key, &payload)
		if err == nil {
			return payload, nil
		}
		if !errors.Is(err, jose.ErrCryptoFailure) {
			// The signature checked out but the payload is not JSON.
			return nil, invalid("claims: %v", err)
		}
	}
	if len(set) == 0 {
		return nil, invalid("unknown kid %q", kid)
	}
	return nil, invalid("signature not valid for any %s key with kid %q", alg, kid)
}

// AllowedAlgorithm reports whether VerifySignature can ever accept alg
// (asymmetric signature algorithms only).
func AllowedAlgorithm(alg jose.SignatureAlgorithm) bool {
	_, known := keyFits(alg, nil)
	return known
}

// checkHeader inspects the protected header before go-jose does, to refuse
// parameters go-jose would accept and to require a kid.
func checkHeader(token string) (kid string, err error) {
	seg, _, ok := strings.Cut(token, ".")
	if !ok {
		return "", invalid("not a compact JWS")
	}
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return "", invalid("header encoding: %v", err)
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(raw, &h); err != nil {
		return "", invalid("header: %v", err)
	}
	// Keys or key locations supplied by the token itself, and critical
	// extensions we do not implement, make the token refused.
	for _, name := range [...]string{"jwk", "jku", "x5u", "x5c", "crit"} {
		if _, ok := h[name]; ok {
			return "", invalid("header parameter %q not allowed", name)
		}
	}
	if err := json.Unmarshal(h["kid"], &kid); err != nil || kid == "" {
		return "", invalid("header has no kid")
	}
	return kid, nil
}

// claims validates the verified payload and builds the Principal.
func (v *Verifier) claims(payload []byte) (Principal, error) {
	var std jwt.Claims
	if err := json.Unmarshal(payload, &std); err != nil {
		return Principal{}, invalid("claims: %v", err)
	}
	var extra map[string]json.RawMessage
	if err := json.Unmarshal(payload, &extra); err != nil {
		return Principal{}, invalid("claims: %v", err)
	}
	if std.Expiry == nil {
		return Principal{}, invalid("no exp claim")
	}
	if std.Subject == "" {
		return Principal{}, invalid("no sub claim")
	}
	err := std.ValidateWithLeeway(jwt.Expected{
		Issuer:      v.cfg.Issuer,
		AnyAudience: jwt.Audience{v.cfg.Audience},
		Time:        v.cfg.Now(),
	}, v.cfg.Leeway)
	if err != nil {
		return Principal{}, invalid("claims: %v", err)
	}
	tenant, err := stringClaim(extra, v.cfg.TenantClaim)
	if err != nil {
		return Principal{}, err
	}
	roleName, err := stringClaim(extra, v.cfg.RoleClaim)
	if err != nil {
		return Principal{}, err
	}
	role, err := ParseRole(roleName)
	if err != nil {
		return Principal{}, invalid("claim %q: %v", v.cfg.RoleClaim, err)
	}
	var email string
	if _, ok := extra[v.cfg.EmailClaim]; ok {
		if email, err = stringClaim(extra, v.cfg.EmailClaim); err != nil {
			return Principal{}, err
		}
	}
	return Principal{
		Subject:   std.Subject,
		Tenant:    tenant,
		Email:     email,
		Role:      role,
		Issuer:    std.Issuer,
		ExpiresAt: std.Expiry.Time(),
	}, nil
}

func stringClaim(m map[string]json.RawMessage, name string) (string, error) {
	raw, ok := m[name]
	if !ok {
		return "", invalid("no %q claim", name)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || s == "" {
		return "", invalid("claim %q is not a non-empty string", name)
	}
	return s, nil
}
