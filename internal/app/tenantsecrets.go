package app

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/portico/portico/internal/integration"
	"github.com/portico/portico/internal/secrets"
	"github.com/portico/portico/internal/secrets/awssm"
	"github.com/portico/portico/internal/secrets/sealed"
	"github.com/portico/portico/internal/store"
)

// newSecretStore builds the tenant secrets store the environment picks
// (PORTICO_SECRETS): sealed in st with the key from PORTICO_SECRETS_KEY or
// the data dir, or Secrets Manager (the SDK honours AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_SECRETS_MANAGER); behind the read-through cache, which
// this process's writes invalidate at once (docs/secrets.md).
func newSecretStore(ctx context.Context, e Env, st store.Store) (*secrets.Cache, error) {
	var inner secrets.Store
	switch e.Secrets {
	case "secretsmanager":
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("load AWS config: %w", err)
		}
		s, err := awssm.New(secretsmanager.NewFromConfig(cfg), awssm.Config{Prefix: e.SecretsPrefix, KMSKeyID: e.SecretsKMSKey})
		if err != nil {
			return nil, err
		}
		inner = s
	default:
		key, err := sealed.LoadKey(e.SecretsKey, e.DataDir)
		if err != nil {
			return nil, err
		}
		s, err := sealed.New(sealed.Config{Store: st, Key: key})
		if err != nil {
			return nil, err
		}
		inner = s
	}
	return secrets.NewCache(secrets.CacheConfig{Store: inner})
}

// secretSlot is the integration engines' secret source in Shared. NewShared
// builds the engine before the catalog that owns the secrets store is at
// hand in every main, so NewGateway and NewManagement bind it; a call
// before that fails closed (503 upstream-credential-unavailable).
type secretSlot struct {
	v atomic.Value // boundSecrets
}

type boundSecrets struct{ src integration.SecretSource }

var errSecretsUnbound = errors.New("app: no secrets store is bound yet")

func (s *secretSlot) bind(src integration.SecretSource) {
	if src != nil {
		s.v.Store(boundSecrets{src})
	}
}

// Get reads through the bound source.
func (s *secretSlot) Get(ctx context.Context, tenant, name string) (string, error) {
	b, ok := s.v.Load().(boundSecrets)
	if !ok {
		return "", errSecretsUnbound
	}
	return b.src.Get(ctx, tenant, name)
}

var _ integration.SecretSource = (*secretSlot)(nil)
