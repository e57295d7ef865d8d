package management

import (
	"net/http"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
)

// secretRoutes manage the tenant's secrets (docs/secrets.md). Values are
// write-only: no answer, log line or audit entry carries one. Names and
// bookkeeping are readable by viewers, who see the same names in the
// integrations that reference them.
func (h *Handler) secretRoutes() []apiRoute {
	const base = prefix + "/secrets"
	return []apiRoute{
		{"GET " + base, member, identity.RoleViewer, h.listSecrets},
		{"GET " + base + "/{name}", member, identity.RoleViewer, h.getSecret},
		{"PUT " + base + "/{name}", member, identity.RoleAdmin, h.putSecret},
		{"DELETE " + base + "/{name}", member, identity.RoleAdmin, h.deleteSecret},
	}
}

// secretValue is the body of PUT /secrets/{name}.
type secretValue struct {
	Value string `json:"value"`
}

func (h *Handler) listSecrets(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	return list(h, w, r, p.Tenant, "secrets", func(limit int, cursor string) ([]model.Secret, string, error) {
		return h.cat.ListSecrets(r.Context(), p.Tenant, limit, cursor)
	})
}

func (h *Handler) getSecret(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	s, err := h.cat.GetSecret(r.Context(), p.Tenant, r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, s.Revision, s)
}

// putSecret creates (201) or replaces (200) a secret; the answer is its
// record, without the value.
func (h *Handler) putSecret(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var body secretValue
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	name := r.PathValue("name")
	s, created, err := h.cat.PutSecret(r.Context(), p.Tenant, h.actor(r, p), name, body.Value)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", prefix+"/secrets/"+name)
	}
	return writeResource(w, status, s.Revision, s)
}

func (h *Handler) deleteSecret(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	if err := h.cat.DeleteSecret(r.Context(), p.Tenant, h.actor(r, p), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
