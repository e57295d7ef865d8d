package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/integration/webhook/webhooklambda"
	"github.com/portico/portico/internal/management"
	"github.com/portico/portico/internal/proxy"
)

// NewWebhookDispatcher builds the webhook outbox dispatcher over the
// catalog (outbox, subscriptions and delivery log). Deliveries go through
// the upstream SSRF guard twice: each subscription URL is re-checked
// before every attempt, and every dialled address by the guarded
// transport (proxies ignored, so the guard judges the receiver's address).
func NewWebhookDispatcher(e Env, cat *catalog.Catalog, log *slog.Logger) (*webhook.Dispatcher, error) {
	guard := upstreamGuard(e)
	t := proxy.NewTransportWith(proxy.TransportConfig{Control: guard.Control, NoProxy: true, ConnectTimeout: 3 * time.Second})
	del, err := webhook.NewDeliverer(webhook.DelivererConfig{Client: &http.Client{Transport: t}, CheckURL: guard.CheckURL, Log: cat})
	if err != nil {
		return nil, err
	}
	return webhook.NewDispatcher(webhook.DispatcherConfig{
		Outbox: cat.WebhookOutbox(), Targets: cat.WebhookTargets, Deliverer: del, Logger: log,
	})
}

// NewWebhookHandler is the webhook-dispatcher function's handler
// (DynamoDB Streams records of new outbox items, and the retry schedule).
func NewWebhookHandler(e Env, cat *catalog.Catalog, log *slog.Logger) (func(context.Context, json.RawMessage) (webhooklambda.Result, error), error) {
	d, err := NewWebhookDispatcher(e, cat, log)
	if err != nil {
		return nil, err
	}
	h := &webhooklambda.Handler{Dispatcher: d, Ref: catalog.OutboxRef, Logger: log}
	return h.Handle, nil
}

// startWebhookDispatcher runs the dispatcher of the local server: woken by
// every commit that queues a message, and every second for retries. The
// returned stop cancels it and waits for it to finish the attempts it
// has started.
func startWebhookDispatcher(ctx context.Context, e Env, cat *catalog.Catalog, log *slog.Logger) (stop func(), err error) {
	d, err := NewWebhookDispatcher(e, cat, log)
	if err != nil {
		return nil, fmt.Errorf("webhook dispatcher: %w", err)
	}
	cat.OnWebhookQueued(func(string) { d.Wake() })
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	tick := time.NewTicker(time.Second)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx, tick.C)
	}()
	return func() {
		cancel()
		tick.Stop()
		<-done
	}, nil
}

// webhookRedeliverer is the management API's on-demand retry: one
// dispatcher attempt within the request (management.WebhookRedeliverer).
type webhookRedeliverer struct{ d *webhook.Dispatcher }

func (w webhookRedeliverer) Redeliver(ctx context.Context, tenant, subscription, delivery string) (webhook.Delivery, error) {
	return w.d.Retry(ctx, catalog.OutboxMessage(tenant, delivery), subscription)
}

var _ management.WebhookRedeliverer = webhookRedeliverer{}

func newWebhookRedeliverer(e Env, cat *catalog.Catalog, log *slog.Logger) (management.WebhookRedeliverer, error) {
	d, err := NewWebhookDispatcher(e, cat, log)
	if err != nil {
		return nil, err
	}
	return webhookRedeliverer{d}, nil
}
