package catalog

import (
	"context"
	"fmt"

	"github.com/portico/portico/internal/model"
)

// TenantConfig is everything the gateway needs to serve one tenant, read at
// one configuration version.
type TenantConfig struct {
	Version      int64
	Tenant       model.Tenant
	APIs         []model.API
	Versions     []model.Version
	Endpoints    []model.Endpoint
	Integrations []model.Integration
	// Workflows are the tenant's workflows; endpoints run their Deployed.
	Workflows []Workflow
	// Transforms are the tenant's transforms; Modules the WebAssembly
	// modules their wasm transforms run, by SHA-256 (transform.go).
	Transforms []model.Transform
	Modules    map[string][]byte
	// Plans are the tenant's rate-limit plans, named by API keys.
	Plans []model.Plan
}

// LoadTenantConfig reads a consistent view of a tenant's configuration: the
// META version is read before and after, and the read is repeated if a
// change landed in between.
func (c *Catalog) LoadTenantConfig(ctx context.Context, tenant string) (*TenantConfig, error) {
	for range maxAttempts {
		before, err := c.ConfigVersion(ctx, tenant)
		if err != nil {
			return nil, err
		}
		cfg := &TenantConfig{Version: before}
		t, err := c.GetTenant(ctx, tenant)
		if err != nil {
			return nil, err
		}
		cfg.Tenant = *t
		if cfg.APIs, err = listAll[model.API](ctx, c.st, tenant, pfxAPI); err != nil {
			return nil, err
		}
		if cfg.Versions, err = listAll[model.Version](ctx, c.st, tenant, pfxVersion); err != nil {
			return nil, err
		}
		if cfg.Endpoints, err = listAll[model.Endpoint](ctx, c.st, tenant, pfxEP); err != nil {
			return nil, err
		}
		if cfg.Integrations, err = listAll[model.Integration](ctx, c.st, tenant, pfxInt); err != nil {
			return nil, err
		}
		if cfg.Workflows, err = listAll[Workflow](ctx, c.st, tenant, pfxWorkflow); err != nil {
			return nil, err
		}
		if err := c.loadTransforms(ctx, tenant, cfg); err != nil {
			return nil, err
		}
		if err := c.loadPlans(ctx, tenant, cfg); err != nil {
			return nil, err
		}
		after, err := c.ConfigVersion(ctx, tenant)
		if err != nil {
			return nil, err
		}
		if after == before {
			return cfg, nil
		}
	}
	return nil, fmt.Errorf("load tenant %q config: %w", tenant, ErrBusy)
}
