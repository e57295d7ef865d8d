package oauth2

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/go-jose/go-jose/v4"

	"github.com/portico/portico/internal/identity"
)

// KeySet is the server's keys at one time: Current signs new access
// tokens; tokens verify against Current and Previous, so a rotation does
// not break tokens already issued.
type KeySet struct {
	Current  *ecdsa.PrivateKey // required
	Previous *ecdsa.PrivateKey // nil when there is none
}

// KeySource supplies the keys in force. SeedKeys derives them from a
// rotated secret; a fixed Config.Key is a source that never changes.
type KeySource interface {
	// Keys returns the keys; a cached answer is fine.
	Keys(ctx context.Context) (KeySet, error)
	// Reload is asked when a token names a key not in the set (another
	// instance saw a rotation first); it may answer from its cache.
	Reload(ctx context.Context) (KeySet, error)
}

type fixedKeys KeySet

func (k fixedKeys) Keys(context.Context) (KeySet, error)   { return KeySet(k), nil }
func (k fixedKeys) Reload(context.Context) (KeySet, error) { return KeySet(k), nil }

// keyring is what the server derives from a KeySet: the signer of the
// current key and the public keys, as a JWKS document too.
type keyring struct {
	set    KeySet
	signer jose.Signer
	public jose.JSONWebKeySet
	jwks   []byte
}

// newKeyring builds the signer and the published keys of set; the kid of
// each key is its RFC 7638 thumbprint.
func newKeyring(set KeySet) (*keyring, error) {
	if set.Current == nil {
		return nil, fmt.Errorf("oauth2: no current key")
	}
	r := &keyring{set: set}
	for i, k := range []*ecdsa.PrivateKey{set.Current, set.Previous} {
		if k == nil {
			continue
		}
		pub := jose.JSONWebKey{Key: &k.PublicKey, Algorithm: string(jose.ES256), Use: "sig"}
		tp, err := pub.Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("oauth2: key thumbprint: %w", err)
		}
		pub.KeyID = base64.RawURLEncoding.EncodeToString(tp)
		if i == 0 {
			r.signer, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k, KeyID: pub.KeyID}},
				(&jose.SignerOptions{}).WithType("at+jwt"))
			if err != nil {
				return nil, fmt.Errorf("oauth2: signer: %w", err)
			}
		} else if pub.KeyID == r.public.Keys[0].KeyID {
			continue
		}
		r.public.Keys = append(r.public.Keys, pub)
	}
	var err error
	if r.jwks, err = json.Marshal(r.public); err != nil {
		return nil, fmt.Errorf("oauth2: jwks: %w", err)
	}
	return r, nil
}

// keys returns the keyring of the source's current set, rebuilt only when
// the set changed; reload asks the source to look again.
func (s *Server) keys(ctx context.Context, reload bool) (*keyring, error) {
	get := s.cfg.Keys.Keys
	if reload {
		get = s.cfg.Keys.Reload
	}
	set, err := get(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauth2: keys: %w", err)
	}
	if r := s.ring.Load(); r != nil && r.set == set {
		return r, nil
	}
	r, err := newKeyring(set)
	if err != nil {
		return nil, err
	}
	s.ring.Store(r)
	return r, nil
}

// verifyKeys is the verifier's view of the server's public keys: a token
// naming an unknown kid makes the source reload once.
type verifyKeys struct{ s *Server }

func (v verifyKeys) Keys(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	r, err := v.s.keys(ctx, false)
	if err != nil {
		return nil, err
	}
	if ks := r.public.Key(kid); len(ks) > 0 {
		return ks, nil
	}
	if r, err = v.s.keys(ctx, true); err != nil {
		return nil, err
	}
	return r.public.Key(kid), nil
}

var (
	_ KeySource          = fixedKeys{}
	_ identity.KeySource = verifyKeys{}
)
