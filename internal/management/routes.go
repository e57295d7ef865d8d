package management

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
)

const prefix = "/admin/v1"

// routes is the permission table of the console API: every route, who may
// call it, and the least role needed. docs/permissions.md mirrors it and a
// test walks it with every role.
func (h *Handler) routes() []apiRoute {
	const (
		viewer = identity.RoleViewer
		dev    = identity.RoleDeveloper
		admin  = identity.RoleAdmin
		owner  = identity.RoleOwner
	)
	rts := []apiRoute{
		{"GET " + prefix + "/me", authenticated, viewer, h.me},

		{"GET " + prefix + "/tenants", platform, viewer, h.listTenants},
		{"POST " + prefix + "/tenants", platform, admin, h.createTenant},
		{"DELETE " + prefix + "/tenants/{tenant}", platform, owner, h.deleteTenant},
		{"GET " + prefix + "/tenants/{tenant}", self, viewer, h.getTenant},
		{"PUT " + prefix + "/tenants/{tenant}", self, owner, h.updateTenant},

		{"GET " + prefix + "/apis", member, viewer, h.listAPIs},
		{"POST " + prefix + "/apis", member, dev, h.createAPI},
		{"GET " + prefix + "/apis/{api}", member, viewer, h.getAPI},
		{"PUT " + prefix + "/apis/{api}", member, dev, h.updateAPI},
		{"DELETE " + prefix + "/apis/{api}", member, admin, h.deleteAPI},

		{"GET " + prefix + "/apis/{api}/versions", member, viewer, h.listVersions},
		{"POST " + prefix + "/apis/{api}/versions", member, dev, h.createVersion},
		{"GET " + prefix + "/apis/{api}/versions/{version}", member, viewer, h.getVersion},
		{"PATCH " + prefix + "/apis/{api}/versions/{version}", member, dev, h.patchVersion},
		{"DELETE " + prefix + "/apis/{api}/versions/{version}", member, admin, h.deleteVersion},
		{"POST " + prefix + "/apis/{api}/versions/{version}/publish", member, admin, h.transition(model.StatusPublished, "publish")},
		{"POST " + prefix + "/apis/{api}/versions/{version}/deprecate", member, admin, h.transition(model.StatusDeprecated, "deprecate")},
		{"POST " + prefix + "/apis/{api}/versions/{version}/retire", member, admin, h.transition(model.StatusRetired, "retire")},
		{"POST " + prefix + "/apis/{api}/versions/{version}/cache/purge", member, dev, h.purgeCache},
		{"POST " + prefix + "/cache/purge", member, dev, h.purgeTenantCache},
		{"GET " + prefix + "/cache/stats", member, viewer, h.cacheStats},

		{"GET " + prefix + "/apis/{api}/versions/{version}/endpoints", member, viewer, h.listEndpoints},
		{"POST " + prefix + "/apis/{api}/versions/{version}/endpoints", member, dev, h.createEndpoint},
		{"GET " + prefix + "/apis/{api}/versions/{version}/endpoints/{endpoint}", member, viewer, h.getEndpoint},
		{"PUT " + prefix + "/apis/{api}/versions/{version}/endpoints/{endpoint}", member, dev, h.updateEndpoint},
		{"DELETE " + prefix + "/apis/{api}/versions/{version}/endpoints/{endpoint}", member, dev, h.deleteEndpoint},

		{"GET " + prefix + "/integrations", member, viewer, h.listIntegrations},
		{"POST " + prefix + "/integrations", member, dev, h.createIntegration},
		{"GET " + prefix + "/integrations/{integration}", member, viewer, h.getIntegration},
		{"PUT " + prefix + "/integrations/{integration}", member, dev, h.updateIntegration},
		{"DELETE " + prefix + "/integrations/{integration}", member, admin, h.deleteIntegration},

		{"GET " + prefix + "/consumers", member, viewer, h.listConsumers},
		{"POST " + prefix + "/consumers", member, dev, h.createConsumer},
		{"GET " + prefix + "/consumers/{consumer}", member, viewer, h.getConsumer},
		{"PUT " + prefix + "/consumers/{consumer}", member, dev, h.updateConsumer},
		{"DELETE " + prefix + "/consumers/{consumer}", member, admin, h.deleteConsumer},
		{"GET " + prefix + "/consumers/{consumer}/keys", member, viewer, h.listKeys},
		{"POST " + prefix + "/consumers/{consumer}/keys", member, dev, h.createKey},
		{"GET " + prefix + "/consumers/{consumer}/keys/{key}", member, viewer, h.getKey},
		{"POST " + prefix + "/consumers/{consumer}/keys/{key}/revoke", member, dev, h.revokeKey},
		{"GET " + prefix + "/consumers/{consumer}/clients", member, viewer, h.listClients},
		{"POST " + prefix + "/consumers/{consumer}/clients", member, dev, h.createClient},
		{"POST " + prefix + "/consumers/{consumer}/clients/{client}/revoke", member, dev, h.revokeClient},

		{"GET " + prefix + "/jwt-issuers", member, viewer, h.listJWTIssuers},
		{"POST " + prefix + "/jwt-issuers", member, admin, h.createJWTIssuer},
		{"GET " + prefix + "/jwt-issuers/{issuer}", member, viewer, h.getJWTIssuer},
		{"PUT " + prefix + "/jwt-issuers/{issuer}", member, admin, h.updateJWTIssuer},
		{"DELETE " + prefix + "/jwt-issuers/{issuer}", member, admin, h.deleteJWTIssuer},

		{"GET " + prefix + "/members", member, viewer, h.listMembers},
		{"PUT " + prefix + "/members/{email}", member, owner, h.putMember},
		{"DELETE " + prefix + "/members/{email}", member, owner, h.deleteMember},

		{"GET " + prefix + "/audit", member, admin, h.listAudit},
	}
	rts = append(rts, h.validateRoutes()...)
	rts = append(rts, h.transformRoutes()...)
	rts = append(rts, h.transformCRUDRoutes()...)
	rts = append(rts, h.openAPIImportRoutes()...) // routes_openapi_import.go
	rts = append(rts, h.integrationHealthRoutes()...)
	rts = append(rts, h.integrationProbeRoutes()...)
	rts = append(rts, h.webhookRoutes()...)
	rts = append(rts, h.secretRoutes()...)
	rts = append(rts, h.planRoutes()...)
	rts = append(rts, h.workflowRoutes()...)
	rts = append(rts, h.workflowExecutionRoutes()...)
	if h.cfg.DevLogin != nil {
		rts = append(rts, apiRoute{"POST " + prefix + "/auth/dev-login", public, "", h.devLogin})
	}
	if h.cfg.JWKS != nil {
		jwks := h.cfg.JWKS
		rts = append(rts, apiRoute{"GET " + prefix + "/.well-known/jwks.json", public, "", func(w http.ResponseWriter, r *http.Request, _ identity.Principal) error {
			jwks.ServeHTTP(w, r)
			return nil
		}})
	}
	return rts
}

// Route describes one management route for documentation and tests.
type Route struct {
	Pattern string
	Access  string
	MinRole identity.Role
}

// Routes lists the permission table.
func (h *Handler) Routes() []Route {
	names := map[access]string{public: "public", authenticated: "authenticated", member: "member", platform: "platform", self: "self"}
	var out []Route
	for _, rt := range h.routes() {
		out = append(out, Route{Pattern: rt.pattern, Access: names[rt.access], MinRole: rt.minRole})
	}
	return out
}

type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

func pageParams(r *http.Request) (int, string, error) {
	limit := 50
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return 0, "", problem.BadRequest("/limit", "limit must be an integer between 1 and 500")
		}
		limit = n
	}
	return limit, r.URL.Query().Get("cursor"), nil
}

// list runs a paginated catalog listing behind a signed cursor.
func list[T any](h *Handler, w http.ResponseWriter, r *http.Request, tenant, scope string, fetch func(limit int, cursor string) ([]T, string, error)) error {
	limit, token, err := pageParams(r)
	if err != nil {
		return err
	}
	inner, err := h.cursors.decode(tenant, scope, token)
	if err != nil {
		return err
	}
	items, next, err := fetch(limit, inner)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[T]{Items: items, NextCursor: h.cursors.encode(tenant, scope, next)})
}

// staleAs412 turns a stale-revision error into 412 when If-Match was used.
func staleAs412(err error, usedIfMatch bool) error {
	if usedIfMatch && errors.Is(err, catalog.ErrStale) {
		return fmt.Errorf("%w: %w", errPrecondition, err)
	}
	return err
}

func (h *Handler) me(w http.ResponseWriter, _ *http.Request, p identity.Principal) error {
	return writeJSON(w, http.StatusOK, map[string]any{"subject": p.Subject, "tenant": p.Tenant, "role": p.Role, "email": p.Email, "expiresAt": p.ExpiresAt})
}

type devLoginRequest struct {
	Tenant string `json:"tenant"`
	Email  string `json:"email"`
	Role   string `json:"role"`
}

func (h *Handler) devLogin(w http.ResponseWriter, r *http.Request, _ identity.Principal) error {
	var req devLoginRequest
	if err := h.decode(w, r, &req); err != nil {
		return err
	}
	var errs model.Errors
	if req.Tenant != PlatformTenant && !model.ValidSlug(req.Tenant) {
		errs.Add("/tenant", "must be a tenant id or %q", PlatformTenant)
	}
	role, err := identity.ParseRole(req.Role)
	if err != nil {
		errs.Add("/role", "must be one of owner, admin, developer, viewer")
	}
	if m := (model.Member{Email: req.Email, Role: "viewer"}); len(model.ValidateMember(&m)) > 0 {
		errs.Add("/email", "must be an email address")
	}
	if p := errs.Problem(); p != nil {
		return p
	}
	if req.Tenant != PlatformTenant {
		if _, err := h.cat.GetTenant(r.Context(), req.Tenant); err != nil {
			return problem.BadRequest("/tenant", "no such tenant")
		}
	}
	now := h.cfg.Now()
	p := identity.Principal{Subject: "dev:" + strings.ToLower(req.Email), Email: req.Email, Tenant: req.Tenant, Role: role}
	tok, err := h.cfg.DevLogin.Issue(p, h.cfg.DevLoginTTL, now)
	if err != nil {
		return fmt.Errorf("issue dev token: %w", err)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"token": tok, "tokenType": "Bearer", "expiresAt": now.Add(h.cfg.DevLoginTTL).UTC()})
}

// --- tenants ---

func (h *Handler) listTenants(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	return list(h, w, r, p.Tenant, "tenants", func(limit int, cursor string) ([]model.Tenant, string, error) {
		return h.cat.ListTenants(r.Context(), limit, cursor)
	})
}

func (h *Handler) createTenant(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var t model.Tenant
	if err := h.decode(w, r, &t); err != nil {
		return err
	}
	out, err := h.cat.CreateTenant(r.Context(), h.actor(r, p), &t)
	if err != nil {
		return err
	}
	w.Header().Set("Location", prefix+"/tenants/"+out.ID)
	return writeResource(w, http.StatusCreated, out.Revision, out)
}

func (h *Handler) getTenant(w http.ResponseWriter, r *http.Request, _ identity.Principal) error {
	t, err := h.cat.GetTenant(r.Context(), r.PathValue("tenant"))
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, t.Revision, t)
}

func (h *Handler) updateTenant(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var t model.Tenant
	if err := h.decode(w, r, &t); err != nil {
		return err
	}
	id := r.PathValue("tenant")
	if t.ID == "" {
		t.ID = id
	}
	expect, im, err := expectation(r, t.Revision)
	if err != nil {
		return err
	}
	out, err := h.cat.UpdateTenant(r.Context(), h.actor(r, p), id, expect, &t)
	if err != nil {
		return staleAs412(err, im)
	}
	return writeResource(w, http.StatusOK, out.Revision, out)
}

func (h *Handler) deleteTenant(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	if err := h.cat.DeleteTenant(r.Context(), h.actor(r, p), r.PathValue("tenant")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- APIs ---

func (h *Handler) listAPIs(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	return list(h, w, r, p.Tenant, "apis", func(limit int, cursor string) ([]model.API, string, error) {
		return h.cat.ListAPIs(r.Context(), p.Tenant, limit, cursor)
	})
}

func (h *Handler) createAPI(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var a model.API
	if err := h.decode(w, r, &a); err != nil {
		return err
	}
	out, err := h.cat.CreateAPI(r.Context(), p.Tenant, h.actor(r, p), &a)
	if err != nil {
		return err
	}
	w.Header().Set("Location", prefix+"/apis/"+out.Slug)
	return writeResource(w, http.StatusCreated, out.Revision, out)
}

func (h *Handler) getAPI(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	a, err := h.cat.GetAPI(r.Context(), p.Tenant, r.PathValue("api"))
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, a.Revision, a)
}

func (h *Handler) updateAPI(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var a model.API
	if err := h.decode(w, r, &a); err != nil {
		return err
	}
	slug := r.PathValue("api")
	if a.Slug == "" {
		a.Slug = slug
	}
	expect, im, err := expectation(r, a.Revision)
	if err != nil {
		return err
	}
	out, err := h.cat.UpdateAPI(r.Context(), p.Tenant, h.actor(r, p), slug, expect, &a)
	if err != nil {
		return staleAs412(err, im)
	}
	return writeResource(w, http.StatusOK, out.Revision, out)
}

func (h *Handler) deleteAPI(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	expect, im, err := expectation(r, 0)
	if err != nil {
		return err
	}
	if err := h.cat.DeleteAPI(r.Context(), p.Tenant, h.actor(r, p), r.PathValue("api"), expect); err != nil {
		return staleAs412(err, im)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- versions ---

func (h *Handler) listVersions(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	vs, err := h.cat.ListVersions(r.Context(), p.Tenant, r.PathValue("api"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[model.Version]{Items: vs})
}

func (h *Handler) createVersion(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var v model.Version
	if err := h.decode(w, r, &v); err != nil {
		return err
	}
	api := r.PathValue("api")
	if v.API != "" && v.API != api {
		return problem.BadRequest("/api", "must match the API in the path")
	}
	out, err := h.cat.CreateVersion(r.Context(), p.Tenant, h.actor(r, p), api, &v)
	if err != nil {
		return err
	}
	w.Header().Set("Location", prefix+"/apis/"+api+"/versions/"+out.Name)
	return writeResource(w, http.StatusCreated, out.Revision, out)
}

func (h *Handler) getVersion(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	v, err := h.cat.GetVersion(r.Context(), p.Tenant, r.PathValue("api"), r.PathValue("version"))
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, v.Revision, v)
}

type versionPatch struct {
	Description *string    `json:"description"`
	SunsetAt    *time.Time `json:"sunsetAt"`
	Revision    int64      `json:"revision"`
}

func (h *Handler) patchVersion(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var vp versionPatch
	if err := h.decode(w, r, &vp); err != nil {
		return err
	}
	expect, im, err := expectation(r, vp.Revision)
	if err != nil {
		return err
	}
	out, err := h.cat.UpdateVersion(r.Context(), p.Tenant, h.actor(r, p), r.PathValue("api"), r.PathValue("version"), expect, "update", func(v *model.Version) error {
		if vp.Description != nil {
			v.Description = *vp.Description
		}
		if vp.SunsetAt != nil {
			t := vp.SunsetAt.UTC()
			v.SunsetAt = &t
		}
		return nil
	})
	if err != nil {
		return staleAs412(err, im)
	}
	return writeResource(w, http.StatusOK, out.Revision, out)
}

type transitionRequest struct {
	SunsetAt *time.Time `json:"sunsetAt"`
}

func (h *Handler) transition(to model.VersionStatus, action string) func(http.ResponseWriter, *http.Request, identity.Principal) error {
	return func(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
		var req transitionRequest
		if err := h.decodeOptional(w, r, &req); err != nil {
			return err
		}
		expect, im, err := expectation(r, 0)
		if err != nil {
			return err
		}
		out, err := h.cat.UpdateVersion(r.Context(), p.Tenant, h.actor(r, p), r.PathValue("api"), r.PathValue("version"), expect, action, func(v *model.Version) error {
			v.Status = to
			if req.SunsetAt != nil {
				t := req.SunsetAt.UTC()
				v.SunsetAt = &t
			}
			return nil
		})
		if err != nil {
			return staleAs412(err, im)
		}
		if to == model.StatusPublished {
			h.warmVersion(p.Tenant, out.API, out.Name) // warmup.go
		}
		return writeResource(w, http.StatusOK, out.Revision, out)
	}
}

func (h *Handler) deleteVersion(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	expect, im, err := expectation(r, 0)
	if err != nil {
		return err
	}
	if err := h.cat.DeleteVersion(r.Context(), p.Tenant, h.actor(r, p), r.PathValue("api"), r.PathValue("version"), expect); err != nil {
		return staleAs412(err, im)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- endpoints ---

func (h *Handler) listEndpoints(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	eps, err := h.cat.ListEndpoints(r.Context(), p.Tenant, r.PathValue("api"), r.PathValue("version"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[model.Endpoint]{Items: eps})
}

func (h *Handler) endpointBody(w http.ResponseWriter, r *http.Request) (*model.Endpoint, error) {
	var ep model.Endpoint
	if err := h.decode(w, r, &ep); err != nil {
		return nil, err
	}
	api, ver := r.PathValue("api"), r.PathValue("version")
	var errs model.Errors
	if ep.API != "" && ep.API != api {
		errs.Add("/api", "must match the API in the path")
	}
	if ep.Version != "" && ep.Version != ver {
		errs.Add("/version", "must match the version in the path")
	}
	if p := errs.Problem(); p != nil {
		return nil, p
	}
	ep.API, ep.Version = api, ver
	return &ep, nil
}

func (h *Handler) createEndpoint(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	ep, err := h.endpointBody(w, r)
	if err != nil {
		return err
	}
	if ep.ID != "" {
		return problem.BadRequest("/id", "is assigned by the server")
	}
	out, err := h.cat.CreateEndpoint(r.Context(), p.Tenant, h.actor(r, p), ep)
	if err != nil {
		return err
	}
	w.Header().Set("Location", prefix+"/apis/"+out.API+"/versions/"+out.Version+"/endpoints/"+out.ID)
	return writeResource(w, http.StatusCreated, out.Revision, out)
}

func (h *Handler) getEndpoint(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	ep, err := h.cat.GetEndpoint(r.Context(), p.Tenant, r.PathValue("api"), r.PathValue("version"), r.PathValue("endpoint"))
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, ep.Revision, ep)
}

func (h *Handler) updateEndpoint(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	ep, err := h.endpointBody(w, r)
	if err != nil {
		return err
	}
	id := r.PathValue("endpoint")
	if ep.ID != "" && ep.ID != id {
		return problem.BadRequest("/id", "must match the endpoint in the path")
	}
	ep.ID = id
	expect, im, err := expectation(r, ep.Revision)
	if err != nil {
		return err
	}
	out, err := h.cat.UpdateEndpoint(r.Context(), p.Tenant, h.actor(r, p), expect, ep)
	if err != nil {
		return staleAs412(err, im)
	}
	return writeResource(w, http.StatusOK, out.Revision, out)
}

func (h *Handler) deleteEndpoint(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	expect, im, err := expectation(r, 0)
	if err != nil {
		return err
	}
	if err := h.cat.DeleteEndpoint(r.Context(), p.Tenant, h.actor(r, p), r.PathValue("api"), r.PathValue("version"), r.PathValue("endpoint"), expect); err != nil {
		return staleAs412(err, im)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- integrations, consumers, members ---

func (h *Handler) listIntegrations(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	return list(h, w, r, p.Tenant, "integrations", func(limit int, cursor string) ([]model.Integration, string, error) {
		return h.cat.ListIntegrations(r.Context(), p.Tenant, limit, cursor)
	})
}

func (h *Handler) createIntegration(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var in model.Integration
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	out, err := h.cat.CreateIntegration(r.Context(), p.Tenant, h.actor(r, p), &in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", prefix+"/integrations/"+out.Slug)
	return writeResource(w, http.StatusCreated, out.Revision, out)
}

func (h *Handler) getIntegration(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	in, err := h.cat.GetIntegration(r.Context(), p.Tenant, r.PathValue("integration"))
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, in.Revision, in)
}

func (h *Handler) updateIntegration(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var in model.Integration
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	slug := r.PathValue("integration")
	if in.Slug == "" {
		in.Slug = slug
	}
	expect, im, err := expectation(r, in.Revision)
	if err != nil {
		return err
	}
	out, err := h.cat.UpdateIntegration(r.Context(), p.Tenant, h.actor(r, p), slug, expect, &in)
	if err != nil {
		return staleAs412(err, im)
	}
	return writeResource(w, http.StatusOK, out.Revision, out)
}

func (h *Handler) deleteIntegration(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	expect, im, err := expectation(r, 0)
	if err != nil {
		return err
	}
	if err := h.cat.DeleteIntegration(r.Context(), p.Tenant, h.actor(r, p), r.PathValue("integration"), expect); err != nil {
		return staleAs412(err, im)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listConsumers(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	return list(h, w, r, p.Tenant, "consumers", func(limit int, cursor string) ([]model.Consumer, string, error) {
		return h.cat.ListConsumers(r.Context(), p.Tenant, limit, cursor)
	})
}

func (h *Handler) createConsumer(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var c model.Consumer
	if err := h.decode(w, r, &c); err != nil {
		return err
	}
	out, err := h.cat.CreateConsumer(r.Context(), p.Tenant, h.actor(r, p), &c)
	if err != nil {
		return err
	}
	w.Header().Set("Location", prefix+"/consumers/"+out.Slug)
	return writeResource(w, http.StatusCreated, out.Revision, out)
}

func (h *Handler) getConsumer(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	c, err := h.cat.GetConsumer(r.Context(), p.Tenant, r.PathValue("consumer"))
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, c.Revision, c)
}

func (h *Handler) updateConsumer(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var c model.Consumer
	if err := h.decode(w, r, &c); err != nil {
		return err
	}
	slug := r.PathValue("consumer")
	if c.Slug == "" {
		c.Slug = slug
	}
	expect, im, err := expectation(r, c.Revision)
	if err != nil {
		return err
	}
	out, err := h.cat.UpdateConsumer(r.Context(), p.Tenant, h.actor(r, p), slug, expect, &c)
	if err != nil {
		return staleAs412(err, im)
	}
	return writeResource(w, http.StatusOK, out.Revision, out)
}

func (h *Handler) deleteConsumer(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	expect, im, err := expectation(r, 0)
	if err != nil {
		return err
	}
	if err := h.cat.DeleteConsumer(r.Context(), p.Tenant, h.actor(r, p), r.PathValue("consumer"), expect); err != nil {
		return staleAs412(err, im)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) listMembers(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	ms, err := h.cat.ListMembers(r.Context(), p.Tenant)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[model.Member]{Items: ms})
}

func (h *Handler) putMember(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var m model.Member
	if err := h.decode(w, r, &m); err != nil {
		return err
	}
	email := r.PathValue("email")
	if m.Email == "" {
		m.Email = email
	}
	if !strings.EqualFold(m.Email, email) {
		return problem.BadRequest("/email", "must match the member in the path")
	}
	out, err := h.cat.PutMember(r.Context(), p.Tenant, h.actor(r, p), &m)
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, out.Revision, out)
}

func (h *Handler) deleteMember(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	if err := h.cat.DeleteMember(r.Context(), p.Tenant, h.actor(r, p), strings.ToLower(r.PathValue("email"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- audit ---

func (h *Handler) listAudit(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	q := r.URL.Query()
	f := catalog.AuditFilter{Resource: q.Get("resource"), ResourceType: q.Get("resourceType"), Actor: q.Get("actor")}
	var errs model.Errors
	for _, tf := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := q.Get(tf.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				errs.Add("/"+tf.name, "must be an RFC 3339 timestamp")
			}
			*tf.dst = t
		}
	}
	if pr := errs.Problem(); pr != nil {
		return pr
	}
	scope := "audit?" + q.Get("resource") + "|" + q.Get("resourceType") + "|" + q.Get("actor") + "|" + q.Get("from") + "|" + q.Get("to")
	return list(h, w, r, p.Tenant, scope, func(limit int, cursor string) ([]model.AuditEntry, string, error) {
		f.Limit, f.Cursor = limit, cursor
		return h.cat.ListAudit(r.Context(), p.Tenant, f)
	})
}
