package identity

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/go-jose/go-jose/v4"
)

// MaxStaticJWKS bounds a JWKS document stored with an issuer.
const MaxStaticJWKS = 64 << 10

// KeyProblem is one thing wrong with a stored JWKS document, at a JSON
// pointer relative to the document ("/keys/0/kty").
type KeyProblem struct {
	Pointer string
	Detail  string
}

// ParseStaticJWKS checks a JWKS document a tenant stores with an issuer
// instead of a URL, against the issuer's algorithm allowlist: every key is
// a public asymmetric signature key with a kid, and a key type that at
// least one allowed algorithm verifies with (its own "alg", when set, must
// be allowed and fit it). Unlike a fetched set, nothing is skipped: a
// stored document is the tenant's to fix, at save time.
func ParseStaticJWKS(doc []byte, algs []jose.SignatureAlgorithm) (jose.JSONWebKeySet, []KeyProblem) {
	var set jose.JSONWebKeySet
	if len(doc) > MaxStaticJWKS {
		return set, []KeyProblem{{"", "is larger than " + strconv.Itoa(MaxStaticJWKS>>10) + " KiB"}}
	}
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		return set, []KeyProblem{{"", "must be a JWKS document ({\"keys\": [...]})"}}
	}
	if len(raw.Keys) == 0 {
		return set, []KeyProblem{{"/keys", "must list at least one key"}}
	}
	var probs []KeyProblem
	kids := map[string]bool{}
	for i, r := range raw.Keys {
		ptr := "/keys/" + strconv.Itoa(i)
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(r); err != nil {
			probs = append(probs, KeyProblem{ptr, "is not a valid JWK"})
			continue
		}
		switch {
		case !k.Valid():
			probs = append(probs, KeyProblem{ptr, "is not a valid JWK"})
			continue
		case !k.IsPublic():
			probs = append(probs, KeyProblem{ptr, "must be a public key (never store a private or symmetric key)"})
			continue
		case k.KeyID == "":
			probs = append(probs, KeyProblem{ptr + "/kid", "is required"})
		case kids[k.KeyID]:
			probs = append(probs, KeyProblem{ptr + "/kid", fmt.Sprintf("%q is used by another key", k.KeyID)})
		}
		kids[k.KeyID] = true
		if k.Use != "" && k.Use != "sig" {
			probs = append(probs, KeyProblem{ptr + "/use", `must be "sig"`})
		}
		if k.Algorithm != "" {
			a := jose.SignatureAlgorithm(k.Algorithm)
			fits, known := keyFits(a, k.Key)
			switch {
			case !known || !allowed(algs, a):
				probs = append(probs, KeyProblem{ptr + "/alg", k.Algorithm + " is not in the issuer's algorithm allowlist"})
			case !fits:
				probs = append(probs, KeyProblem{ptr + "/alg", k.Algorithm + " does not fit this key's type, curve or size"})
			}
		} else if !fitsAny(algs, k.Key) {
			probs = append(probs, KeyProblem{ptr + "/kty", "no algorithm of the issuer's allowlist verifies with this key type, curve or size"})
		}
		set.Keys = append(set.Keys, k)
	}
	if len(probs) > 0 {
		return jose.JSONWebKeySet{}, probs
	}
	return set, nil
}

func allowed(algs []jose.SignatureAlgorithm, a jose.SignatureAlgorithm) bool {
	for _, x := range algs {
		if x == a {
			return true
		}
	}
	return false
}

func fitsAny(algs []jose.SignatureAlgorithm, key any) bool {
	for _, a := range algs {
		if fits, _ := keyFits(a, key); fits {
			return true
		}
	}
	return false
}
