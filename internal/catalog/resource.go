package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// kind describes one slug-addressed resource type stored under a prefix.
type kind[T any] struct {
	name     string // audit resource type
	prefix   string
	id       func(*T) string
	meta     func(*T) *model.Meta
	validate func(*T) model.Errors
}

var (
	apiKind = kind[model.API]{name: "api", prefix: pfxAPI,
		id: func(v *model.API) string { return v.Slug }, meta: func(v *model.API) *model.Meta { return &v.Meta },
		validate: func(v *model.API) model.Errors { return model.ValidateAPI(v) }}
	integrationKind = kind[model.Integration]{name: "integration", prefix: pfxInt,
		id: func(v *model.Integration) string { return v.Slug }, meta: func(v *model.Integration) *model.Meta { return &v.Meta },
		validate: func(v *model.Integration) model.Errors { return model.ValidateIntegration(v) }}
	consumerKind = kind[model.Consumer]{name: "consumer", prefix: pfxCon,
		id: func(v *model.Consumer) string { return v.Slug }, meta: func(v *model.Consumer) *model.Meta { return &v.Meta },
		validate: func(v *model.Consumer) model.Errors { return model.ValidateConsumer(v) }}
	memberKind = kind[model.Member]{name: "member", prefix: pfxMember,
		id: func(v *model.Member) string { return strings.ToLower(v.Email) }, meta: func(v *model.Member) *model.Meta { return &v.Meta },
		validate: func(v *model.Member) model.Errors { return model.ValidateMember(v) }}
)

func getItem[T any](ctx context.Context, st store.Store, tenant, sk string) (*T, error) {
	it, err := st.Get(ctx, store.Key{PK: TenantPK(tenant), SK: sk})
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%s: %w", sk, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", sk, err)
	}
	v := new(T)
	if err := json.Unmarshal(it.Data, v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", sk, err)
	}
	return v, nil
}

// listItems reads one page of a prefix.
func listItems[T any](ctx context.Context, st store.Store, tenant, prefix string, limit int, cursor string) ([]T, string, error) {
	page, err := st.Query(ctx, store.Query{PK: TenantPK(tenant), SKPrefix: prefix, Limit: limit, Cursor: cursor})
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", prefix, err)
	}
	out := make([]T, 0, len(page.Items))
	for _, it := range page.Items {
		var v T
		if err := json.Unmarshal(it.Data, &v); err != nil {
			return nil, "", fmt.Errorf("decode %s: %w", it.SK, err)
		}
		out = append(out, v)
	}
	return out, page.Cursor, nil
}

// listAll reads every item of a prefix.
func listAll[T any](ctx context.Context, st store.Store, tenant, prefix string) ([]T, error) {
	var all []T
	cursor := ""
	for {
		items, next, err := listItems[T](ctx, st, tenant, prefix, 1000, cursor)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" {
			return all, nil
		}
		cursor = next
	}
}

func putOp[T any](tenant, sk string, v *T, m *model.Meta, cond store.Cond) (store.WriteOp, error) {
	data, err := marshal(v)
	if err != nil {
		return store.WriteOp{}, err
	}
	return store.WriteOp{Put: &store.Item{PK: TenantPK(tenant), SK: sk, Version: m.Revision, Data: data}, Cond: cond}, nil
}

// createOps stamps v and returns the ops creating it.
func createOps[T any](k kind[T], tenant string, v *T, actor Actor, now func() (m model.Meta)) ([]store.WriteOp, error) {
	m := k.meta(v)
	*m = now()
	m.Revision = 1
	m.CreatedBy, m.UpdatedBy = actor.Subject, actor.Subject
	op, err := putOp(tenant, k.prefix+k.id(v), v, m, store.IfAbsent())
	if err != nil {
		return nil, err
	}
	return []store.WriteOp{op}, nil
}

func (c *Catalog) stamp() model.Meta {
	t := c.now().UTC()
	return model.Meta{CreatedAt: t, UpdatedAt: t}
}

// create stores a new resource; check (optional) runs extra invariants
// against the current state inside the tenant-serialised commit.
func create[T any](ctx context.Context, c *Catalog, k kind[T], tenant string, actor Actor, v *T, check func(ctx context.Context) error) (*T, error) {
	if p := k.validate(v).Problem(); p != nil {
		return nil, p
	}
	id := k.id(v)
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		if _, err := getItem[T](ctx, c.st, tenant, k.prefix+id); err == nil {
			return change{}, &ConflictError{Pointer: "/" + idField(k), Detail: fmt.Sprintf("%s %q already exists", k.name, id), Err: ErrExists}
		} else if !errors.Is(err, ErrNotFound) {
			return change{}, err
		}
		if check != nil {
			if err := check(ctx); err != nil {
				return change{}, err
			}
		}
		nv := *v
		ops, err := createOps(k, tenant, &nv, actor, c.stamp)
		if err != nil {
			return change{}, err
		}
		return change{ops: ops, result: &nv, audit: model.AuditEntry{Action: "create", ResourceType: k.name, Resource: k.name + "/" + id, After: rawJSON(&nv)}}, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*T), nil
}

func idField[T any](k kind[T]) string {
	if k.name == "member" {
		return "email"
	}
	return "slug"
}

// update replaces a resource. expect > 0 demands that the stored revision
// equals it (If-Match); check validates cross-item invariants.
func update[T any](ctx context.Context, c *Catalog, k kind[T], tenant string, actor Actor, id string, expect int64, v *T, check func(ctx context.Context, old *T) error) (*T, error) {
	if got := k.id(v); got != id {
		return nil, &ConflictError{Pointer: "/" + idField(k), Detail: fmt.Sprintf("%s cannot be renamed (%q in body, %q in path)", idField(k), got, id), Err: ErrExists}
	}
	if p := k.validate(v).Problem(); p != nil {
		return nil, p
	}
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		old, err := getItem[T](ctx, c.st, tenant, k.prefix+id)
		if err != nil {
			return change{}, err
		}
		om := k.meta(old)
		if expect > 0 && om.Revision != expect {
			return change{}, fmt.Errorf("%s %q has revision %d, not %d: %w", k.name, id, om.Revision, expect, ErrStale)
		}
		if check != nil {
			if err := check(ctx, old); err != nil {
				return change{}, err
			}
		}
		nv := *v
		m := k.meta(&nv)
		*m = *om
		m.Revision = om.Revision + 1
		m.UpdatedAt = c.now().UTC()
		m.UpdatedBy = actor.Subject
		op, err := putOp(tenant, k.prefix+id, &nv, m, store.IfVersion(om.Revision))
		if err != nil {
			return change{}, err
		}
		return change{ops: []store.WriteOp{op}, result: &nv, audit: model.AuditEntry{Action: "update", ResourceType: k.name, Resource: k.name + "/" + id, Before: rawJSON(old), After: rawJSON(&nv)}}, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*T), nil
}

// remove deletes a resource; check may refuse (ErrInUse).
func remove[T any](ctx context.Context, c *Catalog, k kind[T], tenant string, actor Actor, id string, expect int64, check func(ctx context.Context, old *T) error) error {
	_, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		old, err := getItem[T](ctx, c.st, tenant, k.prefix+id)
		if err != nil {
			return change{}, err
		}
		om := k.meta(old)
		if expect > 0 && om.Revision != expect {
			return change{}, fmt.Errorf("%s %q has revision %d, not %d: %w", k.name, id, om.Revision, expect, ErrStale)
		}
		if check != nil {
			if err := check(ctx, old); err != nil {
				return change{}, err
			}
		}
		return change{
			ops:   []store.WriteOp{{Delete: &store.Key{PK: TenantPK(tenant), SK: k.prefix + id}, Cond: store.IfVersion(om.Revision)}},
			audit: model.AuditEntry{Action: "delete", ResourceType: k.name, Resource: k.name + "/" + id, Before: rawJSON(old)},
		}, nil
	})
	return err
}
