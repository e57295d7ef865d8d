package catalog_test

import (
	"errors"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
)

func TestPlanLifecycle(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()
	gold := &model.Plan{Slug: "gold", Name: "Gold", Limits: []model.RateLimitPolicy{{Algorithm: model.FixedWindow, Limit: 100, WindowSeconds: 60}}}
	before, err := c.ConfigVersion(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreatePlan(ctx, "acme", alice, gold); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreatePlan(ctx, "acme", alice, gold); !errors.Is(err, catalog.ErrExists) {
		t.Fatalf("duplicate create: %v, want ErrExists", err)
	}
	if _, err := c.CreatePlan(ctx, "acme", alice, &model.Plan{Slug: "empty", Name: "E"}); err == nil {
		t.Fatal("plan without limits accepted")
	}
	upd := *gold
	upd.Limits = append(upd.Limits, model.RateLimitPolicy{Algorithm: model.TokenBucket, Limit: 5, WindowSeconds: 1})
	out, err := c.UpdatePlan(ctx, "acme", bob, "gold", 1, &upd)
	if err != nil || out.Revision != 2 || len(out.Limits) != 2 {
		t.Fatalf("update: %+v, %v", out, err)
	}
	cfg, err := c.LoadTenantConfig(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Plans) != 1 || cfg.Plans[0].Slug != "gold" || cfg.Version <= before {
		t.Fatalf("config plans %+v at version %d (before %d)", cfg.Plans, cfg.Version, before)
	}
	if got, _, err := c.ListPlans(ctx, "globex", 10, ""); err != nil || len(got) != 0 {
		t.Fatalf("other tenant sees plans: %+v, %v", got, err)
	}
	if err := c.DeletePlan(ctx, "acme", alice, "gold", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetPlan(ctx, "acme", "gold"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
}
