package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/portico/portico/internal/auth/apikey"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/gateway"
	"github.com/portico/portico/internal/model"
)

// authenticators builds the gateway's caller authenticators over the
// catalog. API keys revoked through the same catalog (the local all-in-one
// server) are forgotten at once; other instances see a revocation within
// the key cache TTL (30s).
func authenticators(cat *catalog.Catalog) (map[model.AuthType]gateway.Authenticator, error) {
	keys, err := apikey.New(apikey.Config{Lookup: keyLookup(cat)})
	if err != nil {
		return nil, err
	}
	cat.OnKeyRevoked(keys.Forget)
	return map[model.AuthType]gateway.Authenticator{model.AuthAPIKey: keys}, nil
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
