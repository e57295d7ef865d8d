package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/portico/portico/internal/auth/apikey"
	"github.com/portico/portico/internal/auth/detect"
	"github.com/portico/portico/internal/auth/introspect"
	"github.com/portico/portico/internal/auth/jwtauth"
	"github.com/portico/portico/internal/auth/oauth2"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/gateway"
	"github.com/portico/portico/internal/model"
)

// credentials is what the gateway needs to authenticate callers.
type credentials struct {
	authenticators map[model.AuthType]gateway.Authenticator
	// tokens is the OAuth2 token endpoint and JWKS per tenant.
	tokens *oauth2.Server
	// failures detects failed-authentication bursts.
	failures *detect.Detector
}

// newCredentials builds the gateway's caller authenticators over the
// catalog: API keys, JWTs from each tenant's trusted issuers, and access
// tokens of Portico's own OAuth2 server. API keys revoked through the same
// catalog (the local all-in-one server) are forgotten at once; other
// instances see a revocation within the key cache TTL (30s).
func newCredentials(ctx context.Context, e Env, cat *catalog.Catalog, log *slog.Logger) (*credentials, error) {
	keys, err := apikey.New(apikey.Config{Lookup: keyLookup(cat)})
	if err != nil {
		return nil, err
	}
	cat.OnKeyRevoked(keys.Forget)
	// JWKS documents are fetched behind the upstream SSRF guard (jwks.go).
	// Opaque tokens go to the tenant's RFC 7662 endpoint through the same
	// guarded client.
	jwts, err := jwtauth.New(jwtauth.Config{Issuers: cat.JWTIssuers, Client: jwksClient(e),
		Introspector: introspect.New(introspect.Config{Client: jwksClient(e)}), IntrospectionSecret: cat.JWTIntrospectionSecret})
	if err != nil {
		return nil, err
	}
	cfg := oauth2.Config{Clients: clientLookup(cat)}
	if e.OAuth2SeedSecretARN != "" {
		client, err := newSecretsClient(ctx)
		if err != nil {
			return nil, err
		}
		cfg.Keys, err = seedKeys(ctx, client, e.OAuth2SeedSecretARN, time.Now, log)
	} else {
		cfg.Key, err = tokenKey(e)
	}
	if err != nil {
		return nil, err
	}
	tokens, err := oauth2.New(cfg)
	if err != nil {
		return nil, err
	}
	access, err := tokens.Verifier()
	if err != nil {
		return nil, err
	}
	return &credentials{
		authenticators: map[model.AuthType]gateway.Authenticator{model.AuthAPIKey: keys, model.AuthJWT: jwts, model.AuthOAuth2: access},
		tokens:         tokens,
		failures:       detect.New(detect.Config{OnEvent: securityEvent(cat, log)}),
	}, nil
}

// securityEvent logs a detection event and records it in the tenant's
// audit trail (asynchronously: detection runs on the request path). The
// log line is what metric filters and alarms match.
func securityEvent(cat *catalog.Catalog, log *slog.Logger) func(detect.Event) {
	return func(ev detect.Event) {
		log.Warn("security event", "tenant", ev.Tenant, "by", string(ev.By), "value", ev.Value, "failures", ev.Failures, "blockedUntil", ev.BlockedUntil)
		if ev.Tenant == "" {
			return // tenant-id enumeration: no tenant's audit trail to write to
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			after, _ := json.Marshal(ev)
			err := cat.RecordSecurityEvent(ctx, ev.Tenant, model.AuditEntry{Actor: "gateway", Action: "auth-failures",
				ResourceType: "security", Resource: string(ev.By) + "/" + ev.Value, After: after})
			if err != nil {
				log.Error("record security event", "tenant", ev.Tenant, "error", err.Error())
			}
		}()
	}
}

// seedKeys is the OAuth2 token-signing key source in aws mode: ES256 keys
// derived from the AWSCURRENT and AWSPREVIOUS values of the seed secret,
// the same on every instance, read now (failing fast) and again at most
// every 5 minutes so a rotation reaches warm instances
// (docs/architecture.md, "Caller authentication").
func seedKeys(ctx context.Context, client secretsAPI, arn string, now func() time.Time, log *slog.Logger) (*oauth2.SeedKeys, error) {
	keys, err := oauth2.NewSeedKeys(ctx, oauth2.SeedConfig{
		Fetch:   func(ctx context.Context) (string, string, error) { return secretStages(ctx, client, arn) },
		Refresh: 5 * time.Minute,
		Now:     now,
		OnError: func(err error) { log.Error("refresh oauth2 signing keys", "error", err.Error()) },
	})
	if err != nil {
		return nil, fmt.Errorf("oauth2 signing key: %w", err)
	}
	return keys, nil
}

// tokenKey is the fixed ES256 key signing OAuth2 access tokens locally,
// kept in the data dir. Elsewhere the key comes from the seed secret
// (seedKeys): a key per process would verify only on its own instance.
func tokenKey(e Env) (*ecdsa.PrivateKey, error) {
	if e.Mode != "local" {
		return nil, errors.New("oauth2 signing key: set PORTICO_OAUTH2_SEED_SECRET_ARN in aws mode")
	}
	if e.DataDir == "" {
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	path := filepath.Join(e.DataDir, "oauth2-es256.pem")
	if b, err := os.ReadFile(path); err == nil {
		blk, _ := pem.Decode(b)
		if blk == nil {
			return nil, fmt.Errorf("read %s: no PEM block", path)
		}
		return x509.ParseECPrivateKey(blk.Bytes)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(e.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, fmt.Errorf("write oauth2 key: %w", err)
	}
	return key, nil
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

// clientLookup adapts the catalog's OAuth2 clients to oauth2.ClientLookup.
func clientLookup(cat *catalog.Catalog) oauth2.ClientLookup {
	return func(ctx context.Context, tenant, id string) (*model.OAuthClient, string, error) {
		c, hash, err := cat.OAuthClient(ctx, tenant, id)
		if errors.Is(err, catalog.ErrNotFound) {
			return nil, "", oauth2.ErrUnknownClient
		}
		return c, hash, err
	}
}
