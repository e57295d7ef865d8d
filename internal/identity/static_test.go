package identity_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/portico/portico/internal/identity"
)

func TestParseStaticJWKS(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	rsaSmall, _ := rsa.GenerateKey(rand.Reader, 1024)
	doc := func(keys ...jose.JSONWebKey) []byte {
		b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	es256 := []jose.SignatureAlgorithm{jose.ES256}
	tests := []struct {
		name string
		doc  []byte
		algs []jose.SignatureAlgorithm
		want string // pointer of the first problem; "" for none
	}{
		{"ec key, ES256", doc(jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "a"}), es256, ""},
		{"ec key with alg", doc(jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "a", Algorithm: "ES256", Use: "sig"}), es256, ""},
		{"ed25519, EdDSA", doc(jose.JSONWebKey{Key: edPub, KeyID: "a"}), []jose.SignatureAlgorithm{jose.EdDSA}, ""},
		{"not json", []byte("nope"), es256, ""},
		{"no keys", []byte(`{"keys":[]}`), es256, "/keys"},
		{"P-384 key, ES256 only", doc(jose.JSONWebKey{Key: &ec384.PublicKey, KeyID: "a"}), es256, "/keys/0/kty"},
		{"ec key, RS256 only", doc(jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "a"}), []jose.SignatureAlgorithm{jose.RS256}, "/keys/0/kty"},
		{"alg not allowed", doc(jose.JSONWebKey{Key: &ec384.PublicKey, KeyID: "a", Algorithm: "ES384"}), es256, "/keys/0/alg"},
		{"alg does not fit", doc(jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "a", Algorithm: "RS256"}), []jose.SignatureAlgorithm{jose.RS256, jose.ES256}, "/keys/0/alg"},
		{"HS256 alg", doc(jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "a", Algorithm: "HS256"}), es256, "/keys/0/alg"},
		{"short rsa", doc(jose.JSONWebKey{Key: &rsaSmall.PublicKey, KeyID: "a"}), []jose.SignatureAlgorithm{jose.RS256}, "/keys/0/kty"},
		{"private key", doc(jose.JSONWebKey{Key: ec, KeyID: "a"}), es256, "/keys/0"},
		{"symmetric key", []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"a"}]}`), es256, "/keys/0"},
		{"no kid", doc(jose.JSONWebKey{Key: &ec.PublicKey}), es256, "/keys/0/kid"},
		{"duplicate kid", doc(jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "a"}, jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "a"}), es256, "/keys/1/kid"},
		{"encryption key", doc(jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "a", Use: "enc"}), es256, "/keys/0/use"},
		{"too large", []byte(`{"keys":[` + strings.Repeat(" ", identity.MaxStaticJWKS) + `]}`), es256, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, probs := identity.ParseStaticJWKS(tt.doc, tt.algs)
			wantOK := tt.want == "" && !strings.HasPrefix(tt.name, "not json") && tt.name != "too large"
			if wantOK {
				if len(probs) > 0 || len(set.Keys) == 0 {
					t.Fatalf("problems %v, keys %d; want a valid set", probs, len(set.Keys))
				}
				return
			}
			if len(probs) == 0 {
				t.Fatal("no problems, want one")
			}
			if probs[0].Pointer != tt.want {
				t.Errorf("pointer %q (%s), want %q", probs[0].Pointer, probs[0].Detail, tt.want)
			}
			if len(set.Keys) != 0 {
				t.Error("a set with problems must hold no keys")
			}
		})
	}
}
