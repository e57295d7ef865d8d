package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// Key layout of caller credentials.
const (
	// pfxKey + consumer + "#" + key id: an API key, listed per consumer.
	pfxKey = "KEY#"
	// gsiKeyHash + hex SHA-256 of the secret: the GSI1 partition a key is
	// found by when a request presents it. The hash is of a 256-bit random
	// secret, so it is not reversible and needs no salt.
	gsiKeyHash = "KEYHASH#"
	pfxJWT     = "JWT#"
	pfxClient  = "CLIENT#"
)

func keySK(consumer, id string) string { return pfxKey + consumer + "#" + id }

// storedKey is the stored form of an API key: the key plus what the
// gateway's lookup needs. Hash never leaves the catalog in a listing.
type storedKey struct {
	model.APIKey
	Tenant string `json:"tenant"`
	Hash   string `json:"hash"`
}

// CreateAPIKey stores a key issued to consumer. hash is the hex SHA-256 of
// the secret (the caller generates the secret and shows it once). Scopes,
// plan, name and expiry come from k; id, prefix and status are set here
// (prefix from the argument).
func (c *Catalog) CreateAPIKey(ctx context.Context, tenant string, actor Actor, consumer string, k *model.APIKey, prefix, hash string) (*model.APIKey, error) {
	if p := model.ValidateAPIKey(k, c.now()).Problem(); p != nil {
		return nil, p
	}
	if hash == "" || prefix == "" {
		return nil, errors.New("create api key: hash and prefix are required")
	}
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		if _, err := c.GetConsumer(ctx, tenant, consumer); err != nil {
			return change{}, err
		}
		nk := *k
		nk.ID = "k" + newID()
		nk.Consumer, nk.Prefix, nk.Status, nk.RevokedAt = consumer, prefix, model.KeyActive, nil
		nk.Meta = c.stamp()
		nk.Revision = 1
		nk.CreatedBy, nk.UpdatedBy = actor.Subject, actor.Subject
		data, err := marshal(storedKey{APIKey: nk, Tenant: tenant, Hash: hash})
		if err != nil {
			return change{}, err
		}
		op := store.WriteOp{Put: &store.Item{PK: TenantPK(tenant), SK: keySK(consumer, nk.ID), GSI1PK: gsiKeyHash + hash, GSI1SK: "KEY",
			Version: 1, Data: data}, Cond: store.IfAbsent()}
		return change{ops: []store.WriteOp{op}, result: &nk, audit: model.AuditEntry{Action: "create", ResourceType: "apiKey",
			Resource: keyResource(consumer, nk.ID), After: rawJSON(&nk)}}, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*model.APIKey), nil
}

func keyResource(consumer, id string) string { return "consumer/" + consumer + "/key/" + id }

func (c *Catalog) getStoredKey(ctx context.Context, tenant, consumer, id string) (*storedKey, error) {
	if !model.ValidSlug(consumer) || id == "" {
		return nil, fmt.Errorf("key %q: %w", id, ErrNotFound)
	}
	return getItem[storedKey](ctx, c.st, tenant, keySK(consumer, id))
}

// GetAPIKey returns one key of a consumer (never its hash).
func (c *Catalog) GetAPIKey(ctx context.Context, tenant, consumer, id string) (*model.APIKey, error) {
	sk, err := c.getStoredKey(ctx, tenant, consumer, id)
	if err != nil {
		return nil, err
	}
	return &sk.APIKey, nil
}

// ListAPIKeys returns one page of a consumer's keys, active and revoked.
// An unknown consumer is ErrNotFound.
func (c *Catalog) ListAPIKeys(ctx context.Context, tenant, consumer string, limit int, cursor string) ([]model.APIKey, string, error) {
	if _, err := c.GetConsumer(ctx, tenant, consumer); err != nil {
		return nil, "", err
	}
	items, next, err := listItems[storedKey](ctx, c.st, tenant, pfxKey+consumer+"#", limit, cursor)
	if err != nil {
		return nil, "", err
	}
	out := make([]model.APIKey, len(items))
	for i := range items {
		out[i] = items[i].APIKey
	}
	return out, next, nil
}

// RevokeAPIKey marks a key revoked and returns it with the hash of its
// secret, so that in-process caches can forget it at once. Revoking a
// revoked key is a conflict.
func (c *Catalog) RevokeAPIKey(ctx context.Context, tenant string, actor Actor, consumer, id string) (*model.APIKey, string, error) {
	var hash string
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		old, err := c.getStoredKey(ctx, tenant, consumer, id)
		if err != nil {
			return change{}, err
		}
		if old.Status == model.KeyRevoked {
			return change{}, &ConflictError{Pointer: "/status", Detail: "the key is already revoked", Err: ErrExists}
		}
		nk := *old
		now := c.now().UTC()
		nk.Status, nk.RevokedAt = model.KeyRevoked, &now
		nk.Revision = old.Revision + 1
		nk.UpdatedAt, nk.UpdatedBy = now, actor.Subject
		data, err := marshal(&nk)
		if err != nil {
			return change{}, err
		}
		hash = old.Hash
		op := store.WriteOp{Put: &store.Item{PK: TenantPK(tenant), SK: keySK(consumer, id), GSI1PK: gsiKeyHash + old.Hash, GSI1SK: "KEY",
			Version: nk.Revision, Data: data}, Cond: store.IfVersion(old.Revision)}
		return change{ops: []store.WriteOp{op}, result: &nk.APIKey, audit: model.AuditEntry{Action: "revoke", ResourceType: "apiKey",
			Resource: keyResource(consumer, id), Before: rawJSON(&old.APIKey), After: rawJSON(&nk.APIKey)}}, nil
	})
	if err != nil {
		return nil, "", err
	}
	c.keyRevoked.call(hash)
	return res.(*model.APIKey), hash, nil
}

// OnKeyRevoked registers fn to be told the hex hash of every API key this
// Catalog revokes, after the revocation commits: an in-process gateway
// uses it to forget the key at once instead of within its cache TTL.
func (c *Catalog) OnKeyRevoked(fn func(hash string)) { c.keyRevoked.add(fn) }

// hooks is a list of callbacks, safe for concurrent use.
type hooks struct {
	mu  sync.Mutex
	fns []func(string)
}

func (h *hooks) add(fn func(string)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fns = append(h.fns, fn)
}

func (h *hooks) call(arg string) {
	h.mu.Lock()
	fns := h.fns
	h.mu.Unlock()
	for _, fn := range fns {
		fn(arg)
	}
}

// KeyMatch is the key a secret's hash belongs to, and its tenant.
type KeyMatch struct {
	Tenant string
	Key    model.APIKey
}

// FindAPIKey returns the key whose secret hashes to hash (hex SHA-256),
// whatever its tenant or status: the caller decides. One index query.
// No such key is ErrNotFound.
func (c *Catalog) FindAPIKey(ctx context.Context, hash string) (*KeyMatch, error) {
	if len(hash) != 64 {
		return nil, fmt.Errorf("api key: %w", ErrNotFound)
	}
	page, err := c.st.QueryIndex(ctx, store.IndexQuery{PK: gsiKeyHash + hash, Limit: 2})
	if err != nil {
		return nil, fmt.Errorf("find api key: %w", err)
	}
	if len(page.Items) != 1 {
		// Two keys with one hash would mean a broken generator: trust neither.
		return nil, fmt.Errorf("api key: %w", ErrNotFound)
	}
	var sk storedKey
	if err := json.Unmarshal(page.Items[0].Data, &sk); err != nil {
		return nil, fmt.Errorf("decode api key: %w", err)
	}
	if sk.Hash != hash || sk.Tenant == "" {
		return nil, fmt.Errorf("api key: %w", ErrNotFound)
	}
	// A deleted consumer's keys stop working with it.
	if _, err := c.GetConsumer(ctx, sk.Tenant, sk.Consumer); err != nil {
		return nil, fmt.Errorf("api key consumer: %w", err)
	}
	return &KeyMatch{Tenant: sk.Tenant, Key: sk.APIKey}, nil
}

var jwtIssuerKind = kind[model.JWTIssuer]{name: "jwtIssuer", prefix: pfxJWT,
	id: func(v *model.JWTIssuer) string { return v.Slug }, meta: func(v *model.JWTIssuer) *model.Meta { return &v.Meta },
	validate: func(v *model.JWTIssuer) model.Errors { return model.ValidateJWTIssuer(v) }}

// CreateJWTIssuer adds an identity provider the tenant trusts.
func (c *Catalog) CreateJWTIssuer(ctx context.Context, tenant string, actor Actor, v *model.JWTIssuer) (*model.JWTIssuer, error) {
	if err := c.checkJWTIssuer(ctx, v); err != nil {
		return nil, err
	}
	v, secret := withoutSecret(v)
	if v.Introspection != nil && secret == "" {
		return nil, model.Errors{{Pointer: "/introspection/clientSecret", Detail: "is required"}}.Problem()
	}
	out, err := create(ctx, c, jwtIssuerKind, tenant, actor, v, nil)
	if err != nil {
		return nil, err
	}
	return out, c.saveJWTSecret(ctx, tenant, out.Slug, secret)
}

// GetJWTIssuer returns a trusted issuer.
func (c *Catalog) GetJWTIssuer(ctx context.Context, tenant, slug string) (*model.JWTIssuer, error) {
	if !model.ValidSlug(slug) {
		return nil, fmt.Errorf("jwt issuer %q: %w", slug, ErrNotFound)
	}
	return getItem[model.JWTIssuer](ctx, c.st, tenant, pfxJWT+slug)
}

// ListJWTIssuers returns one page of trusted issuers.
func (c *Catalog) ListJWTIssuers(ctx context.Context, tenant string, limit int, cursor string) ([]model.JWTIssuer, string, error) {
	return listItems[model.JWTIssuer](ctx, c.st, tenant, pfxJWT, limit, cursor)
}

// JWTIssuers returns every trusted issuer of a tenant (for the gateway).
func (c *Catalog) JWTIssuers(ctx context.Context, tenant string) ([]model.JWTIssuer, error) {
	return listAll[model.JWTIssuer](ctx, c.st, tenant, pfxJWT)
}

// UpdateJWTIssuer replaces a trusted issuer.
func (c *Catalog) UpdateJWTIssuer(ctx context.Context, tenant string, actor Actor, slug string, expect int64, v *model.JWTIssuer) (*model.JWTIssuer, error) {
	if err := c.checkJWTIssuer(ctx, v); err != nil {
		return nil, err
	}
	v, secret := withoutSecret(v)
	if v.Introspection != nil && secret == "" {
		// Keep the stored secret; without one, introspection cannot work.
		has, err := c.hasJWTSecret(ctx, tenant, slug)
		if err != nil {
			return nil, err
		}
		if !has {
			return nil, model.Errors{{Pointer: "/introspection/clientSecret", Detail: "is required"}}.Problem()
		}
		v.Introspection.HasSecret = true
	}
	out, err := update(ctx, c, jwtIssuerKind, tenant, actor, slug, expect, v, nil)
	if err != nil {
		return nil, err
	}
	if v.Introspection == nil {
		return out, c.deleteJWTSecret(ctx, tenant, slug)
	}
	return out, c.saveJWTSecret(ctx, tenant, slug, secret)
}

// DeleteJWTIssuer removes a trusted issuer; its tokens stop verifying.
func (c *Catalog) DeleteJWTIssuer(ctx context.Context, tenant string, actor Actor, slug string, expect int64) error {
	if err := remove(ctx, c, jwtIssuerKind, tenant, actor, slug, expect, nil); err != nil {
		return err
	}
	return c.deleteJWTSecret(ctx, tenant, slug)
}

// storedClient is the stored form of an OAuth2 client, with its secret's hash.
type storedClient struct {
	model.OAuthClient
	Hash string `json:"hash"`
}

// CreateOAuthClient stores a client issued to consumer; hash is the hex
// SHA-256 of its secret (generated and shown once by the caller).
func (c *Catalog) CreateOAuthClient(ctx context.Context, tenant string, actor Actor, consumer string, v *model.OAuthClient, hash string) (*model.OAuthClient, error) {
	if p := model.ValidateOAuthClient(v).Problem(); p != nil {
		return nil, p
	}
	if hash == "" {
		return nil, errors.New("create oauth client: hash is required")
	}
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		if _, err := c.GetConsumer(ctx, tenant, consumer); err != nil {
			return change{}, err
		}
		nc := *v
		nc.ID = "c" + newID()
		nc.Consumer, nc.Status, nc.RevokedAt = consumer, model.KeyActive, nil
		nc.Meta = c.stamp()
		nc.Revision = 1
		nc.CreatedBy, nc.UpdatedBy = actor.Subject, actor.Subject
		data, err := marshal(storedClient{OAuthClient: nc, Hash: hash})
		if err != nil {
			return change{}, err
		}
		op := store.WriteOp{Put: &store.Item{PK: TenantPK(tenant), SK: pfxClient + nc.ID, Version: 1, Data: data}, Cond: store.IfAbsent()}
		return change{ops: []store.WriteOp{op}, result: &nc, audit: model.AuditEntry{Action: "create", ResourceType: "oauthClient",
			Resource: "consumer/" + consumer + "/client/" + nc.ID, After: rawJSON(&nc)}}, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*model.OAuthClient), nil
}

// OAuthClient returns a client and the hash of its secret, for the token
// endpoint. An unknown client is ErrNotFound.
func (c *Catalog) OAuthClient(ctx context.Context, tenant, id string) (*model.OAuthClient, string, error) {
	if !model.ValidSlug(tenant) || id == "" || len(id) > 64 {
		return nil, "", fmt.Errorf("client %q: %w", id, ErrNotFound)
	}
	sc, err := getItem[storedClient](ctx, c.st, tenant, pfxClient+id)
	if err != nil {
		return nil, "", err
	}
	// A deleted consumer's clients stop working with it.
	if _, err := c.GetConsumer(ctx, tenant, sc.Consumer); err != nil {
		return nil, "", fmt.Errorf("oauth client consumer: %w", err)
	}
	return &sc.OAuthClient, sc.Hash, nil
}

// ListOAuthClients returns a consumer's clients.
func (c *Catalog) ListOAuthClients(ctx context.Context, tenant, consumer string) ([]model.OAuthClient, error) {
	if _, err := c.GetConsumer(ctx, tenant, consumer); err != nil {
		return nil, err
	}
	all, err := listAll[storedClient](ctx, c.st, tenant, pfxClient)
	if err != nil {
		return nil, err
	}
	out := []model.OAuthClient{}
	for _, sc := range all {
		if sc.Consumer == consumer {
			out = append(out, sc.OAuthClient)
		}
	}
	return out, nil
}

// RevokeOAuthClient revokes a consumer's client: the token endpoint refuses
// it at once; tokens already issued live until they expire (minutes).
func (c *Catalog) RevokeOAuthClient(ctx context.Context, tenant string, actor Actor, consumer, id string) (*model.OAuthClient, error) {
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		old, err := getItem[storedClient](ctx, c.st, tenant, pfxClient+id)
		if err != nil {
			return change{}, err
		}
		if old.Consumer != consumer {
			return change{}, fmt.Errorf("client %q: %w", id, ErrNotFound)
		}
		if old.Status == model.KeyRevoked {
			return change{}, &ConflictError{Pointer: "/status", Detail: "the client is already revoked", Err: ErrExists}
		}
		nc := *old
		now := c.now().UTC()
		nc.Status, nc.RevokedAt = model.KeyRevoked, &now
		nc.Revision = old.Revision + 1
		nc.UpdatedAt, nc.UpdatedBy = now, actor.Subject
		data, err := marshal(&nc)
		if err != nil {
			return change{}, err
		}
		op := store.WriteOp{Put: &store.Item{PK: TenantPK(tenant), SK: pfxClient + id, Version: nc.Revision, Data: data}, Cond: store.IfVersion(old.Revision)}
		return change{ops: []store.WriteOp{op}, result: &nc.OAuthClient, audit: model.AuditEntry{Action: "revoke", ResourceType: "oauthClient",
			Resource: "consumer/" + consumer + "/client/" + id, Before: rawJSON(&old.OAuthClient), After: rawJSON(&nc.OAuthClient)}}, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*model.OAuthClient), nil
}

// RecordSecurityEvent appends an entry to the tenant's audit trail without
// changing its configuration (no config version bump): the gateway's
// detection of failed-authentication bursts (at most one entry per subject
// and detection window).
func (c *Catalog) RecordSecurityEvent(ctx context.Context, tenant string, e model.AuditEntry) error {
	if !model.ValidSlug(tenant) {
		return fmt.Errorf("tenant %q: %w", tenant, ErrNotFound)
	}
	now := c.now().UTC()
	e.ID, e.Time = newID(), now
	if e.ResourceType == "" {
		e.ResourceType = "security"
	}
	data, err := marshal(&e)
	if err != nil {
		return err
	}
	it := store.Item{PK: TenantPK(tenant), SK: auditSK(now, e.ID), Data: data}
	if err := c.st.Put(ctx, it, store.IfAbsent()); err != nil {
		return fmt.Errorf("record security event: %w", err)
	}
	return nil
}
