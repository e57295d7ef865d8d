package management

import (
	"context"
	"errors"
	"net/http"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
)

// WebhookRedeliverer sends one delivery of a subscription again, now, and
// returns it as recorded in the delivery log (the webhook dispatcher,
// app.NewManagement). It answers webhook.ErrNoMessage for a delivery it
// does not know and webhook.ErrBusy while the message is being dispatched.
type WebhookRedeliverer interface {
	Redeliver(ctx context.Context, tenant, subscription, delivery string) (webhook.Delivery, error)
}

// retryDelivery is POST /webhooks/{webhook}/deliveries/{delivery}/retry:
// one attempt now with the same webhook-id (receivers deduplicate), in the
// request, recorded in the delivery log and the audit trail. Deliveries
// can be retried as long as the log keeps them (catalog.DeliveryTTL).
func (h *Handler) retryDelivery(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	sub, id := r.PathValue("webhook"), r.PathValue("delivery")
	if _, err := h.cat.GetWebhook(r.Context(), p.Tenant, sub); err != nil {
		return err
	}
	if h.cfg.Webhooks == nil {
		return problem.New(http.StatusServiceUnavailable, "webhooks-unavailable", "Service Unavailable", "this installation cannot redeliver webhooks")
	}
	d, err := h.cfg.Webhooks.Redeliver(r.Context(), p.Tenant, sub, id)
	switch {
	case errors.Is(err, webhook.ErrNoMessage):
		return problem.NotFound("the subscription has no such delivery (deliveries are kept 7 days)").WithCause(err)
	case errors.Is(err, webhook.ErrBusy):
		pr := problem.New(http.StatusConflict, "delivery-in-progress", "Conflict", "the message is being delivered right now; retry shortly").WithCause(err)
		pr.Headers = http.Header{"Retry-After": {"10"}}
		return pr
	case err != nil:
		return err
	}
	if _, err := h.cat.RecordAudit(r.Context(), p.Tenant, h.actor(r, p), model.AuditEntry{
		Action: "retry", ResourceType: "webhook-delivery", Resource: "webhook/" + sub + "/deliveries/" + id,
	}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}
