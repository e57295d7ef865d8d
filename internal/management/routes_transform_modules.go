package management

import (
	"net/http"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/problem"
)

// minModuleGrace is the shortest grace period a sweep may be given: an
// upload stores its module a moment before the commit that uses it.
const minModuleGrace = 5 * time.Minute

type moduleList struct {
	Items []catalog.StoredModule `json:"items"`
}

// listModules lists the tenant's stored wasm modules with the transforms
// using each.
func (h *Handler) listModules(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	mods, err := h.cat.ListModules(r.Context(), p.Tenant)
	if err != nil {
		return err
	}
	if mods == nil {
		mods = []catalog.StoredModule{}
	}
	return writeJSON(w, http.StatusOK, moduleList{Items: mods})
}

type sweepRequest struct {
	// DryRun reports what would be deleted.
	DryRun bool `json:"dryRun,omitempty"`
	// GraceSeconds keeps unused modules younger than this (default
	// catalog.ModuleGrace, at least minModuleGrace).
	GraceSeconds int `json:"graceSeconds,omitempty"`
}

// sweepModules deletes the modules no transform uses any more, older
// than the grace period, with their chunks; each deletion is audited.
func (h *Handler) sweepModules(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var req sweepRequest
	if err := h.decodeOptional(w, r, &req); err != nil {
		return err
	}
	grace := time.Duration(req.GraceSeconds) * time.Second
	if req.GraceSeconds < 0 || req.GraceSeconds > 0 && grace < minModuleGrace || req.GraceSeconds > 365*24*3600 {
		return problem.Validation([]problem.FieldError{{Pointer: "/graceSeconds", Detail: "must be between 300 and 31536000 seconds (default 86400)"}})
	}
	res, err := h.cat.SweepModules(r.Context(), p.Tenant, h.actor(r, p), grace, req.DryRun)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}
