package identity

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// SignerKeyFile is the name of the dev-login key file inside the data dir.
const SignerKeyFile = "devlogin-es256.jwk"

// ConsoleAudience is the "aud" of every token the Signer issues.
const ConsoleAudience = "portico-console"

// Signer issues ES256 console tokens. Its key pair is persisted so that a
// restart keeps issued sessions valid. A Signer is safe for concurrent use.
type Signer struct {
	issuer string
	priv   jose.JSONWebKey // private key, KeyID set
	signer jose.Signer
	jwks   jose.JSONWebKeySet
	body   []byte // serialised public JWKS
}

// LoadOrCreateSigner loads the key in dir/devlogin-es256.jwk or, if there is
// none, generates a P-256 key and writes it there (mode 0600, dir 0700 if it
// has to be created). The key id is the RFC 7638 SHA-256 thumbprint.
// A key file readable by group or others is refused.
func LoadOrCreateSigner(dir, issuer string) (*Signer, error) {
	if issuer == "" {
		return nil, errors.New("load signer: issuer is required")
	}
	path := filepath.Join(dir, SignerKeyFile)
	key, err := readSignerKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createSignerKey(dir, path)
	}
	if err != nil {
		return nil, fmt.Errorf("load signer: %w", err)
	}
	return newSigner(key, issuer)
}

func readSignerKey(path string) (*ecdsa.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("key file %s has mode %#o, want 0600", path, perm)
	}
	var jwk jose.JSONWebKey
	if err := json.NewDecoder(f).Decode(&jwk); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	key, ok := jwk.Key.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("key file %s: want a private P-256 EC key, got %T", path, jwk.Key)
	}
	return key, nil
}

// createSignerKey writes a fresh key to a temporary file and links it into
// place, so concurrent starters never see a partial file and exactly one
// key wins; the losers load the winner's key.
func createSignerKey(dir, path string) (*ecdsa.PrivateKey, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create key dir: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	b, err := json.Marshal(jose.JSONWebKey{Key: key, Algorithm: string(jose.ES256), Use: "sig"})
	if err != nil {
		return nil, fmt.Errorf("encode key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, SignerKeyFile+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp already uses 0600; Chmod guards against an odd umask.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("chmod key file: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("sync key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("close key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readSignerKey(path)
		}
		return nil, fmt.Errorf("install key file: %w", err)
	}
	return key, nil
}

func newSigner(key *ecdsa.PrivateKey, issuer string) (*Signer, error) {
	priv := jose.JSONWebKey{Key: key, Algorithm: string(jose.ES256), Use: "sig"}
	tp, err := priv.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("key thumbprint: %w", err)
	}
	priv.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	sig, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.ES256, Key: priv},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return nil, fmt.Errorf("new jose signer: %w", err)
	}
	jwks := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{priv.Public()}}
	body, err := json.Marshal(jwks)
	if err != nil {
		return nil, fmt.Errorf("encode jwks: %w", err)
	}
	return &Signer{issuer: issuer, priv: priv, signer: sig, jwks: jwks, body: body}, nil
}

// KeyID returns the key id (RFC 7638 thumbprint) put in every token header.
func (s *Signer) KeyID() string { return s.priv.KeyID }

// Issuer returns the "iss" the Signer writes.
func (s *Signer) Issuer() string { return s.issuer }

// consoleClaims are the Portico-specific claims of a dev-login token.
type consoleClaims struct {
	Tenant string `json:"tenant"`
	Role   Role   `json:"role"`
	Email  string `json:"email,omitempty"`
}

// Issue signs a token for p valid from now for ttl. The issuer is the
// Signer's (p.Issuer and p.ExpiresAt are ignored); the audience is
// ConsoleAudience. p needs a Subject, a Tenant and a known Role.
func (s *Signer) Issue(p Principal, ttl time.Duration, now time.Time) (string, error) {
	switch {
	case p.Subject == "":
		return "", errors.New("issue token: subject is required")
	case p.Tenant == "":
		return "", errors.New("issue token: tenant is required")
	case p.Role.Rank() == 0:
		return "", fmt.Errorf("issue token: role %q: %w", p.Role, ErrUnknownRole)
	case ttl <= 0:
		return "", fmt.Errorf("issue token: ttl %v must be positive", ttl)
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", fmt.Errorf("issue token: jti: %w", err)
	}
	std := jwt.Claims{
		Issuer:    s.issuer,
		Subject:   p.Subject,
		Audience:  jwt.Audience{ConsoleAudience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		Expiry:    jwt.NewNumericDate(now.Add(ttl)),
		ID:        base64.RawURLEncoding.EncodeToString(jti[:]),
	}
	tok, err := jwt.Signed(s.signer).
		Claims(std).
		Claims(consoleClaims{Tenant: p.Tenant, Role: p.Role, Email: p.Email}).
		Serialize()
	if err != nil {
		return "", fmt.Errorf("issue token: sign: %w", err)
	}
	return tok, nil
}

// PublicJWKS returns the public half of the signing key as a JWKS.
func (s *Signer) PublicJWKS() jose.JSONWebKeySet {
	keys := make([]jose.JSONWebKey, len(s.jwks.Keys))
	copy(keys, s.jwks.Keys)
	return jose.JSONWebKeySet{Keys: keys}
}

// JWKSHandler serves the public JWKS (GET and HEAD) as application/json,
// cacheable for five minutes.
func (s *Signer) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("X-Content-Type-Options", "nosniff")
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusOK)
			return
		}
		_, _ = w.Write(s.body)
	})
}
