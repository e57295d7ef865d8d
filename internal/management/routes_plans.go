package management

import (
	"net/http"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
)

// planRoutes manage the tenant's rate-limit plans, which API keys name
// (docs/ratelimit.md, Plans). Plans set what consumers may spend, so
// changing them takes an admin.
func (h *Handler) planRoutes() []apiRoute {
	const base = prefix + "/plans"
	return []apiRoute{
		{"GET " + base, member, identity.RoleViewer, h.listPlans},
		{"POST " + base, member, identity.RoleAdmin, h.createPlan},
		{"GET " + base + "/{plan}", member, identity.RoleViewer, h.getPlan},
		{"PUT " + base + "/{plan}", member, identity.RoleAdmin, h.updatePlan},
		{"DELETE " + base + "/{plan}", member, identity.RoleAdmin, h.deletePlan},
	}
}

func (h *Handler) listPlans(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	return list(h, w, r, p.Tenant, "plans", func(limit int, cursor string) ([]model.Plan, string, error) {
		return h.cat.ListPlans(r.Context(), p.Tenant, limit, cursor)
	})
}

func (h *Handler) createPlan(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var pl model.Plan
	if err := h.decode(w, r, &pl); err != nil {
		return err
	}
	out, err := h.cat.CreatePlan(r.Context(), p.Tenant, h.actor(r, p), &pl)
	if err != nil {
		return err
	}
	w.Header().Set("Location", prefix+"/plans/"+out.Slug)
	return writeResource(w, http.StatusCreated, out.Revision, out)
}

func (h *Handler) getPlan(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	pl, err := h.cat.GetPlan(r.Context(), p.Tenant, r.PathValue("plan"))
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, pl.Revision, pl)
}

func (h *Handler) updatePlan(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var pl model.Plan
	if err := h.decode(w, r, &pl); err != nil {
		return err
	}
	slug := r.PathValue("plan")
	if pl.Slug == "" {
		pl.Slug = slug
	}
	expect, im, err := expectation(r, pl.Revision)
	if err != nil {
		return err
	}
	out, err := h.cat.UpdatePlan(r.Context(), p.Tenant, h.actor(r, p), slug, expect, &pl)
	if err != nil {
		return staleAs412(err, im)
	}
	return writeResource(w, http.StatusOK, out.Revision, out)
}

func (h *Handler) deletePlan(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	expect, im, err := expectation(r, 0)
	if err != nil {
		return err
	}
	if err := h.cat.DeletePlan(r.Context(), p.Tenant, h.actor(r, p), r.PathValue("plan"), expect); err != nil {
		return staleAs412(err, im)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
