package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
)

// SecretReader returns the current value of a tenant secret
// (*secrets.Cache); the error wraps secrets.ErrNotFound when there is
// none.
type SecretReader interface {
	Get(ctx context.Context, tenant, name string) (string, error)
}

// MaxWebhookBody bounds the body of an inbound webhook: it is read whole
// to check its signature before anything else sees it.
const MaxWebhookBody = webhook.DefaultMaxBody

// verifyWebhook authenticates an inbound webhook (Standard Webhooks):
// webhook-id, webhook-timestamp within the policy's tolerance, and a v1
// signature of the raw body by one of the policy's secrets. On success the
// body is restored for the next stages and the request carries a webhook
// caller whose subject is the first secret's name; without an
// Idempotency-Key the webhook-id becomes one, so an endpoint with an
// idempotency policy replays a redelivery instead of running it twice.
func (g *Gateway) verifyWebhook(r *http.Request, tenant string, pol *model.AuthPolicy) (*http.Request, *problem.Problem) {
	if g.cfg.Secrets == nil {
		return nil, problem.New(http.StatusServiceUnavailable, "policy-unavailable", "Service Unavailable",
			"this endpoint verifies webhook signatures, which needs a secrets store this gateway is not configured with; it fails closed")
	}
	ip, p := g.blocked(r, tenant)
	if p != nil {
		return nil, p
	}
	keys := make([]string, 0, len(pol.Secrets))
	for _, name := range pol.Secrets {
		v, err := g.cfg.Secrets.Get(r.Context(), tenant, name)
		if err != nil {
			// A missing secret is a configuration error on the tenant's
			// side: fail closed without telling the sender more.
			return nil, problem.New(http.StatusServiceUnavailable, "auth-unavailable", "Service Unavailable",
				"the webhook cannot be verified right now; retry").WithCause(err)
		}
		keys = append(keys, v)
	}
	tol := time.Duration(pol.ToleranceSeconds) * time.Second
	v, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: keys, Tolerance: tol, Now: g.cfg.Now})
	if err != nil {
		return nil, problem.New(http.StatusServiceUnavailable, "auth-unavailable", "Service Unavailable",
			"the webhook cannot be verified right now; retry").WithCause(err)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxWebhookBody+1))
	if err != nil {
		return nil, problem.BadRequest("", "the request body could not be read")
	}
	if len(body) > MaxWebhookBody {
		return nil, problem.New(http.StatusRequestEntityTooLarge, "payload-too-large", "Content Too Large", "the webhook body is larger than 1 MiB")
	}
	id, err := v.Verify(r.Header, body)
	if err != nil {
		if ft := g.cfg.Failures; ft != nil {
			ft.Failed(tenant, ip, "", "", g.cfg.Now())
		}
		detail := "the webhook signature does not verify"
		switch {
		case errors.Is(err, webhook.ErrMissingHeader):
			detail = "a webhook needs webhook-id, webhook-timestamp and webhook-signature headers"
		case errors.Is(err, webhook.ErrTimestamp), errors.Is(err, webhook.ErrTooOld), errors.Is(err, webhook.ErrTooNew):
			detail = "the webhook timestamp is malformed or outside the tolerance window (a replay, or a clock off)"
		}
		return nil, problem.New(http.StatusUnauthorized, "webhook-signature", "Unauthorized", detail)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if r.Header.Get("Idempotency-Key") == "" {
		r.Header.Set("Idempotency-Key", id)
	}
	c := &caller.Caller{Kind: caller.Webhook, Tenant: tenant, Subject: pol.Secrets[0]}
	return r.WithContext(caller.With(r.Context(), c)), nil
}
