package catalog

import (
	"context"
	"fmt"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// WebhookPatch is a partial update of a subscription: nil fields are
// kept.
type WebhookPatch struct {
	URL         *string
	Events      *[]string
	Description *string
	Disabled    *bool
}

// UpdateWebhook applies p to a subscription in one audited commit. A new
// URL is vetted by the configured upstream check (SSRF guard) before the
// commit, as on creation. expect > 0 is the revision the caller read
// (ErrStale otherwise). The signing secret does not change.
func (c *Catalog) UpdateWebhook(ctx context.Context, tenant string, actor Actor, id string, expect int64, p WebhookPatch) (*model.WebhookSubscription, error) {
	if p.URL != nil {
		// The fields the patch names are checked together; the others as
		// stored, inside the commit.
		probe := model.WebhookSubscription{URL: *p.URL, Events: []string{model.EventAll}}
		if p.Events != nil {
			probe.Events = *p.Events
		}
		if p.Description != nil {
			probe.Description = *p.Description
		}
		errs := model.ValidateWebhookSubscription(&probe)
		if c.checkURL != nil && !hasPointer(errs, "/url") {
			if err := c.checkURL(ctx, *p.URL); err != nil {
				errs.Add("/url", "is not an allowed destination: %s", err.Error())
			}
		}
		if pr := errs.Problem(); pr != nil {
			return nil, pr
		}
	}
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		old, err := c.GetWebhook(ctx, tenant, id)
		if err != nil {
			return change{}, err
		}
		if expect > 0 && old.Revision != expect {
			return change{}, fmt.Errorf("webhook %s has revision %d, not %d: %w", id, old.Revision, expect, ErrStale)
		}
		nv := *old
		if p.URL != nil {
			nv.URL = *p.URL
		}
		if p.Events != nil {
			nv.Events = *p.Events
		}
		if p.Description != nil {
			nv.Description = *p.Description
		}
		if p.Disabled != nil {
			nv.Disabled = *p.Disabled
		}
		if pr := model.ValidateWebhookSubscription(&nv).Problem(); pr != nil {
			return change{}, pr
		}
		nv.Revision = old.Revision + 1
		nv.UpdatedAt, nv.UpdatedBy = c.now().UTC(), actor.Subject
		op, err := putOp(tenant, pfxWebhook+id, &nv, &nv.Meta, store.IfVersion(old.Revision))
		if err != nil {
			return change{}, err
		}
		return change{ops: []store.WriteOp{op}, result: &nv,
			audit: model.AuditEntry{Action: "update", ResourceType: "webhook", Resource: "webhook/" + id, Before: rawJSON(old), After: rawJSON(&nv)}}, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*model.WebhookSubscription), nil
}
