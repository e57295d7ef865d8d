package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// The webhook outbox (docs/integrations.md, Webhooks): a configuration
// change that a subscription wants is queued as a message in the same
// transaction as its audit entry, in the tenant's outbox partition
// (PK WHOUT#<tenant>, SK MSG#<webhook-id>), so an event exists exactly when
// its change committed. Messages not done are projected into GSI1 under
// GSI1PK WHOUT with GSI1SK "<due time>#<tenant>#<id>", which is how
// dispatchers find due messages across tenants; a done message leaves the
// index and expires after OutboxTTL.
const (
	pfxOutboxPK  = "WHOUT#"
	pfxOutboxMsg = "MSG#"
	gsiOutbox    = "WHOUT"
)

// OutboxTTL is how long a done message is kept (as long as the delivery
// log keeps its deliveries).
const OutboxTTL = DeliveryTTL

// OutboxPK is the partition key of a tenant's webhook outbox.
func OutboxPK(tenant string) string { return pfxOutboxPK + tenant }

// OutboxPartitionPrefix starts the partition key of every outbox item (the
// DynamoDB Streams filter of the webhook dispatcher).
const OutboxPartitionPrefix = pfxOutboxPK

// OutboxRef returns the message a table key (a stream record's keys)
// addresses, and false for a key outside the outbox.
func OutboxRef(pk, sk string) (webhook.MessageRef, bool) {
	tenant, ok := strings.CutPrefix(pk, pfxOutboxPK)
	if !ok || tenant == "" || !strings.HasPrefix(sk, pfxOutboxMsg) {
		return webhook.MessageRef{}, false
	}
	return webhook.MessageRef{Tenant: tenant, Key: sk}, true
}

// OutboxMessage returns the ref of a tenant's message by its webhook-id
// (the id of its deliveries in the delivery log).
func OutboxMessage(tenant, id string) webhook.MessageRef {
	return webhook.MessageRef{Tenant: tenant, Key: pfxOutboxMsg + id}
}

// OnWebhookQueued registers fn, called with the tenant after a change that
// queued a webhook message has committed (the local dispatcher's wake-up).
func (c *Catalog) OnWebhookQueued(fn func(tenant string)) { c.queued.add(fn) }

// MaxWebhooks is how many webhook subscriptions a tenant may have. It
// bounds a message's fan-out (and so its item: each target keeps its
// attempts) and the work of one dispatch.
const MaxWebhooks = 50

// checkWebhookCount refuses a new subscription past MaxWebhooks. It runs
// inside the commit, so the META check serialises it with other creations.
func (c *Catalog) checkWebhookCount(ctx context.Context, tenant string) error {
	page, err := c.st.Query(ctx, store.Query{PK: TenantPK(tenant), SKPrefix: pfxWebhook, Limit: MaxWebhooks})
	if err != nil {
		return fmt.Errorf("count webhook subscriptions: %w", err)
	}
	if len(page.Items) >= MaxWebhooks {
		return &ConflictError{Detail: fmt.Sprintf("a tenant has at most %d webhook subscriptions; delete one first", MaxWebhooks), Err: ErrInUse}
	}
	return nil
}

// maxWantsCache bounds the per-tenant subscription cache.
const maxWantsCache = 10000

// wantsCache remembers, per tenant and configuration version, which event
// types the tenant's subscriptions want. Every subscription change is a
// configuration change (it bumps the version), and a commit only succeeds
// if the version it read is still current, so an entry for the version a
// commit read is exact. A commit through this catalog that touches no
// subscription carries the entry to the next version (carry); a change
// made elsewhere (another instance) or to a subscription costs one query
// of the tenant's subscriptions at its next change.
type wantsCache struct {
	mu sync.Mutex
	m  map[string]wantsEntry
}

type wantsEntry struct {
	version int64
	types   []string // as subscribed, "*" included; only enabled subscriptions
}

func (w *wantsCache) get(tenant string, version int64) ([]string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	e, ok := w.m[tenant]
	return e.types, ok && e.version == version
}

func (w *wantsCache) put(tenant string, version int64, types []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil || len(w.m) >= maxWantsCache {
		w.m = make(map[string]wantsEntry)
	}
	w.m[tenant] = wantsEntry{version: version, types: types}
}

// carry moves the tenant's entry from version read to read+1 after a
// commit of ops that touched no subscription (most changes), so the next
// change of the tenant through this catalog reads nothing either; a
// change of a subscription drops it.
func (w *wantsCache) carry(tenant string, read int64, ops []store.WriteOp) {
	w.mu.Lock()
	defer w.mu.Unlock()
	e, ok := w.m[tenant]
	if !ok || e.version != read {
		return
	}
	for _, op := range ops {
		if strings.HasPrefix(op.Key().SK, pfxWebhook) {
			delete(w.m, tenant)
			return
		}
	}
	w.m[tenant] = wantsEntry{version: read + 1, types: e.types}
}

// wants reports whether a subscription of tenant, as of configuration
// version, wants events of type typ.
func (c *Catalog) wants(ctx context.Context, tenant string, version int64, typ string) (bool, error) {
	types, ok := c.wantsCache.get(tenant, version)
	if !ok {
		subs, err := listAll[model.WebhookSubscription](ctx, c.st, tenant, pfxWebhook)
		if err != nil {
			return false, fmt.Errorf("read webhook subscriptions: %w", err)
		}
		types = []string{}
		for _, s := range subs {
			if !s.Disabled {
				types = append(types, s.Events...)
			}
		}
		c.wantsCache.put(tenant, version, types)
	}
	for _, t := range types {
		if t == typ || t == model.EventAll {
			return true, nil
		}
	}
	return false, nil
}

// outboxOp returns the write queuing a config.changed message for audit
// entry a, committed at now, when a subscription of the tenant (as of the
// configuration version the commit read) wants it.
func (c *Catalog) outboxOp(ctx context.Context, tenant string, version int64, a model.AuditEntry, now time.Time) (store.WriteOp, bool, error) {
	ok, err := c.wants(ctx, tenant, version, model.EventConfigChanged)
	if err != nil || !ok {
		return store.WriteOp{}, false, err
	}
	a.Before, a.After = nil, nil
	data, err := json.Marshal(a)
	if err != nil {
		return store.WriteOp{}, false, fmt.Errorf("encode event: %w", err)
	}
	m := webhook.Message{
		Tenant: tenant, ID: "msg_" + a.ID, CreatedAt: now, NextAt: now,
		Event: webhook.Event{Type: model.EventConfigChanged, Timestamp: now, Data: data},
		Ref:   OutboxMessage(tenant, "msg_"+a.ID),
	}
	it, err := outboxItem(&m, now)
	if err != nil {
		return store.WriteOp{}, false, err
	}
	return store.WriteOp{Put: &it, Cond: store.IfAbsent()}, true, nil
}

// outboxItem encodes m as the item of revision m.Version+1.
func outboxItem(m *webhook.Message, now time.Time) (store.Item, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return store.Item{}, fmt.Errorf("encode webhook message: %w", err)
	}
	it := store.Item{PK: OutboxPK(m.Ref.Tenant), SK: m.Ref.Key, Version: m.Version + 1, Data: data}
	if m.Done {
		it.ExpiresAt = now.Add(OutboxTTL).Unix()
	} else {
		due := m.NextAt
		if m.Lease.Until.After(due) {
			due = m.Lease.Until // reappears when the lease runs out
		}
		it.GSI1PK = gsiOutbox
		it.GSI1SK = due.UTC().Format(auditTimeFormat) + "#" + m.Ref.Tenant + "#" + m.ID
	}
	return it, nil
}

// WebhookOutbox is the catalog's webhook.Outbox.
func (c *Catalog) WebhookOutbox() webhook.Outbox { return outbox{c} }

type outbox struct{ c *Catalog }

var _ webhook.Outbox = outbox{}

// Due queries the outbox index in due order and stops at the first message
// not due yet. Index reads are eventually consistent (DynamoDB): Load
// reads the item itself before any claim.
func (o outbox) Due(ctx context.Context, now time.Time, limit int) ([]webhook.MessageRef, error) {
	page, err := o.c.st.QueryIndex(ctx, store.IndexQuery{PK: gsiOutbox, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("query webhook outbox: %w", err)
	}
	cut := now.UTC().Format(auditTimeFormat)
	var out []webhook.MessageRef
	for _, it := range page.Items {
		if due, _, _ := strings.Cut(it.GSI1SK, "#"); due > cut {
			break
		}
		if ref, ok := OutboxRef(it.PK, it.SK); ok {
			out = append(out, ref)
		}
	}
	return out, nil
}

func (o outbox) Load(ctx context.Context, ref webhook.MessageRef) (webhook.Message, error) {
	it, err := o.c.st.Get(ctx, store.Key{PK: OutboxPK(ref.Tenant), SK: ref.Key})
	if errors.Is(err, store.ErrNotFound) {
		return webhook.Message{}, webhook.ErrNoMessage
	}
	if err != nil {
		return webhook.Message{}, fmt.Errorf("read webhook message: %w", err)
	}
	var m webhook.Message
	if err := json.Unmarshal(it.Data, &m); err != nil {
		return m, fmt.Errorf("decode webhook message %s: %w", ref.Key, err)
	}
	m.Ref, m.Version = ref, it.Version
	return m, nil
}

func (o outbox) Save(ctx context.Context, m *webhook.Message) error {
	it, err := outboxItem(m, o.c.now())
	if err != nil {
		return err
	}
	err = o.c.st.Put(ctx, it, store.IfVersion(m.Version))
	if errors.Is(err, store.ErrConditionFailed) {
		return fmt.Errorf("save webhook message %s: %w", m.ID, webhook.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("save webhook message %s: %w", m.ID, err)
	}
	m.Version = it.Version
	return nil
}

// DeliveryPK is the partition key of a tenant's webhook delivery log (SK
// <subscription>#<time>#<webhook-id>): a partition of its own, so the
// dispatcher may write it without write access to configuration
// (TENANT#) partitions.
func DeliveryPK(tenant string) string { return pfxDelivery + tenant }
