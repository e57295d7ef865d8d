package catalog

import (
	"context"

	"github.com/portico/portico/internal/model"
)

// Plans are stored as PLAN#<slug>; API keys name them (model.APIKey.Plan).
const pfxPlan = "PLAN#"

var planKind = kind[model.Plan]{name: "plan", prefix: pfxPlan,
	id: func(v *model.Plan) string { return v.Slug }, meta: func(v *model.Plan) *model.Meta { return &v.Meta },
	validate: func(v *model.Plan) model.Errors { return model.ValidatePlan(v) }}

// CreatePlan stores a new rate-limit plan.
func (c *Catalog) CreatePlan(ctx context.Context, tenant string, actor Actor, p *model.Plan) (*model.Plan, error) {
	return create(ctx, c, planKind, tenant, actor, p, nil)
}

// GetPlan returns a plan.
func (c *Catalog) GetPlan(ctx context.Context, tenant, slug string) (*model.Plan, error) {
	return getItem[model.Plan](ctx, c.st, tenant, pfxPlan+slug)
}

// ListPlans returns one page of plans in slug order.
func (c *Catalog) ListPlans(ctx context.Context, tenant string, limit int, cursor string) ([]model.Plan, string, error) {
	return listItems[model.Plan](ctx, c.st, tenant, pfxPlan, limit, cursor)
}

// UpdatePlan replaces a plan; the gateway applies it from the next
// configuration load.
func (c *Catalog) UpdatePlan(ctx context.Context, tenant string, actor Actor, slug string, expect int64, p *model.Plan) (*model.Plan, error) {
	return update(ctx, c, planKind, tenant, actor, slug, expect, p, nil)
}

// DeletePlan deletes a plan. Keys that still name it keep working with
// their endpoints' limits only (docs/ratelimit.md, "Plans").
func (c *Catalog) DeletePlan(ctx context.Context, tenant string, actor Actor, slug string, expect int64) error {
	return remove(ctx, c, planKind, tenant, actor, slug, expect, nil)
}

// loadPlans reads every plan into cfg.
func (c *Catalog) loadPlans(ctx context.Context, tenant string, cfg *TenantConfig) error {
	plans, err := listAll[model.Plan](ctx, c.st, tenant, pfxPlan)
	cfg.Plans = plans
	return err
}
