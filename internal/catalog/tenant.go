package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// CreateTenant creates a tenant with configuration version 1.
func (c *Catalog) CreateTenant(ctx context.Context, actor Actor, t *model.Tenant) (*model.Tenant, error) {
	if p := model.ValidateTenant(t).Problem(); p != nil {
		return nil, p
	}
	nt := *t
	nt.Meta = c.stamp()
	nt.Revision = 1
	nt.CreatedBy, nt.UpdatedBy = actor.Subject, actor.Subject
	data, err := marshal(&nt)
	if err != nil {
		return nil, err
	}
	now := c.now().UTC()
	a := model.AuditEntry{ID: newID(), Time: now, Actor: actor.Subject, ActorRole: actor.Role, RequestID: actor.RequestID,
		Action: "create", ResourceType: "tenant", Resource: "tenant/" + nt.ID, After: rawJSON(&nt)}
	auditData, err := marshal(&a)
	if err != nil {
		return nil, err
	}
	pk := TenantPK(nt.ID)
	err = c.st.Transact(ctx, []store.WriteOp{
		{Put: &store.Item{PK: pk, SK: skMeta, GSI1PK: gsiTenants, GSI1SK: nt.ID, Version: 1, Data: data}, Cond: store.IfAbsent()},
		{Put: &store.Item{PK: pk, SK: auditSK(now, a.ID), Data: auditData}, Cond: store.IfAbsent()},
	})
	if errors.Is(err, store.ErrConditionFailed) {
		return nil, &ConflictError{Pointer: "/id", Detail: fmt.Sprintf("tenant %q already exists", nt.ID), Err: ErrExists}
	}
	if err != nil {
		return nil, fmt.Errorf("create tenant: %w", err)
	}
	return &nt, nil
}

// GetTenant returns a tenant.
func (c *Catalog) GetTenant(ctx context.Context, id string) (*model.Tenant, error) {
	if !model.ValidSlug(id) {
		return nil, fmt.Errorf("tenant %q: %w", id, ErrNotFound)
	}
	return getItem[model.Tenant](ctx, c.st, id, skMeta)
}

// ListTenants returns one page of tenants in id order.
func (c *Catalog) ListTenants(ctx context.Context, limit int, cursor string) ([]model.Tenant, string, error) {
	page, err := c.st.QueryIndex(ctx, store.IndexQuery{PK: gsiTenants, Limit: limit, Cursor: cursor})
	if err != nil {
		return nil, "", fmt.Errorf("list tenants: %w", err)
	}
	out := make([]model.Tenant, 0, len(page.Items))
	for _, it := range page.Items {
		var t model.Tenant
		if err := json.Unmarshal(it.Data, &t); err != nil {
			return nil, "", fmt.Errorf("decode tenant %s: %w", it.PK, err)
		}
		out = append(out, t)
	}
	return out, page.Cursor, nil
}

// UpdateTenant changes a tenant's name and description.
func (c *Catalog) UpdateTenant(ctx context.Context, actor Actor, id string, expect int64, t *model.Tenant) (*model.Tenant, error) {
	if t.ID != id {
		return nil, &ConflictError{Pointer: "/id", Detail: "a tenant id cannot change", Err: ErrExists}
	}
	if p := model.ValidateTenant(t).Problem(); p != nil {
		return nil, p
	}
	res, err := c.commit(ctx, id, actor, func(ctx context.Context) (change, error) {
		old, err := c.GetTenant(ctx, id)
		if err != nil {
			return change{}, err
		}
		if expect > 0 && old.Revision != expect {
			return change{}, fmt.Errorf("tenant %q has revision %d, not %d: %w", id, old.Revision, expect, ErrStale)
		}
		nt := *t
		nt.Meta = old.Meta
		nt.Revision = old.Revision + 1
		nt.UpdatedAt = c.now().UTC()
		nt.UpdatedBy = actor.Subject
		data, err := marshal(&nt)
		if err != nil {
			return change{}, err
		}
		return change{metaData: data, result: &nt, audit: model.AuditEntry{Action: "update", ResourceType: "tenant", Resource: "tenant/" + id, Before: rawJSON(old), After: rawJSON(&nt)}}, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*model.Tenant), nil
}

// DeleteTenant deletes an empty tenant; its audit trail is kept.
func (c *Catalog) DeleteTenant(ctx context.Context, actor Actor, id string) error {
	meta, err := c.st.Get(ctx, store.Key{PK: TenantPK(id), SK: skMeta})
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("tenant %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("read tenant: %w", err)
	}
	for _, pfx := range []string{pfxAPI, pfxInt, pfxCon} {
		page, err := c.st.Query(ctx, store.Query{PK: TenantPK(id), SKPrefix: pfx, Limit: 1})
		if err != nil {
			return fmt.Errorf("check tenant contents: %w", err)
		}
		if len(page.Items) > 0 {
			return &ConflictError{Pointer: "", Detail: "tenant still has APIs, integrations or consumers; delete them first", Err: ErrInUse}
		}
	}
	now := c.now().UTC()
	a := model.AuditEntry{ID: newID(), Time: now, Actor: actor.Subject, ActorRole: actor.Role, RequestID: actor.RequestID,
		Action: "delete", ResourceType: "tenant", Resource: "tenant/" + id, Before: json.RawMessage(meta.Data)}
	auditData, err := marshal(&a)
	if err != nil {
		return err
	}
	ops := []store.WriteOp{
		{Delete: &store.Key{PK: TenantPK(id), SK: skMeta}, Cond: store.IfVersion(meta.Version)},
		{Put: &store.Item{PK: TenantPK(id), SK: auditSK(now, a.ID), Data: auditData}, Cond: store.IfAbsent()},
	}
	// Members go with the tenant (in the same transaction), so a tenant
	// created later under the same id does not inherit them.
	members, err := c.st.Query(ctx, store.Query{PK: TenantPK(id), SKPrefix: pfxMember, Limit: store.MaxTxOps - len(ops) + 1})
	if err != nil {
		return fmt.Errorf("list members: %w", err)
	}
	if len(members.Items) > store.MaxTxOps-len(ops) {
		return &ConflictError{Detail: "tenant has too many members to delete at once; remove some members first", Err: ErrInUse}
	}
	for _, m := range members.Items {
		ops = append(ops, store.WriteOp{Delete: &store.Key{PK: m.PK, SK: m.SK}})
	}
	err = c.st.Transact(ctx, ops)
	if errors.Is(err, store.ErrConditionFailed) {
		return fmt.Errorf("delete tenant %q: %w", id, ErrStale)
	}
	if err != nil {
		return fmt.Errorf("delete tenant: %w", err)
	}
	return nil
}
