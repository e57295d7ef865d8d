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
	"github.com/portico/portico/internal/metrics"
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
// With metrics on (PORTICO_METRICS, stdout by default in aws mode) the
// delivery counters are written as EMF after the invocation that finds a
// flush due, and at shutdown (registered with sh when it is not nil).
func NewWebhookHandler(e Env, cat *catalog.Catalog, sh *Shared, log *slog.Logger) (func(context.Context, json.RawMessage) (webhooklambda.Result, error), error) {
	d, err := NewWebhookDispatcher(e, cat, log)
	if err != nil {
		return nil, err
	}
	h := &webhooklambda.Handler{Dispatcher: d, Ref: catalog.OutboxRef, Logger: log}
	em, stop, err := WebhookMetrics(e, d, log)
	if err != nil || em == nil {
		return h.Handle, err
	}
	if sh != nil {
		sh.OnShutdown(stop)
	}
	return func(ctx context.Context, payload json.RawMessage) (webhooklambda.Result, error) {
		res, err := h.Handle(ctx, payload)
		em.FlushIfDue(ctx)
		return res, err
	}, nil
}

// Metric names of the webhook dispatcher's EMF export, per tenant and
// subscription (dimension sets [Tenant, Webhook] and [Tenant]) and, for
// alarms, summed over tenants (dimension Component=webhooks).
const (
	MetricWebhookAttempts  = "WebhookAttempts"
	MetricWebhookDelivered = "WebhookDelivered"
	MetricWebhookFailed    = "WebhookFailed"
	// WebhookMetricsComponent is the Component dimension of the totals.
	WebhookMetricsComponent = "webhooks"
)

// WebhookMetrics builds the EMF emitter of a dispatcher's counters
// (webhook.Dispatcher.Stats): attempts, deliveries and terminal failures
// per tenant and subscription, and their sums over tenants. It returns a
// nil emitter when metrics are off; stop flushes what is left and closes
// a metrics file.
func WebhookMetrics(e Env, d *webhook.Dispatcher, log *slog.Logger) (em *metrics.Emitter, stop func(), err error) {
	out, closeOut, err := metricsOutput(e.Metrics)
	if err != nil || out == nil {
		return nil, func() {}, err
	}
	em, err = metrics.New(metrics.Config{Out: out, Sources: []metrics.Source{webhookSource(d)}, Namespace: e.MetricsNamespace,
		Interval: e.MetricsInterval, Component: WebhookMetricsComponent, Logger: log})
	if err != nil {
		_ = closeOut()
		return nil, nil, err
	}
	return em, func() {
		em.Flush(context.Background())
		_ = closeOut()
	}, nil
}

// webhookSource reports every subscription's delivery counters.
func webhookSource(d *webhook.Dispatcher) metrics.Source {
	return func(add func(metrics.Sample)) {
		for _, s := range d.Stats() {
			sub := func(name string, n int64) {
				add(metrics.Sample{Tenant: s.Tenant, Dim: "Webhook", Value: s.Subscription, Metric: name, Unit: metrics.Count, N: n})
			}
			sub(MetricWebhookAttempts, s.Attempts)
			sub(MetricWebhookDelivered, s.Delivered)
			sub(MetricWebhookFailed, s.Failed)
		}
	}
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
	em, stopMetrics, err := WebhookMetrics(e, d, log)
	if err != nil {
		return nil, fmt.Errorf("webhook metrics: %w", err)
	}
	cat.OnWebhookQueued(func(string) { d.Wake() })
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	tick := time.NewTicker(time.Second)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if em == nil {
			d.Run(ctx, tick.C)
			return
		}
		// The dispatcher's ticks also flush its metrics when due.
		fwd := make(chan time.Time)
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case t := <-tick.C:
					em.FlushIfDue(ctx)
					select {
					case fwd <- t:
					case <-ctx.Done():
						return
					}
				}
			}
		}()
		d.Run(ctx, fwd)
	}()
	return func() {
		cancel()
		tick.Stop()
		<-done
		stopMetrics()
	}, nil
}

// webhookRedeliverer is the management API's on-demand retry and test
// send: one dispatcher attempt within the request
// (management.WebhookRedeliverer, management.WebhookTester).
type webhookRedeliverer struct {
	d   *webhook.Dispatcher
	cat *catalog.Catalog
}

func (w webhookRedeliverer) Redeliver(ctx context.Context, tenant, subscription, delivery string) (webhook.Delivery, error) {
	return w.d.Retry(ctx, catalog.OutboxMessage(tenant, delivery), subscription)
}

// Test sends a webhook.test event to the subscription, with its current
// secrets (both during a rotation's grace period).
func (w webhookRedeliverer) Test(ctx context.Context, tenant, subscription string) (webhook.TestResult, error) {
	sub, err := w.cat.WebhookTarget(ctx, tenant, subscription)
	if err != nil {
		return webhook.TestResult{}, fmt.Errorf("webhook test send: %w", err)
	}
	return w.d.Test(ctx, tenant, sub)
}

var (
	_ management.WebhookRedeliverer = webhookRedeliverer{}
	_ management.WebhookTester      = webhookRedeliverer{}
)

func newWebhookRedeliverer(e Env, cat *catalog.Catalog, log *slog.Logger) (webhookRedeliverer, error) {
	d, err := NewWebhookDispatcher(e, cat, log)
	if err != nil {
		return webhookRedeliverer{}, err
	}
	return webhookRedeliverer{d: d, cat: cat}, nil
}
