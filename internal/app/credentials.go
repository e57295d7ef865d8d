package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/portico/portico/internal/auth/apikey"
	"github.com/portico/portico/internal/auth/jwtauth"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/gateway"
	"github.com/portico/portico/internal/model"
)

// authenticators builds the gateway's caller authenticators over the
// catalog: API keys, and JWTs from each tenant's trusted issuers. API keys revoked through the same catalog (the local all-in-one
// server) are forgotten at once; other instances see a revocation within
// the key cache TTL (30s).
func authenticators(cat *catalog.Catalog) (map[model.AuthType]gateway.Authenticator, error) {
	keys, err := apikey.New(apikey.Config{Lookup: keyLookup(cat)})
	if err != nil {
		return nil, err
	}
	cat.OnKeyRevoked(keys.Forget)
	// JWKS documents are fetched with a plain client for now; the
	// integration engine's SSRF-guarded client replaces it when it lands.
	jwts, err := jwtauth.New(jwtauth.Config{Issuers: cat.JWTIssuers, Client: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		return nil, err
	}
	return map[model.AuthType]gateway.Authenticator{model.AuthAPIKey: keys, model.AuthJWT: jwts}, nil
}

// keyLookup adapts the catalog's key index to apikey.Lookup.
func keyLookup(cat *catalog.Catalog) apikey.Lookup {
	return func(ctx context.Context, hash string) (*apikey.Record, error) {
		m, err := cat.FindAPIKey(ctx, hash)
		switch {
		case errors.Is(err, catalog.ErrNotFound):
			return nil, nil
		case err != nil:
			return nil, fmt.Errorf("find api key: %w", err)
		}
		return &apikey.Record{Tenant: m.Tenant, Key: m.Key}, nil
	}
}
