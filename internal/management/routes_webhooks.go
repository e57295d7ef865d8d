package management

import (
	"net/http"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/model"
)

// webhookRoutes manage outbound webhook subscriptions and show their
// delivery log (docs/integrations.md, Webhooks).
func (h *Handler) webhookRoutes() []apiRoute {
	const base = prefix + "/webhooks"
	return []apiRoute{
		{"GET " + base, member, identity.RoleViewer, h.listWebhooks},
		{"POST " + base, member, identity.RoleAdmin, h.createWebhook},
		{"GET " + base + "/{webhook}", member, identity.RoleViewer, h.getWebhook},
		{"DELETE " + base + "/{webhook}", member, identity.RoleAdmin, h.deleteWebhook},
		{"PATCH " + base + "/{webhook}", member, identity.RoleAdmin, h.patchWebhook},                     // routes_webhook_manage.go
		{"POST " + base + "/{webhook}/rotate-secret", member, identity.RoleAdmin, h.rotateWebhookSecret}, // routes_webhook_manage.go
		{"POST " + base + "/{webhook}/test", member, identity.RoleDeveloper, h.testWebhook},              // routes_webhook_manage.go
		{"GET " + base + "/{webhook}/deliveries", member, identity.RoleViewer, h.listDeliveries},
		{"POST " + base + "/{webhook}/deliveries/{delivery}/retry", member, identity.RoleAdmin, h.retryDelivery},
	}
}

// createdWebhook is the only answer that carries the signing secret (the
// creation, and a rotation: routes_webhook_manage.go).
type createdWebhook struct {
	*model.WebhookSubscription
	Secret string `json:"secret"`
}

func (h *Handler) listWebhooks(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	return list(h, w, r, p.Tenant, "webhooks", func(limit int, cursor string) ([]model.WebhookSubscription, string, error) {
		return h.cat.ListWebhooks(r.Context(), p.Tenant, limit, cursor)
	})
}

func (h *Handler) createWebhook(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var s model.WebhookSubscription
	if err := h.decode(w, r, &s); err != nil {
		return err
	}
	out, secret, err := h.cat.CreateWebhook(r.Context(), p.Tenant, h.actor(r, p), &s)
	if err != nil {
		return err
	}
	w.Header().Set("Location", prefix+"/webhooks/"+out.ID)
	w.Header().Set("Cache-Control", "no-store")
	return writeResource(w, http.StatusCreated, out.Revision, createdWebhook{out, secret})
}

func (h *Handler) getWebhook(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	s, err := h.cat.GetWebhook(r.Context(), p.Tenant, r.PathValue("webhook"))
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, s.Revision, s)
}

func (h *Handler) deleteWebhook(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	if err := h.cat.DeleteWebhook(r.Context(), p.Tenant, h.actor(r, p), r.PathValue("webhook")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listDeliveries is GET /webhooks/{webhook}/deliveries: newest first,
// kept for catalog.DeliveryTTL.
func (h *Handler) listDeliveries(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	id := r.PathValue("webhook")
	if _, err := h.cat.GetWebhook(r.Context(), p.Tenant, id); err != nil {
		return err
	}
	return list(h, w, r, p.Tenant, "deliveries/"+id, func(limit int, cursor string) ([]webhook.Delivery, string, error) {
		return h.cat.ListDeliveries(r.Context(), p.Tenant, id, limit, cursor)
	})
}
