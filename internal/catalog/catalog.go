// Package catalog persists a tenant's configuration (APIs, versions,
// endpoints, integrations, consumers, members) in the single-table store.
//
// Every change is one store transaction that writes the item, its audit
// entry, and the tenant's configuration version (the META item) with an
// optimistic check. The META check serialises a tenant's configuration
// writes, so cross-item invariants (no conflicting routes, no deleting an
// integration still in use) hold under concurrency; the per-item revision
// check turns a stale update into ErrStale and changes nothing. The gateway
// polls the META version to know when its snapshot is out of date.
package catalog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// Sentinel errors; the management API maps them to HTTP statuses.
var (
	// ErrNotFound means the tenant or resource does not exist.
	ErrNotFound = errors.New("catalog: not found")
	// ErrExists means a resource with the same identifier already exists.
	ErrExists = errors.New("catalog: already exists")
	// ErrStale means the caller's expected revision is not the stored one.
	ErrStale = errors.New("catalog: revision is stale")
	// ErrInUse means the resource is referenced and cannot be deleted.
	ErrInUse = errors.New("catalog: resource in use")
	// ErrBusy means concurrent writers kept winning; the caller may retry.
	ErrBusy = errors.New("catalog: too much contention, retry")
)

// ConflictError explains a refused change (duplicate route, invalid
// transition, resource in use) with the field it concerns. It wraps ErrExists
// or ErrInUse or ErrStale.
type ConflictError struct {
	Pointer string
	Detail  string
	Err     error
}

func (e *ConflictError) Error() string { return "catalog: " + e.Detail }

// Unwrap returns the sentinel.
func (e *ConflictError) Unwrap() error { return e.Err }

// Actor is who makes a change, recorded in the audit trail.
type Actor struct {
	Subject   string
	Role      string
	RequestID string
}

// Config configures a Catalog.
type Config struct {
	Store store.Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CheckUpstreamURL, when set, vets integration URLs at save time (the
	// SSRF guard, ssrf.Guard.CheckURL); its error text is shown to the
	// tenant under the pointer /url.
	CheckUpstreamURL func(ctx context.Context, rawURL string) error
	// Secrets holds tenant secrets, introspection client secrets and
	// webhook signing secrets (secret.go); nil keeps the latter two in
	// clear items of the tenant's partition, as before the port, and
	// refuses tenant secrets.
	Secrets SecretStore
}

// Catalog is the configuration repository. It is safe for concurrent use.
type Catalog struct {
	st  store.Store
	now func() time.Time
	// secrets is Config.Secrets (secret.go).
	secrets SecretStore
	// keyRevoked are told about API key revocations (credential.go).
	keyRevoked hooks
	checkURL   func(ctx context.Context, rawURL string) error // upstream.go
	// queued are told about committed changes that queued a webhook
	// message; wantsCache answers whether one must be queued (outbox.go).
	queued     hooks
	wantsCache wantsCache
	// swept remembers expired previous webhook secrets already deleted
	// (webhook_rotate.go).
	swept sweptSecrets
	// runModule runs wasm transforms' test cases (module.go).
	runModule atomic.Pointer[ModuleRunner]
}

// New returns a Catalog.
func New(cfg Config) (*Catalog, error) {
	if cfg.Store == nil {
		return nil, errors.New("catalog: Config.Store is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Catalog{st: cfg.Store, now: cfg.Now, checkURL: cfg.CheckUpstreamURL, secrets: cfg.Secrets}, nil
}

// Key layout of the single table.
const (
	skMeta     = "META"
	pfxAPI     = "API#"
	pfxVersion = "VER#"
	pfxEP      = "EP#"
	pfxInt     = "INT#"
	pfxCon     = "CON#"
	pfxMember  = "MEM#"
	pfxAudit   = "AUDIT#"
	gsiTenants = "TENANTS"
)

// TenantPK is the partition key of everything a tenant owns.
func TenantPK(tenant string) string { return "TENANT#" + tenant }

const maxAttempts = 8

// change is what one mutation writes besides META and the audit entry.
type change struct {
	ops []store.WriteOp
	// metaData, when set, replaces the tenant document stored in META.
	metaData []byte
	audit    model.AuditEntry
	result   any
}

// commit runs build against the current META item and writes its ops, the
// audit entry and META+1 atomically, retrying when another writer of the same
// tenant got in first.
func (c *Catalog) commit(ctx context.Context, tenant string, actor Actor, build func(ctx context.Context) (change, error)) (any, error) {
	pk := TenantPK(tenant)
	for range maxAttempts {
		meta, err := c.st.Get(ctx, store.Key{PK: pk, SK: skMeta})
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("tenant %q: %w", tenant, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("read tenant meta: %w", err)
		}
		ch, err := build(ctx)
		if err != nil {
			return nil, err
		}
		now := c.now().UTC()
		a := ch.audit
		a.ID = newID()
		a.Time = now
		a.Actor, a.ActorRole, a.RequestID = actor.Subject, actor.Role, actor.RequestID
		auditData, err := json.Marshal(a)
		if err != nil {
			return nil, fmt.Errorf("encode audit entry: %w", err)
		}
		metaNext := meta
		metaNext.Version = meta.Version + 1
		if ch.metaData != nil {
			metaNext.Data = ch.metaData
		}
		ops := append(ch.ops,
			store.WriteOp{Put: &metaNext, Cond: store.IfVersion(meta.Version)},
			store.WriteOp{Put: &store.Item{PK: pk, SK: auditSK(now, a.ID), Data: auditData}, Cond: store.IfAbsent()},
		)
		outOp, queued, err := c.outboxOp(ctx, tenant, meta.Version, a, now)
		if err != nil {
			return nil, err
		}
		if queued {
			ops = append(ops, outOp)
		}
		err = c.st.Transact(ctx, ops)
		switch {
		case err == nil:
			c.wantsCache.carry(tenant, meta.Version, ch.ops)
			if queued {
				c.queued.call(tenant)
			}
			return ch.result, nil
		case errors.Is(err, store.ErrConditionFailed):
			// Every write bumps META, so a failed condition means another
			// writer got in first: re-read and rebuild, which re-checks the
			// caller's expectations against the fresh state.
			continue
		default:
			return nil, fmt.Errorf("write %s %s: %w", a.ResourceType, a.Resource, err)
		}
	}
	return nil, ErrBusy
}

// auditTimeFormat is the fixed-width UTC time in audit sort keys, so that
// keys sort by time and ListAudit can narrow a time window to a key prefix.
const auditTimeFormat = "2006-01-02T15:04:05.000000000Z"

func auditSK(t time.Time, id string) string {
	return pfxAudit + t.Format(auditTimeFormat) + "#" + id
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ConfigVersion returns the tenant's configuration version, bumped by every
// change. It is one small read; the gateway calls it to validate snapshots.
func (c *Catalog) ConfigVersion(ctx context.Context, tenant string) (int64, error) {
	it, err := c.st.Get(ctx, store.Key{PK: TenantPK(tenant), SK: skMeta})
	if errors.Is(err, store.ErrNotFound) {
		return 0, fmt.Errorf("tenant %q: %w", tenant, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("read tenant meta: %w", err)
	}
	return it.Version, nil
}

func marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return b, nil
}

func rawJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, _ := json.Marshal(v)
	return b
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
