package catalog

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/secrets"
	"github.com/portico/portico/internal/store"
)

// SecretStore is the secrets port as the catalog uses it; secrets.Store
// (and its Cache, which the writing instance invalidates at once) satisfy
// it.
type SecretStore interface {
	Get(ctx context.Context, tenant, name string) (string, error)
	Put(ctx context.Context, tenant, name, value string) (secrets.Metadata, error)
	Delete(ctx context.Context, tenant, name string) error
}

// SecretSource returns the secrets store (Config.Secrets) for the
// integration engines' call-time reads; nil without one.
func (c *Catalog) SecretSource() SecretStore {
	if c.secrets == nil {
		return nil
	}
	return c.secrets
}

// ErrNoSecrets means the catalog was built without a secrets store.
var ErrNoSecrets = errors.New("catalog: no secrets store is configured")

// pfxSecret keys a tenant secret's configuration record (model.Secret):
// its name and bookkeeping, so that the existence check of an
// integration's auth.secret and the in-use check of a deletion are part of
// the tenant-serialised commit. The value lives in the secrets store.
const pfxSecret = "SECRET#"

// Internal secret kinds (secrets.Internal).
const (
	secretKindIntrospection = "jwt-introspection"
	secretKindWebhook       = "webhook"
)

// PutSecret creates or replaces a tenant secret. The audit entry and the
// configuration record commit first, then the value is written to the
// secrets store: a failure there is returned (the caller retries the
// idempotent PUT) and never leaves a value changed without an audit entry.
// The value is in no audit entry, log line or answer. created reports
// whether the secret is new.
func (c *Catalog) PutSecret(ctx context.Context, tenant string, actor Actor, name, value string) (_ *model.Secret, created bool, _ error) {
	var errs model.Errors
	if !secrets.ValidName(name) {
		errs.Add("/name", "must be 1-64 letters, digits, '-' or '_', starting with a letter or digit")
	}
	if err := secrets.CheckValue(value); err != nil {
		errs.Add("/value", "is required: a UTF-8 string of 1 to %d bytes", secrets.MaxValueLen)
	}
	if p := errs.Problem(); p != nil {
		return nil, false, p
	}
	if c.secrets == nil {
		return nil, false, ErrNoSecrets
	}
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		old, err := getItem[model.Secret](ctx, c.st, tenant, pfxSecret+name)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return change{}, err
		}
		nv := model.Secret{Name: name}
		audit := model.AuditEntry{Action: "create", ResourceType: "secret", Resource: "secret/" + name}
		cond := store.IfAbsent()
		if old != nil {
			nv.Meta = old.Meta
			nv.Revision++
			nv.UpdatedAt, nv.UpdatedBy = c.now().UTC(), actor.Subject
			audit.Action, audit.Before, cond = "update", rawJSON(old), store.IfVersion(old.Revision)
		} else {
			nv.Meta = c.stamp()
			nv.Revision = 1
			nv.CreatedBy, nv.UpdatedBy = actor.Subject, actor.Subject
		}
		audit.After = rawJSON(&nv)
		op, err := putOp(tenant, pfxSecret+name, &nv, &nv.Meta, cond)
		if err != nil {
			return change{}, err
		}
		return change{ops: []store.WriteOp{op}, result: &nv, audit: audit}, nil
	})
	if err != nil {
		return nil, false, err
	}
	out := res.(*model.Secret)
	if _, err := c.secrets.Put(ctx, tenant, name, value); err != nil {
		return nil, false, fmt.Errorf("write secret %q: %w", name, err)
	}
	return out, out.Revision == 1, nil
}

// GetSecret returns a tenant secret's record (never its value).
func (c *Catalog) GetSecret(ctx context.Context, tenant, name string) (*model.Secret, error) {
	return getItem[model.Secret](ctx, c.st, tenant, pfxSecret+name)
}

// ListSecrets returns one page of a tenant's secret records, by name.
func (c *Catalog) ListSecrets(ctx context.Context, tenant string, limit int, cursor string) ([]model.Secret, string, error) {
	return listItems[model.Secret](ctx, c.st, tenant, pfxSecret, limit, cursor)
}

// DeleteSecret deletes a tenant secret nothing references (secretRefs;
// else a ConflictError naming the references, ErrInUse). The record and
// audit entry commit first; then the value is deleted from the secrets
// store.
func (c *Catalog) DeleteSecret(ctx context.Context, tenant string, actor Actor, name string) error {
	if c.secrets == nil {
		return ErrNoSecrets
	}
	_, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		old, err := c.GetSecret(ctx, tenant, name)
		if err != nil {
			return change{}, err
		}
		var uses []string
		for _, ref := range c.secretRefs() {
			users, err := ref.users(ctx, tenant, name)
			if err != nil {
				return change{}, err
			}
			if len(users) > 0 {
				uses = append(uses, ref.kind+" "+strings.Join(users, ", "))
			}
		}
		if len(uses) > 0 {
			return change{}, &ConflictError{
				Detail: fmt.Sprintf("secret %q is used by %s; change them first", name, strings.Join(uses, "; ")),
				Err:    ErrInUse,
			}
		}
		return change{
			ops:   []store.WriteOp{{Delete: &store.Key{PK: TenantPK(tenant), SK: pfxSecret + name}, Cond: store.IfVersion(old.Revision)}},
			audit: model.AuditEntry{Action: "delete", ResourceType: "secret", Resource: "secret/" + name, Before: rawJSON(old)},
		}, nil
	})
	if err != nil {
		return err
	}
	if err := c.secrets.Delete(ctx, tenant, name); err != nil && !errors.Is(err, secrets.ErrNotFound) {
		return fmt.Errorf("delete secret %q: %w", name, err)
	}
	return nil
}

// secretRef is one kind of resource that may reference a tenant secret:
// users lists the referencing resources, sorted.
type secretRef struct {
	kind  string
	users func(ctx context.Context, tenant, name string) ([]string, error)
}

// secretRefs is every kind of reference DeleteSecret checks; a resource
// that starts naming secrets adds its lister here.
func (c *Catalog) secretRefs() []secretRef {
	return []secretRef{{"integration(s)", c.integrationSecretUsers}, {"webhook endpoint(s)", c.endpointSecretUsers}}
}

// integrationSecretUsers returns the slugs of the integrations whose auth
// names the secret, sorted.
func (c *Catalog) integrationSecretUsers(ctx context.Context, tenant, name string) ([]string, error) {
	ins, err := listAll[model.Integration](ctx, c.st, tenant, pfxInt)
	if err != nil {
		return nil, err
	}
	var users []string
	for _, in := range ins {
		if in.Auth != nil && in.Auth.Secret == name {
			users = append(users, in.Slug)
		}
	}
	slices.Sort(users)
	return users, nil
}

// checkIntegrationSecret runs inside an integration's commit: its
// auth.secret must name an existing secret.
func (c *Catalog) checkIntegrationSecret(ctx context.Context, tenant string, in *model.Integration) error {
	if in.Auth == nil {
		return nil
	}
	_, err := c.GetSecret(ctx, tenant, in.Auth.Secret)
	if errors.Is(err, ErrNotFound) {
		var errs model.Errors
		errs.Add("/auth/secret", "names no secret of this tenant; create it first (PUT /admin/v1/secrets/%s)", in.Auth.Secret)
		return errs.Problem()
	}
	return err
}

// internalSecret reads one of Portico's own secrets of the tenant
// (secrets.Internal) from the secrets store, falling back to the clear item
// written before the port existed (legacySK) so that nothing stored then
// stops working. Without a secrets store only the item is read.
func (c *Catalog) internalSecret(ctx context.Context, tenant, kind, id, legacySK string) (string, error) {
	if c.secrets != nil {
		v, err := c.secrets.Get(ctx, tenant, secrets.Internal(kind, id))
		switch {
		case err == nil:
			return v, nil
		case !errors.Is(err, secrets.ErrNotFound):
			return "", fmt.Errorf("read %s secret %q: %w", kind, id, err)
		}
	}
	s, err := getItem[legacySecret](ctx, c.st, tenant, legacySK)
	if err != nil {
		return "", err
	}
	return s.Secret, nil
}

// legacySecret is the clear item of an introspection or webhook secret
// (JWTSEC#, WHSEC#).
type legacySecret struct {
	Secret string `json:"secret"`
}

// putInternalSecret stores one of Portico's own secrets: in the secrets
// store, or without one in the clear item (legacySK).
func (c *Catalog) putInternalSecret(ctx context.Context, tenant, kind, id, legacySK, value string) error {
	if c.secrets != nil {
		if _, err := c.secrets.Put(ctx, tenant, secrets.Internal(kind, id), value); err != nil {
			return fmt.Errorf("store %s secret %q: %w", kind, id, err)
		}
		return nil
	}
	data, err := marshal(&legacySecret{Secret: value})
	if err != nil {
		return err
	}
	if err := c.st.Put(ctx, store.Item{PK: TenantPK(tenant), SK: legacySK, Version: 1, Data: data}, store.Cond{}); err != nil {
		return fmt.Errorf("store %s secret %q: %w", kind, id, err)
	}
	return nil
}

// deleteInternalSecret deletes one of Portico's own secrets wherever it is.
func (c *Catalog) deleteInternalSecret(ctx context.Context, tenant, kind, id, legacySK string) error {
	if c.secrets != nil {
		if err := c.secrets.Delete(ctx, tenant, secrets.Internal(kind, id)); err != nil && !errors.Is(err, secrets.ErrNotFound) {
			return fmt.Errorf("delete %s secret %q: %w", kind, id, err)
		}
	}
	if err := c.st.Delete(ctx, store.Key{PK: TenantPK(tenant), SK: legacySK}, store.Cond{}); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete %s secret %q: %w", kind, id, err)
	}
	return nil
}

// newWebhookSecret makes a subscription's signing secret and, with a
// secrets store, stores it there before the subscription commits; the
// returned op writes the clear item instead when there is none (nil op
// otherwise).
func (c *Catalog) newWebhookSecret(ctx context.Context, tenant, id string) (secret string, op *store.WriteOp, err error) {
	secret, err = webhook.NewSecret(rand.Reader)
	if err != nil {
		return "", nil, err
	}
	if c.secrets != nil {
		if err := c.putInternalSecret(ctx, tenant, secretKindWebhook, id, pfxWebhookSecret+id, secret); err != nil {
			return "", nil, err
		}
		return secret, nil, nil
	}
	sop, err := putOp(tenant, pfxWebhookSecret+id, &legacySecret{Secret: secret}, &model.Meta{Revision: 1}, store.IfAbsent())
	if err != nil {
		return "", nil, err
	}
	return secret, &sop, nil
}
