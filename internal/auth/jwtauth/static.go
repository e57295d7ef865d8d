package jwtauth

import (
	"fmt"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
)

// staticKeys is the key source of an issuer whose JWKS document is stored
// with it. The document was checked at save time; a document that no
// longer passes (say, its algorithm allowlist changed underneath) verifies
// nothing rather than something unintended.
func staticKeys(iss *model.JWTIssuer) (identity.KeySource, error) {
	set, probs := identity.ParseStaticJWKS(iss.Keys, algorithms(iss))
	if len(probs) > 0 {
		return nil, fmt.Errorf("static keys: %s: %s", probs[0].Pointer, probs[0].Detail)
	}
	return identity.StaticKeys(set), nil
}
