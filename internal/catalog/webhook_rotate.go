package catalog

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/secrets"
	"github.com/portico/portico/internal/store"
)

// Webhook secret rotation (docs/integrations.md, Webhooks): a new secret
// replaces the current one, which is kept as the previous secret, with its
// expiry, under an internal name of its own
// (secrets.Internal("webhook-previous", id); the clear item WHSECPREV#<id>
// without a secrets store). Until it expires deliveries carry both
// signatures.
const (
	// DefaultWebhookGrace is how long the previous secret still signs.
	DefaultWebhookGrace = 24 * time.Hour
	// MaxWebhookGrace bounds the grace period a rotation may ask for.
	MaxWebhookGrace = 7 * 24 * time.Hour

	secretKindWebhookPrevious = "webhook-previous"
	pfxWebhookPrevSecret      = "WHSECPREV#"
)

// previousSecret is the stored value of a previous webhook secret.
type previousSecret struct {
	Secret    string    `json:"secret"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// RotateWebhookSecret gives a subscription a new signing secret, returned
// once. The previous secret keeps signing deliveries (a second signature)
// for grace, 0 to MaxWebhookGrace; zero drops it at once (a leaked
// secret). The change is audited (action rotate-secret, no secret in the
// entry) and bumps the subscription's revision; it commits first, then the
// previous and the new secret are written: a failure there is returned
// and the rotation can be retried (until then the current secret still
// signs). Of two concurrent rotations the later one wins; the secret the
// earlier one returned may not be kept as the previous one.
func (c *Catalog) RotateWebhookSecret(ctx context.Context, tenant string, actor Actor, id string, grace time.Duration) (*model.WebhookSubscription, string, error) {
	if grace < 0 || grace > MaxWebhookGrace {
		var errs model.Errors
		errs.Add("/graceSeconds", "must be between 0 and %d seconds", int64(MaxWebhookGrace/time.Second))
		return nil, "", errs.Problem()
	}
	secret, err := webhook.NewSecret(rand.Reader)
	if err != nil {
		return nil, "", err
	}
	var expires time.Time
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		old, err := c.GetWebhook(ctx, tenant, id)
		if err != nil {
			return change{}, err
		}
		nv := *old
		now := c.now().UTC()
		nv.PreviousSecretExpiresAt = nil
		if grace > 0 {
			expires = now.Add(grace)
			nv.PreviousSecretExpiresAt = &expires
		}
		nv.Revision = old.Revision + 1
		nv.UpdatedAt, nv.UpdatedBy = now, actor.Subject
		op, err := putOp(tenant, pfxWebhook+id, &nv, &nv.Meta, store.IfVersion(old.Revision))
		if err != nil {
			return change{}, err
		}
		return change{ops: []store.WriteOp{op}, result: &nv,
			audit: model.AuditEntry{Action: "rotate-secret", ResourceType: "webhook", Resource: "webhook/" + id, Before: rawJSON(old), After: rawJSON(&nv)}}, nil
	})
	if err != nil {
		return nil, "", err
	}
	if grace > 0 {
		cur, err := c.internalSecret(ctx, tenant, secretKindWebhook, id, pfxWebhookSecret+id)
		if err != nil {
			return nil, "", fmt.Errorf("rotate webhook secret: read the current one: %w", err)
		}
		v, err := json.Marshal(previousSecret{Secret: cur, ExpiresAt: expires})
		if err != nil {
			return nil, "", fmt.Errorf("encode previous webhook secret: %w", err)
		}
		if err := c.putInternalSecret(ctx, tenant, secretKindWebhookPrevious, id, pfxWebhookPrevSecret+id, string(v)); err != nil {
			return nil, "", fmt.Errorf("rotate webhook secret: %w", err)
		}
	} else if err := c.deleteInternalSecret(ctx, tenant, secretKindWebhookPrevious, id, pfxWebhookPrevSecret+id); err != nil {
		return nil, "", fmt.Errorf("rotate webhook secret: %w", err)
	}
	if err := c.putInternalSecret(ctx, tenant, secretKindWebhook, id, pfxWebhookSecret+id, secret); err != nil {
		return nil, "", fmt.Errorf("rotate webhook secret: %w", err)
	}
	return res.(*model.WebhookSubscription), secret, nil
}

// previousWebhookSecret returns the previous secret of subscription s
// while its grace period lasts at now, "" otherwise. An expired one is
// deleted (once per process): from the secrets store only when there is
// one, since the dispatcher may not write configuration partitions.
func (c *Catalog) previousWebhookSecret(ctx context.Context, tenant string, s *model.WebhookSubscription, now time.Time) (string, error) {
	exp := s.PreviousSecretExpiresAt
	if exp == nil {
		return "", nil
	}
	if !now.Before(*exp) {
		c.sweepPrevious(ctx, tenant, s.ID, *exp)
		return "", nil
	}
	v, err := c.internalSecret(ctx, tenant, secretKindWebhookPrevious, s.ID, pfxWebhookPrevSecret+s.ID)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var p previousSecret
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return "", fmt.Errorf("decode previous secret of webhook %s: %w", s.ID, err)
	}
	if !now.Before(p.ExpiresAt) {
		return "", nil // the stored expiry is the one that counts
	}
	return p.Secret, nil
}

// sweepPrevious deletes an expired previous secret, once per process and
// expiry. A failure is left for a later rotation or the subscription's
// deletion, which delete it too.
func (c *Catalog) sweepPrevious(ctx context.Context, tenant, id string, exp time.Time) {
	key := tenant + "/" + id + "/" + exp.UTC().Format(time.RFC3339Nano)
	if !c.swept.first(key) {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if c.secrets != nil {
		_ = c.secrets.Delete(ctx, tenant, secrets.Internal(secretKindWebhookPrevious, id))
		return
	}
	_ = c.st.Delete(ctx, store.Key{PK: TenantPK(tenant), SK: pfxWebhookPrevSecret + id}, store.Cond{})
}

// maxSwept bounds sweptSecrets.
const maxSwept = 10000

// sweptSecrets is a bounded set of keys.
type sweptSecrets struct {
	mu sync.Mutex
	m  map[string]struct{}
}

// first reports whether key was not in the set, and adds it.
func (s *sweptSecrets) first(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[key]; ok {
		return false
	}
	if s.m == nil || len(s.m) >= maxSwept {
		s.m = make(map[string]struct{})
	}
	s.m[key] = struct{}{}
	return true
}

// WebhookTarget returns one subscription with its secrets for delivery,
// whether or not it is enabled or wants any event (the test send).
func (c *Catalog) WebhookTarget(ctx context.Context, tenant, id string) (webhook.Subscription, error) {
	s, err := c.GetWebhook(ctx, tenant, id)
	if err != nil {
		return webhook.Subscription{}, err
	}
	now := c.now()
	c.freshenWebhookSecrets(tenant, s, now)
	sec, err := c.internalSecret(ctx, tenant, secretKindWebhook, s.ID, pfxWebhookSecret+s.ID)
	if err != nil {
		return webhook.Subscription{}, err
	}
	prev, err := c.previousWebhookSecret(ctx, tenant, s, now)
	if err != nil {
		return webhook.Subscription{}, err
	}
	return webhook.Subscription{ID: s.ID, URL: s.URL, Secret: sec, Previous: prev}, nil
}

// secretInvalidator is implemented by secrets.Cache.
type secretInvalidator interface {
	Invalidate(tenant, name string)
}

// freshWindow is how long after a subscription changed its secrets are
// read past the secrets cache: longer than the cache keeps a value, so a
// rotation made by another instance (management) is used by this one
// (the dispatcher) from its next delivery, not up to a cache lifetime
// later, and a read racing the rotation's secret writes is not kept.
const freshWindow = secrets.DefaultTTL + time.Minute

// freshenWebhookSecrets drops the cached secrets of s when it changed
// within freshWindow (a rotation bumps its revision and UpdatedAt).
func (c *Catalog) freshenWebhookSecrets(tenant string, s *model.WebhookSubscription, now time.Time) {
	inv, ok := c.secrets.(secretInvalidator)
	if !ok || now.Sub(s.UpdatedAt) >= freshWindow {
		return
	}
	inv.Invalidate(tenant, secrets.Internal(secretKindWebhook, s.ID))
	inv.Invalidate(tenant, secrets.Internal(secretKindWebhookPrevious, s.ID))
}
