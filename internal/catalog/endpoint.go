package catalog

import (
	"context"
	"errors"
	"fmt"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

func endpointSK(api, ver, id string) string { return endpointPrefix(api, ver) + id }

// checkEndpointRefs verifies that the endpoint's API, version and target exist.
func (c *Catalog) checkEndpointRefs(ctx context.Context, tenant string, ep *model.Endpoint) (*model.API, error) {
	api, err := c.GetAPI(ctx, tenant, ep.API)
	if err != nil {
		return nil, err
	}
	if _, err := c.GetVersion(ctx, tenant, ep.API, ep.Version); err != nil {
		return nil, err
	}
	var errs model.Errors
	switch ep.Target.Type {
	case model.TargetIntegration:
		if _, err := c.GetIntegration(ctx, tenant, ep.Target.Integration); errors.Is(err, ErrNotFound) {
			errs.Add("/target/integration", "no integration %q exists in this tenant", ep.Target.Integration)
		} else if err != nil {
			return nil, err
		}
	case model.TargetWorkflow:
		if err := c.checkWorkflowTarget(ctx, tenant, ep.Target.Workflow, &errs); err != nil {
			return nil, err
		}
	}
	if err := c.checkEndpointSecrets(ctx, tenant, ep, &errs); err != nil { // webhookauth.go
		return nil, err
	}
	if p := errs.Problem(); p != nil {
		return nil, p
	}
	if err := c.checkTransformRefs(ctx, tenant, ep); err != nil {
		return nil, err
	}
	return api, nil
}

// CreateEndpoint adds an endpoint to a version. Its id is generated.
func (c *Catalog) CreateEndpoint(ctx context.Context, tenant string, actor Actor, ep *model.Endpoint) (*model.Endpoint, error) {
	ne := *ep
	ne.ID = "ep" + newID()
	if p := model.ValidateEndpoint(&ne).Problem(); p != nil {
		return nil, p
	}
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		if _, err := c.checkEndpointRefs(ctx, tenant, &ne); err != nil {
			return change{}, err
		}
		if err := c.checkRoutes(ctx, tenant, nil, &ne, "/path"); err != nil {
			return change{}, err
		}
		out := ne
		out.Meta = c.stamp()
		out.Revision = 1
		out.CreatedBy, out.UpdatedBy = actor.Subject, actor.Subject
		op, err := putOp(tenant, endpointSK(out.API, out.Version, out.ID), &out, &out.Meta, store.IfAbsent())
		if err != nil {
			return change{}, err
		}
		return change{ops: []store.WriteOp{op}, result: &out, audit: model.AuditEntry{Action: "create", ResourceType: "endpoint", Resource: endpointResource(&out), After: rawJSON(&out)}}, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*model.Endpoint), nil
}

func endpointResource(ep *model.Endpoint) string {
	return "api/" + ep.API + "/version/" + ep.Version + "/endpoint/" + ep.ID
}

// GetEndpoint returns an endpoint.
func (c *Catalog) GetEndpoint(ctx context.Context, tenant, api, ver, id string) (*model.Endpoint, error) {
	return getItem[model.Endpoint](ctx, c.st, tenant, endpointSK(api, ver, id))
}

// ListEndpoints returns every endpoint of a version.
func (c *Catalog) ListEndpoints(ctx context.Context, tenant, api, ver string) ([]model.Endpoint, error) {
	if _, err := c.GetVersion(ctx, tenant, api, ver); err != nil {
		return nil, err
	}
	return listAll[model.Endpoint](ctx, c.st, tenant, endpointPrefix(api, ver))
}

// UpdateEndpoint replaces an endpoint (method, path, target, policies).
func (c *Catalog) UpdateEndpoint(ctx context.Context, tenant string, actor Actor, expect int64, ep *model.Endpoint) (*model.Endpoint, error) {
	if p := model.ValidateEndpoint(ep).Problem(); p != nil {
		return nil, p
	}
	sk := endpointSK(ep.API, ep.Version, ep.ID)
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		old, err := getItem[model.Endpoint](ctx, c.st, tenant, sk)
		if err != nil {
			return change{}, err
		}
		if expect > 0 && old.Revision != expect {
			return change{}, fmt.Errorf("endpoint %s has revision %d, not %d: %w", ep.ID, old.Revision, expect, ErrStale)
		}
		if _, err := c.checkEndpointRefs(ctx, tenant, ep); err != nil {
			return change{}, err
		}
		if err := c.checkRoutes(ctx, tenant, nil, ep, "/path"); err != nil {
			return change{}, err
		}
		out := *ep
		out.Meta = old.Meta
		out.Revision = old.Revision + 1
		out.UpdatedAt = c.now().UTC()
		out.UpdatedBy = actor.Subject
		op, err := putOp(tenant, sk, &out, &out.Meta, store.IfVersion(old.Revision))
		if err != nil {
			return change{}, err
		}
		return change{ops: []store.WriteOp{op}, result: &out, audit: model.AuditEntry{Action: "update", ResourceType: "endpoint", Resource: endpointResource(&out), Before: rawJSON(old), After: rawJSON(&out)}}, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*model.Endpoint), nil
}

// DeleteEndpoint deletes an endpoint.
func (c *Catalog) DeleteEndpoint(ctx context.Context, tenant string, actor Actor, api, ver, id string, expect int64) error {
	sk := endpointSK(api, ver, id)
	_, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		old, err := getItem[model.Endpoint](ctx, c.st, tenant, sk)
		if err != nil {
			return change{}, err
		}
		if expect > 0 && old.Revision != expect {
			return change{}, fmt.Errorf("endpoint %s: %w", id, ErrStale)
		}
		return change{
			ops:   []store.WriteOp{{Delete: &store.Key{PK: TenantPK(tenant), SK: sk}, Cond: store.IfVersion(old.Revision)}},
			audit: model.AuditEntry{Action: "delete", ResourceType: "endpoint", Resource: endpointResource(old), Before: rawJSON(old)},
		}, nil
	})
	return err
}

// CreateIntegration creates an integration.
func (c *Catalog) CreateIntegration(ctx context.Context, tenant string, actor Actor, in *model.Integration) (*model.Integration, error) {
	if err := c.checkUpstream(ctx, in); err != nil {
		return nil, err
	}
	return create(ctx, c, integrationKind, tenant, actor, in, func(ctx context.Context) error {
		return c.checkIntegrationSecret(ctx, tenant, in) // secret.go
	})
}

// GetIntegration returns an integration.
func (c *Catalog) GetIntegration(ctx context.Context, tenant, slug string) (*model.Integration, error) {
	return getItem[model.Integration](ctx, c.st, tenant, pfxInt+slug)
}

// ListIntegrations returns one page of integrations.
func (c *Catalog) ListIntegrations(ctx context.Context, tenant string, limit int, cursor string) ([]model.Integration, string, error) {
	return listItems[model.Integration](ctx, c.st, tenant, pfxInt, limit, cursor)
}

// UpdateIntegration replaces an integration; endpoints using it see the change at once.
func (c *Catalog) UpdateIntegration(ctx context.Context, tenant string, actor Actor, slug string, expect int64, in *model.Integration) (*model.Integration, error) {
	if err := c.checkUpstream(ctx, in); err != nil {
		return nil, err
	}
	return update(ctx, c, integrationKind, tenant, actor, slug, expect, in, func(ctx context.Context, _ *model.Integration) error {
		return c.checkIntegrationSecret(ctx, tenant, in) // secret.go
	})
}

// DeleteIntegration deletes an integration no endpoint uses.
func (c *Catalog) DeleteIntegration(ctx context.Context, tenant string, actor Actor, slug string, expect int64) error {
	return remove(ctx, c, integrationKind, tenant, actor, slug, expect, func(ctx context.Context, _ *model.Integration) error {
		eps, err := listAll[model.Endpoint](ctx, c.st, tenant, pfxEP)
		if err != nil {
			return err
		}
		for _, e := range eps {
			if e.Target.Type == model.TargetIntegration && e.Target.Integration == slug {
				return &ConflictError{Detail: fmt.Sprintf("integration %q is used by endpoint %s %s of %s %s", slug, e.Method, e.Path, e.API, e.Version), Err: ErrInUse}
			}
		}
		return nil
	})
}

// CreateConsumer creates a consumer.
func (c *Catalog) CreateConsumer(ctx context.Context, tenant string, actor Actor, v *model.Consumer) (*model.Consumer, error) {
	return create(ctx, c, consumerKind, tenant, actor, v, nil)
}

// GetConsumer returns a consumer.
func (c *Catalog) GetConsumer(ctx context.Context, tenant, slug string) (*model.Consumer, error) {
	return getItem[model.Consumer](ctx, c.st, tenant, pfxCon+slug)
}

// ListConsumers returns one page of consumers.
func (c *Catalog) ListConsumers(ctx context.Context, tenant string, limit int, cursor string) ([]model.Consumer, string, error) {
	return listItems[model.Consumer](ctx, c.st, tenant, pfxCon, limit, cursor)
}

// UpdateConsumer replaces a consumer.
func (c *Catalog) UpdateConsumer(ctx context.Context, tenant string, actor Actor, slug string, expect int64, v *model.Consumer) (*model.Consumer, error) {
	return update(ctx, c, consumerKind, tenant, actor, slug, expect, v, nil)
}

// DeleteConsumer deletes a consumer.
func (c *Catalog) DeleteConsumer(ctx context.Context, tenant string, actor Actor, slug string, expect int64) error {
	return remove(ctx, c, consumerKind, tenant, actor, slug, expect, nil)
}

// PutMember adds a member or changes its role (an upsert keyed by the
// lower-cased email), decided inside the tenant-serialised commit.
func (c *Catalog) PutMember(ctx context.Context, tenant string, actor Actor, m *model.Member) (*model.Member, error) {
	if p := model.ValidateMember(m).Problem(); p != nil {
		return nil, p
	}
	id := memberKind.id(m)
	sk := pfxMember + id
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		out := *m
		old, err := getItem[model.Member](ctx, c.st, tenant, sk)
		switch {
		case errors.Is(err, ErrNotFound):
			ops, err := createOps(memberKind, tenant, &out, actor, c.stamp)
			if err != nil {
				return change{}, err
			}
			return change{ops: ops, result: &out, audit: model.AuditEntry{Action: "create", ResourceType: "member", Resource: "member/" + id, After: rawJSON(&out)}}, nil
		case err != nil:
			return change{}, err
		}
		out.Meta = old.Meta
		out.Revision = old.Revision + 1
		out.UpdatedAt = c.now().UTC()
		out.UpdatedBy = actor.Subject
		op, err := putOp(tenant, sk, &out, &out.Meta, store.IfVersion(old.Revision))
		if err != nil {
			return change{}, err
		}
		return change{ops: []store.WriteOp{op}, result: &out, audit: model.AuditEntry{Action: "update", ResourceType: "member", Resource: "member/" + id, Before: rawJSON(old), After: rawJSON(&out)}}, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*model.Member), nil
}

// ListMembers returns every member.
func (c *Catalog) ListMembers(ctx context.Context, tenant string) ([]model.Member, error) {
	return listAll[model.Member](ctx, c.st, tenant, pfxMember)
}

// DeleteMember removes a member. Emails are case-insensitive, as in PutMember.
func (c *Catalog) DeleteMember(ctx context.Context, tenant string, actor Actor, email string) error {
	return remove(ctx, c, memberKind, tenant, actor, memberKind.id(&model.Member{Email: email}), 0, nil)
}
