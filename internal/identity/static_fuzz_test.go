package identity_test

import (
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/portico/portico/internal/identity"
)

// FuzzParseStaticJWKS: a tenant's stored JWKS document never panics the
// parser, and an accepted set holds only public keys with a kid.
func FuzzParseStaticJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","kid":"a","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"a"}]}`))
	f.Add([]byte(`{"keys":[]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		set, probs := identity.ParseStaticJWKS(doc, []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA})
		if len(probs) > 0 && len(set.Keys) > 0 {
			t.Fatal("keys returned with problems")
		}
		for _, k := range set.Keys {
			if !k.IsPublic() || k.KeyID == "" {
				t.Fatalf("accepted key %+v", k)
			}
		}
	})
}
