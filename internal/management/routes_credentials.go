package management

import (
	"net/http"
	"time"

	"github.com/portico/portico/internal/auth/apikey"
	"github.com/portico/portico/internal/auth/oauth2"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
)

// --- API keys ---

type createKeyRequest struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	Plan      string     `json:"plan"`
	ExpiresAt *time.Time `json:"expiresAt"`
}

// issuedKey is the answer to a key creation: the only time the secret is
// ever shown.
type issuedKey struct {
	*model.APIKey
	Secret string `json:"secret"`
}

func (h *Handler) listKeys(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	consumer := r.PathValue("consumer")
	return list(h, w, r, p.Tenant, "keys/"+consumer, func(limit int, cursor string) ([]model.APIKey, string, error) {
		return h.cat.ListAPIKeys(r.Context(), p.Tenant, consumer, limit, cursor)
	})
}

func (h *Handler) createKey(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var req createKeyRequest
	if err := h.decodeOptional(w, r, &req); err != nil {
		return err
	}
	k := &model.APIKey{Name: req.Name, Scopes: req.Scopes, Plan: req.Plan}
	if req.ExpiresAt != nil {
		t := req.ExpiresAt.UTC()
		k.ExpiresAt = &t
	}
	secret, pfx, hash := apikey.Generate()
	consumer := r.PathValue("consumer")
	out, err := h.cat.CreateAPIKey(r.Context(), p.Tenant, h.actor(r, p), consumer, k, pfx, hash.String())
	if err != nil {
		return err
	}
	w.Header().Set("Location", prefix+"/consumers/"+consumer+"/keys/"+out.ID)
	w.Header().Set("Cache-Control", "no-store")
	return writeResource(w, http.StatusCreated, out.Revision, issuedKey{APIKey: out, Secret: secret})
}

func (h *Handler) getKey(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	k, err := h.cat.GetAPIKey(r.Context(), p.Tenant, r.PathValue("consumer"), r.PathValue("key"))
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, k.Revision, k)
}

func (h *Handler) revokeKey(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	k, _, err := h.cat.RevokeAPIKey(r.Context(), p.Tenant, h.actor(r, p), r.PathValue("consumer"), r.PathValue("key"))
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, k.Revision, k)
}

// --- trusted JWT issuers ---

func (h *Handler) listJWTIssuers(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	return list(h, w, r, p.Tenant, "jwt-issuers", func(limit int, cursor string) ([]model.JWTIssuer, string, error) {
		return h.cat.ListJWTIssuers(r.Context(), p.Tenant, limit, cursor)
	})
}

func (h *Handler) createJWTIssuer(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var v model.JWTIssuer
	if err := h.decode(w, r, &v); err != nil {
		return err
	}
	out, err := h.cat.CreateJWTIssuer(r.Context(), p.Tenant, h.actor(r, p), &v)
	if err != nil {
		return err
	}
	w.Header().Set("Location", prefix+"/jwt-issuers/"+out.Slug)
	return writeResource(w, http.StatusCreated, out.Revision, out)
}

func (h *Handler) getJWTIssuer(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	v, err := h.cat.GetJWTIssuer(r.Context(), p.Tenant, r.PathValue("issuer"))
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, v.Revision, v)
}

func (h *Handler) updateJWTIssuer(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var v model.JWTIssuer
	if err := h.decode(w, r, &v); err != nil {
		return err
	}
	slug := r.PathValue("issuer")
	if v.Slug == "" {
		v.Slug = slug
	}
	expect, im, err := expectation(r, v.Revision)
	if err != nil {
		return err
	}
	out, err := h.cat.UpdateJWTIssuer(r.Context(), p.Tenant, h.actor(r, p), slug, expect, &v)
	if err != nil {
		return staleAs412(err, im)
	}
	return writeResource(w, http.StatusOK, out.Revision, out)
}

func (h *Handler) deleteJWTIssuer(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	expect, im, err := expectation(r, 0)
	if err != nil {
		return err
	}
	if err := h.cat.DeleteJWTIssuer(r.Context(), p.Tenant, h.actor(r, p), r.PathValue("issuer"), expect); err != nil {
		return staleAs412(err, im)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- OAuth2 clients ---

type createClientRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// issuedClient is the answer to a client creation: the only time the
// secret is ever shown.
type issuedClient struct {
	*model.OAuthClient
	ClientSecret string `json:"clientSecret"`
}

func (h *Handler) listClients(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	cs, err := h.cat.ListOAuthClients(r.Context(), p.Tenant, r.PathValue("consumer"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[model.OAuthClient]{Items: cs})
}

func (h *Handler) createClient(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var req createClientRequest
	if err := h.decodeOptional(w, r, &req); err != nil {
		return err
	}
	secret, hash := oauth2.GenerateSecret()
	consumer := r.PathValue("consumer")
	out, err := h.cat.CreateOAuthClient(r.Context(), p.Tenant, h.actor(r, p), consumer, &model.OAuthClient{Name: req.Name, Scopes: req.Scopes}, hash)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeResource(w, http.StatusCreated, out.Revision, issuedClient{OAuthClient: out, ClientSecret: secret})
}

func (h *Handler) revokeClient(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	out, err := h.cat.RevokeOAuthClient(r.Context(), p.Tenant, h.actor(r, p), r.PathValue("consumer"), r.PathValue("client"))
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, out.Revision, out)
}
