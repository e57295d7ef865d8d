package management

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
)

// ModuleValidator validates (and warms) a WebAssembly transform module at
// upload: size, header, imports, the ABI, start-up and configure with the
// transform's config. app wires one over wasmhost; its error text is shown
// to the tenant.
type ModuleValidator func(ctx context.Context, name string, wasm, config []byte) error

// transformCRUDRoutes store transforms (TRF#<slug>) and their modules.
func (h *Handler) transformCRUDRoutes() []apiRoute {
	const (
		viewer = identity.RoleViewer
		dev    = identity.RoleDeveloper
		admin  = identity.RoleAdmin
	)
	return []apiRoute{
		{"GET " + prefix + "/transforms", member, viewer, h.listTransforms},
		{"POST " + prefix + "/transforms", member, dev, h.createTransform},
		{"GET " + prefix + "/transforms/{transform}", member, viewer, h.getTransform},
		{"PUT " + prefix + "/transforms/{transform}", member, dev, h.updateTransform},
		{"DELETE " + prefix + "/transforms/{transform}", member, admin, h.deleteTransform},
		{"PUT " + prefix + "/transforms/{transform}/module", member, dev, h.putTransformModule},
		{"GET " + prefix + "/transform-modules", member, viewer, h.listModules},        // routes_transform_modules.go
		{"POST " + prefix + "/transform-modules:sweep", member, admin, h.sweepModules}, // routes_transform_modules.go
	}
}

func (h *Handler) listTransforms(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	return list(h, w, r, p.Tenant, "transforms", func(limit int, cursor string) ([]model.Transform, string, error) {
		return h.cat.ListTransforms(r.Context(), p.Tenant, limit, cursor)
	})
}

func (h *Handler) createTransform(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var t model.Transform
	if err := h.decode(w, r, &t); err != nil {
		return err
	}
	if t.Module != nil {
		return problem.BadRequest("/module", "is set by uploading the module (PUT .../module)")
	}
	out, err := h.cat.CreateTransform(r.Context(), p.Tenant, h.actor(r, p), &t)
	if err != nil {
		return err
	}
	w.Header().Set("Location", prefix+"/transforms/"+out.Slug)
	return writeResource(w, http.StatusCreated, out.Revision, out)
}

func (h *Handler) getTransform(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	t, err := h.cat.GetTransform(r.Context(), p.Tenant, r.PathValue("transform"))
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, t.Revision, t)
}

func (h *Handler) updateTransform(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var t model.Transform
	if err := h.decode(w, r, &t); err != nil {
		return err
	}
	slug := r.PathValue("transform")
	if t.Slug == "" {
		t.Slug = slug
	}
	expect, im, err := expectation(r, t.Revision)
	if err != nil {
		return err
	}
	// The module is kept by the catalog; a body echoing it back is fine.
	t.Module = nil
	if t.Type == model.TransformWasm && len(t.Config) > 0 && h.cfg.Modules != nil {
		// A new configuration must work with the stored module.
		old, err := h.cat.GetTransform(r.Context(), p.Tenant, slug)
		if err != nil {
			return err
		}
		if old.Module != nil && old.Type == model.TransformWasm {
			wasm, err := h.cat.GetModule(r.Context(), p.Tenant, old.Module.Hash)
			if err != nil {
				return err
			}
			if err := h.cfg.Modules(r.Context(), slug, wasm, t.Config); err != nil {
				return problem.Validation([]problem.FieldError{{Pointer: "/config", Detail: "the module refused this configuration: " + err.Error()}})
			}
		}
	}
	out, err := h.cat.UpdateTransform(r.Context(), p.Tenant, h.actor(r, p), slug, expect, &t)
	if err != nil {
		return staleAs412(err, im)
	}
	return writeResource(w, http.StatusOK, out.Revision, out)
}

func (h *Handler) deleteTransform(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	expect, im, err := expectation(r, 0)
	if err != nil {
		return err
	}
	if err := h.cat.DeleteTransform(r.Context(), p.Tenant, h.actor(r, p), r.PathValue("transform"), expect); err != nil {
		return staleAs412(err, im)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// putTransformModule uploads the module of a wasm transform: the raw bytes
// (Content-Type application/wasm), at most catalog.MaxModuleBytes (on AWS
// also Lambda's 6 MB request payload). The module is validated and warmed
// with the transform's config before it is stored content-addressed.
func (h *Handler) putTransformModule(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	if h.cfg.Modules == nil {
		return problem.New(http.StatusServiceUnavailable, "wasm-unavailable", "Service Unavailable", "this deployment cannot run WebAssembly transforms")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, catalog.MaxModuleBytes))
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return tooLarge(catalog.MaxModuleBytes)
	}
	if err != nil {
		return problem.BadRequest("", "the body could not be read")
	}
	if len(body) == 0 {
		return problem.BadRequest("", "send the module's bytes (Content-Type: application/wasm)")
	}
	slug := r.PathValue("transform")
	expect, im, err := expectation(r, 0)
	if err != nil {
		return err
	}
	t, err := h.cat.GetTransform(r.Context(), p.Tenant, slug)
	if err != nil {
		return err
	}
	if t.Type != model.TransformWasm {
		return problem.Conflict(fmt.Sprintf("transform %q is %s; only wasm transforms have a module", slug, t.Type))
	}
	if err := h.cfg.Modules(r.Context(), slug, body, t.Config); err != nil {
		return problem.Validation([]problem.FieldError{{Pointer: "", Detail: "the module is not a valid transform module: " + err.Error()}})
	}
	out, err := h.cat.PutTransformModule(r.Context(), p.Tenant, h.actor(r, p), slug, expect, body)
	if err != nil {
		return staleAs412(err, im)
	}
	return writeResource(w, http.StatusOK, out.Revision, out)
}
