package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// Key prefixes of webhook subscriptions, their secrets and their delivery
// log. A secret is its own item so that nothing that reads subscriptions
// (lists, audit entries) can carry it by accident.
const (
	pfxWebhook       = "WH#"
	pfxWebhookSecret = "WHSEC#"
	pfxDelivery      = "WHD#"
)

// DeliveryTTL is how long the delivery log keeps a delivery.
const DeliveryTTL = 7 * 24 * time.Hour

// CreateWebhook stores a new subscription with a fresh signing secret,
// which is returned once and never again. The URL is vetted by the
// configured upstream check (SSRF guard), like integration URLs.
func (c *Catalog) CreateWebhook(ctx context.Context, tenant string, actor Actor, s *model.WebhookSubscription) (*model.WebhookSubscription, string, error) {
	errs := model.ValidateWebhookSubscription(s)
	if c.checkURL != nil && !hasPointer(errs, "/url") {
		if err := c.checkURL(ctx, s.URL); err != nil {
			errs.Add("/url", "is not an allowed destination: %s", err.Error())
		}
	}
	if p := errs.Problem(); p != nil {
		return nil, "", p
	}
	nv := *s
	nv.ID = "wh_" + newID()
	secret, sop, err := c.newWebhookSecret(ctx, tenant, nv.ID) // secret.go
	if err != nil {
		return nil, "", err
	}
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		if err := c.checkWebhookCount(ctx, tenant); err != nil { // outbox.go
			return change{}, err
		}
		nv.Meta = c.stamp()
		nv.Revision = 1
		nv.CreatedBy, nv.UpdatedBy = actor.Subject, actor.Subject
		op, err := putOp(tenant, pfxWebhook+nv.ID, &nv, &nv.Meta, store.IfAbsent())
		if err != nil {
			return change{}, err
		}
		ops := []store.WriteOp{op}
		if sop != nil {
			ops = append(ops, *sop)
		}
		return change{ops: ops, result: &nv,
			audit: model.AuditEntry{Action: "create", ResourceType: "webhook", Resource: "webhook/" + nv.ID, After: rawJSON(&nv)}}, nil
	})
	if err != nil {
		if sop == nil { // stored ahead in the secrets store: take it back
			_ = c.deleteInternalSecret(context.WithoutCancel(ctx), tenant, secretKindWebhook, nv.ID, pfxWebhookSecret+nv.ID)
		}
		return nil, "", err
	}
	return res.(*model.WebhookSubscription), secret, nil
}

// GetWebhook returns one subscription (without its secret).
func (c *Catalog) GetWebhook(ctx context.Context, tenant, id string) (*model.WebhookSubscription, error) {
	return getItem[model.WebhookSubscription](ctx, c.st, tenant, pfxWebhook+id)
}

// ListWebhooks returns one page of subscriptions.
func (c *Catalog) ListWebhooks(ctx context.Context, tenant string, limit int, cursor string) ([]model.WebhookSubscription, string, error) {
	return listItems[model.WebhookSubscription](ctx, c.st, tenant, pfxWebhook, limit, cursor)
}

// DeleteWebhook deletes a subscription and its secret (its delivery log
// expires on its own).
func (c *Catalog) DeleteWebhook(ctx context.Context, tenant string, actor Actor, id string) error {
	_, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		old, err := c.GetWebhook(ctx, tenant, id)
		if err != nil {
			return change{}, err
		}
		pk := TenantPK(tenant)
		return change{
			ops: []store.WriteOp{
				{Delete: &store.Key{PK: pk, SK: pfxWebhook + id}, Cond: store.IfVersion(old.Revision)},
				{Delete: &store.Key{PK: pk, SK: pfxWebhookSecret + id}},
				{Delete: &store.Key{PK: pk, SK: pfxWebhookPrevSecret + id}},
			},
			audit: model.AuditEntry{Action: "delete", ResourceType: "webhook", Resource: "webhook/" + id, Before: rawJSON(old)},
		}, nil
	})
	if err != nil || c.secrets == nil {
		return err
	}
	if err := c.deleteInternalSecret(ctx, tenant, secretKindWebhookPrevious, id, pfxWebhookPrevSecret+id); err != nil {
		return err
	}
	return c.deleteInternalSecret(ctx, tenant, secretKindWebhook, id, pfxWebhookSecret+id)
}

// WebhookTargets returns the subscriptions of tenant that want events of
// type typ, with their secrets (and the previous one while a rotation's
// grace period lasts), for delivery.
func (c *Catalog) WebhookTargets(ctx context.Context, tenant, typ string) ([]webhook.Subscription, error) {
	subs, err := listAll[model.WebhookSubscription](ctx, c.st, tenant, pfxWebhook)
	if err != nil {
		return nil, err
	}
	now := c.now()
	var out []webhook.Subscription
	for i := range subs {
		s := &subs[i]
		if !s.Wants(typ) {
			continue
		}
		// A rotation through another instance is used at once (webhook_rotate.go).
		c.freshenWebhookSecrets(tenant, s, now)
		sec, err := c.internalSecret(ctx, tenant, secretKindWebhook, s.ID, pfxWebhookSecret+s.ID) // secret.go
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		prev, err := c.previousWebhookSecret(ctx, tenant, s, now) // webhook_rotate.go
		if err != nil {
			return nil, err
		}
		out = append(out, webhook.Subscription{ID: s.ID, URL: s.URL, Secret: sec, Previous: prev})
	}
	return out, nil
}

func deliverySK(sub string, at time.Time, id string) string {
	return sub + "#" + at.UTC().Format(auditTimeFormat) + "#" + id
}

// RecordDelivery appends d to the delivery log of its subscription; it
// expires after DeliveryTTL. It does not touch the config version.
func (c *Catalog) RecordDelivery(ctx context.Context, tenant string, d webhook.Delivery) error {
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode delivery: %w", err)
	}
	it := store.Item{PK: DeliveryPK(tenant), SK: deliverySK(d.Subscription, d.CreatedAt, d.ID), Data: data,
		ExpiresAt: d.CreatedAt.Add(DeliveryTTL).Unix()}
	if err := c.st.Put(ctx, it, store.Cond{}); err != nil {
		return fmt.Errorf("write delivery: %w", err)
	}
	return nil
}

var _ webhook.Log = (*Catalog)(nil)

// ListDeliveries returns one page of a subscription's deliveries, newest
// first.
func (c *Catalog) ListDeliveries(ctx context.Context, tenant, sub string, limit int, cursor string) ([]webhook.Delivery, string, error) {
	page, err := c.st.Query(ctx, store.Query{PK: DeliveryPK(tenant), SKPrefix: sub + "#", Limit: limit, Cursor: cursor, Reverse: true})
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	out := make([]webhook.Delivery, 0, len(page.Items))
	for _, it := range page.Items {
		var d webhook.Delivery
		if err := json.Unmarshal(it.Data, &d); err != nil {
			return nil, "", fmt.Errorf("decode %s: %w", it.SK, err)
		}
		out = append(out, d)
	}
	return out, page.Cursor, nil
}
