package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/route"
	"github.com/portico/portico/internal/store"
)

// CreateAPI creates an API.
func (c *Catalog) CreateAPI(ctx context.Context, tenant string, actor Actor, a *model.API) (*model.API, error) {
	return create(ctx, c, apiKind, tenant, actor, a, nil)
}

// GetAPI returns an API.
func (c *Catalog) GetAPI(ctx context.Context, tenant, slug string) (*model.API, error) {
	return getItem[model.API](ctx, c.st, tenant, pfxAPI+slug)
}

// ListAPIs returns one page of APIs in slug order.
func (c *Catalog) ListAPIs(ctx context.Context, tenant string, limit int, cursor string) ([]model.API, string, error) {
	return listItems[model.API](ctx, c.st, tenant, pfxAPI, limit, cursor)
}

// UpdateAPI replaces an API; a base path change is checked against every
// route of the tenant.
func (c *Catalog) UpdateAPI(ctx context.Context, tenant string, actor Actor, slug string, expect int64, a *model.API) (*model.API, error) {
	return update(ctx, c, apiKind, tenant, actor, slug, expect, a, func(ctx context.Context, old *model.API) error {
		if old.BasePath == a.BasePath {
			return nil
		}
		return c.checkRoutes(ctx, tenant, a, nil, "/basePath")
	})
}

// DeleteAPI deletes an API that has no versions left.
func (c *Catalog) DeleteAPI(ctx context.Context, tenant string, actor Actor, slug string, expect int64) error {
	return remove(ctx, c, apiKind, tenant, actor, slug, expect, func(ctx context.Context, _ *model.API) error {
		page, err := c.st.Query(ctx, store.Query{PK: TenantPK(tenant), SKPrefix: pfxVersion + slug + "#", Limit: 1})
		if err != nil {
			return fmt.Errorf("check versions: %w", err)
		}
		if len(page.Items) > 0 {
			return &ConflictError{Detail: fmt.Sprintf("api %q still has versions; delete or retire them first", slug), Err: ErrInUse}
		}
		return nil
	})
}

func versionSK(api, ver string) string { return pfxVersion + api + "#" + ver }

// CreateVersion adds a draft version to an API.
func (c *Catalog) CreateVersion(ctx context.Context, tenant string, actor Actor, api string, v *model.Version) (*model.Version, error) {
	nv := *v
	nv.API = api
	if nv.Status == "" {
		nv.Status = model.StatusDraft
	}
	errs := model.ValidateVersion(&nv)
	if nv.Status != model.StatusDraft {
		errs.Add("/status", "a new version starts as draft; publish it afterwards")
	}
	if p := errs.Problem(); p != nil {
		return nil, p
	}
	nv.PublishedAt = nil
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		if _, err := c.GetAPI(ctx, tenant, api); err != nil {
			return change{}, err
		}
		sk := versionSK(api, nv.Name)
		if _, err := getItem[model.Version](ctx, c.st, tenant, sk); err == nil {
			return change{}, &ConflictError{Pointer: "/name", Detail: fmt.Sprintf("version %q of api %q already exists", nv.Name, api), Err: ErrExists}
		} else if !errors.Is(err, ErrNotFound) {
			return change{}, err
		}
		out := nv
		out.Meta = c.stamp()
		out.Revision = 1
		out.CreatedBy, out.UpdatedBy = actor.Subject, actor.Subject
		op, err := putOp(tenant, sk, &out, &out.Meta, store.IfAbsent())
		if err != nil {
			return change{}, err
		}
		return change{ops: []store.WriteOp{op}, result: &out, audit: model.AuditEntry{Action: "create", ResourceType: "version", Resource: "api/" + api + "/version/" + nv.Name, After: rawJSON(&out)}}, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*model.Version), nil
}

// GetVersion returns a version.
func (c *Catalog) GetVersion(ctx context.Context, tenant, api, ver string) (*model.Version, error) {
	return getItem[model.Version](ctx, c.st, tenant, versionSK(api, ver))
}

// ListVersions returns every version of an API.
func (c *Catalog) ListVersions(ctx context.Context, tenant, api string) ([]model.Version, error) {
	if _, err := c.GetAPI(ctx, tenant, api); err != nil {
		return nil, err
	}
	return listAll[model.Version](ctx, c.st, tenant, pfxVersion+api+"#")
}

// UpdateVersion changes a version's status (publish, deprecate, retire) or
// descriptive fields. mutate edits a copy; the result is validated, the
// status transition checked, and the change audited with action.
func (c *Catalog) UpdateVersion(ctx context.Context, tenant string, actor Actor, api, ver string, expect int64, action string, mutate func(v *model.Version) error) (*model.Version, error) {
	sk := versionSK(api, ver)
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		old, err := getItem[model.Version](ctx, c.st, tenant, sk)
		if err != nil {
			return change{}, err
		}
		if expect > 0 && old.Revision != expect {
			return change{}, fmt.Errorf("version %s/%s has revision %d, not %d: %w", api, ver, old.Revision, expect, ErrStale)
		}
		nv := *old
		if err := mutate(&nv); err != nil {
			return change{}, err
		}
		nv.API, nv.Name, nv.Meta = old.API, old.Name, old.Meta
		if p := model.ValidateVersion(&nv).Problem(); p != nil {
			return change{}, p
		}
		if action != "update" && nv.Status == old.Status {
			return change{}, &ConflictError{Pointer: "/status", Detail: fmt.Sprintf("version %s is already %s", ver, old.Status), Err: ErrInUse}
		}
		if nv.Status != old.Status {
			switch nv.Status {
			case model.StatusDeprecated:
				t := c.now().UTC()
				nv.DeprecatedAt = &t
			case model.StatusPublished:
				nv.DeprecatedAt = nil
			}
			if !model.CanTransition(old.Status, nv.Status) {
				return change{}, &ConflictError{Pointer: "/status", Detail: fmt.Sprintf("a %s version cannot become %s", old.Status, nv.Status), Err: ErrInUse}
			}
			if nv.Status == model.StatusPublished && old.Status == model.StatusDraft {
				if err := c.checkPublishable(ctx, tenant, api, ver); err != nil {
					return change{}, err
				}
				t := c.now().UTC()
				nv.PublishedAt = &t
			}
		}
		nv.Revision = old.Revision + 1
		nv.UpdatedAt = c.now().UTC()
		nv.UpdatedBy = actor.Subject
		op, err := putOp(tenant, sk, &nv, &nv.Meta, store.IfVersion(old.Revision))
		if err != nil {
			return change{}, err
		}
		return change{ops: []store.WriteOp{op}, result: &nv, audit: model.AuditEntry{Action: action, ResourceType: "version", Resource: "api/" + api + "/version/" + ver, Before: rawJSON(old), After: rawJSON(&nv)}}, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*model.Version), nil
}

func (c *Catalog) checkPublishable(ctx context.Context, tenant, api, ver string) error {
	page, err := c.st.Query(ctx, store.Query{PK: TenantPK(tenant), SKPrefix: endpointPrefix(api, ver), Limit: 1})
	if err != nil {
		return fmt.Errorf("check endpoints: %w", err)
	}
	if len(page.Items) == 0 {
		return &ConflictError{Pointer: "/status", Detail: fmt.Sprintf("version %s of api %q has no endpoints to publish", ver, api), Err: ErrInUse}
	}
	return c.checkTransformsPublishable(ctx, tenant, api, ver) // transform.go
}

// DeleteVersion deletes a draft or retired version without endpoints.
func (c *Catalog) DeleteVersion(ctx context.Context, tenant string, actor Actor, api, ver string, expect int64) error {
	sk := versionSK(api, ver)
	_, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		old, err := getItem[model.Version](ctx, c.st, tenant, sk)
		if err != nil {
			return change{}, err
		}
		if expect > 0 && old.Revision != expect {
			return change{}, fmt.Errorf("version %s/%s: %w", api, ver, ErrStale)
		}
		if old.Status != model.StatusDraft && old.Status != model.StatusRetired {
			return change{}, &ConflictError{Pointer: "/status", Detail: fmt.Sprintf("a %s version cannot be deleted; retire it first", old.Status), Err: ErrInUse}
		}
		page, err := c.st.Query(ctx, store.Query{PK: TenantPK(tenant), SKPrefix: endpointPrefix(api, ver), Limit: 1})
		if err != nil {
			return change{}, fmt.Errorf("check endpoints: %w", err)
		}
		if len(page.Items) > 0 {
			return change{}, &ConflictError{Detail: "version still has endpoints; delete them first", Err: ErrInUse}
		}
		return change{
			ops:   []store.WriteOp{{Delete: &store.Key{PK: TenantPK(tenant), SK: sk}, Cond: store.IfVersion(old.Revision)}},
			audit: model.AuditEntry{Action: "delete", ResourceType: "version", Resource: "api/" + api + "/version/" + ver, Before: rawJSON(old)},
		}, nil
	})
	return err
}

func endpointPrefix(api, ver string) string { return pfxEP + api + "#" + ver + "#" }

// RouteTemplate is the full template an endpoint is routed on:
// /{version}{basePath}{path}.
func RouteTemplate(ver, basePath, path string) string {
	if path == "/" {
		path = ""
	}
	return "/" + ver + basePath + path
}

// checkRoutes verifies that the tenant's routes stay unambiguous after a
// change: api (optional) replaces the stored API of the same slug, ep
// (optional) replaces the stored endpoint of the same id or is added.
func (c *Catalog) checkRoutes(ctx context.Context, tenant string, api *model.API, ep *model.Endpoint, pointer string) error {
	apis, err := listAll[model.API](ctx, c.st, tenant, pfxAPI)
	if err != nil {
		return err
	}
	base := make(map[string]string, len(apis))
	for _, a := range apis {
		base[a.Slug] = a.BasePath
	}
	if api != nil {
		base[api.Slug] = api.BasePath
	}
	eps, err := listAll[model.Endpoint](ctx, c.st, tenant, pfxEP)
	if err != nil {
		return err
	}
	if ep != nil {
		eps = slices.DeleteFunc(eps, func(e model.Endpoint) bool { return e.ID == ep.ID })
	}
	if api != nil {
		// Add the changed API's endpoints last, so that a conflict they
		// cause is always reported on one of them, whatever the slug order.
		slices.SortStableFunc(eps, func(x, y model.Endpoint) int {
			return boolCmp(x.API == api.Slug, y.API == api.Slug)
		})
	}
	b := route.NewBuilder[string]()
	add := func(e model.Endpoint) error {
		t, err := route.Parse(RouteTemplate(e.Version, base[e.API], e.Path))
		if err != nil {
			return fmt.Errorf("endpoint %s: %w", e.ID, err)
		}
		if err := b.Add(e.Method, t, e.ID); err != nil {
			return err
		}
		return nil
	}
	for _, e := range eps {
		if err := add(e); err != nil {
			if errors.Is(err, route.ErrConflict) && api != nil && e.API == api.Slug {
				return &ConflictError{Pointer: pointer, Detail: "this base path makes routes ambiguous: " + strings.TrimPrefix(err.Error(), "route: "), Err: ErrExists}
			}
			if errors.Is(err, route.ErrConflict) {
				continue // pre-existing ambiguity unrelated to this change
			}
			return err
		}
	}
	if ep != nil {
		if err := add(*ep); err != nil {
			if errors.Is(err, route.ErrConflict) {
				return &ConflictError{Pointer: pointer, Detail: fmt.Sprintf("%s %s conflicts with an existing route (%s)", ep.Method, RouteTemplate(ep.Version, base[ep.API], ep.Path), strings.TrimPrefix(err.Error(), "route: ")), Err: ErrExists}
			}
			return &ConflictError{Pointer: pointer, Detail: err.Error(), Err: ErrExists}
		}
	}
	return nil
}

func boolCmp(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return 1
	}
	return -1
}
