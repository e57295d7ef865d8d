package catalog

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// RecordAudit appends an audit entry for an operation that changes no
// configuration (a cache purge): unlike configuration changes it does not
// bump the tenant's config version, so it invalidates no gateway snapshot.
// ID, time and actor fields are filled in; the stored entry is returned.
func (c *Catalog) RecordAudit(ctx context.Context, tenant string, actor Actor, a model.AuditEntry) (model.AuditEntry, error) {
	a.ID = newID()
	a.Time = c.now().UTC()
	a.Actor, a.ActorRole, a.RequestID = actor.Subject, actor.Role, actor.RequestID
	data, err := json.Marshal(a)
	if err != nil {
		return a, fmt.Errorf("encode audit entry: %w", err)
	}
	it := store.Item{PK: TenantPK(tenant), SK: auditSK(a.Time, a.ID), Data: data}
	if err := c.st.Put(ctx, it, store.IfAbsent()); err != nil {
		return a, fmt.Errorf("write audit entry: %w", err)
	}
	return a, nil
}
