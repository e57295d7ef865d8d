package management

import (
	"context"
	"net/http"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
)

// WebhookTester sends one webhook.test event to a subscription now and
// returns the attempt, recorded in the delivery log, with the receiver's
// answer (the webhook dispatcher's deliverer, app.NewManagement). It
// answers catalog.ErrNotFound for a subscription that does not exist.
type WebhookTester interface {
	Test(ctx context.Context, tenant, subscription string) (webhook.TestResult, error)
}

// webhookPatch is the body of PATCH /webhooks/{webhook}: absent fields
// are kept.
type webhookPatch struct {
	URL         *string   `json:"url"`
	Events      *[]string `json:"events"`
	Description *string   `json:"description"`
	Disabled    *bool     `json:"disabled"`
	// Revision is the revision read, when If-Match is not used.
	Revision int64 `json:"revision"`
}

// patchWebhook is PATCH /webhooks/{webhook}: URL (vetted by the SSRF
// guard again), events, description, disabled. If-Match or a body
// revision guards against lost updates (412 / 409).
func (h *Handler) patchWebhook(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var wp webhookPatch
	if err := h.decode(w, r, &wp); err != nil {
		return err
	}
	expect, im, err := expectation(r, wp.Revision)
	if err != nil {
		return err
	}
	out, err := h.cat.UpdateWebhook(r.Context(), p.Tenant, h.actor(r, p), r.PathValue("webhook"), expect, catalog.WebhookPatch{
		URL: wp.URL, Events: wp.Events, Description: wp.Description, Disabled: wp.Disabled,
	})
	if err != nil {
		return staleAs412(err, im)
	}
	return writeResource(w, http.StatusOK, out.Revision, out)
}

// rotateRequest is the optional body of POST /webhooks/{webhook}/rotate-secret.
type rotateRequest struct {
	// GraceSeconds is how long the previous secret keeps signing; absent
	// means catalog.DefaultWebhookGrace, 0 drops it at once.
	GraceSeconds *int64 `json:"graceSeconds"`
}

// rotateWebhookSecret is POST /webhooks/{webhook}/rotate-secret: a new
// secret, shown once (like the one of the creation), the previous one
// still signing for the grace period.
func (h *Handler) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var req rotateRequest
	if err := h.decodeOptional(w, r, &req); err != nil {
		return err
	}
	grace := catalog.DefaultWebhookGrace
	if req.GraceSeconds != nil {
		maxSec := int64(catalog.MaxWebhookGrace / time.Second)
		if n := *req.GraceSeconds; n < 0 || n > maxSec {
			var errs model.Errors
			errs.Add("/graceSeconds", "must be between 0 and %d seconds", maxSec)
			return errs.Problem()
		}
		grace = time.Duration(*req.GraceSeconds) * time.Second
	}
	out, secret, err := h.cat.RotateWebhookSecret(r.Context(), p.Tenant, h.actor(r, p), r.PathValue("webhook"), grace)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeResource(w, http.StatusOK, out.Revision, createdWebhook{out, secret})
}

// testWebhook is POST /webhooks/{webhook}/test: one webhook.test event
// sent now, in the request, signed like every delivery (both signatures
// during a rotation), whether or not the subscription is enabled. The
// answer is the attempt as the delivery log records it and what the
// receiver said (status, time, at most webhook.MaxExcerpt bytes of its
// body, secrets redacted); a receiver's failure is a 200 with state
// failed, not an error of this route. Audited (action test).
func (h *Handler) testWebhook(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	id := r.PathValue("webhook")
	if _, err := h.cat.GetWebhook(r.Context(), p.Tenant, id); err != nil {
		return err
	}
	if h.cfg.WebhookTests == nil {
		return problem.New(http.StatusServiceUnavailable, "webhooks-unavailable", "Service Unavailable", "this installation cannot send test webhooks")
	}
	res, err := h.cfg.WebhookTests.Test(r.Context(), p.Tenant, id)
	if err != nil {
		return err
	}
	if _, err := h.cat.RecordAudit(r.Context(), p.Tenant, h.actor(r, p), model.AuditEntry{
		Action: "test", ResourceType: "webhook-delivery", Resource: "webhook/" + id + "/deliveries/" + res.ID,
	}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}
