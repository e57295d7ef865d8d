package catalog_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
)

func TestWebhookSubscriptions(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()
	sub, secret, err := c.CreateWebhook(ctx, "acme", alice, &model.WebhookSubscription{URL: "https://hooks.example.com/in", Events: []string{model.EventConfigChanged}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sub.ID, "wh_") || sub.Revision != 1 || !strings.HasPrefix(secret, webhook.SecretPrefix) {
		t.Fatalf("created %+v, secret %q", sub, secret)
	}
	if _, err := webhook.DecodeSecret(secret); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.CreateWebhook(ctx, "acme", alice, &model.WebhookSubscription{URL: "ftp://x", Events: []string{"Nope"}}); !hasProblem(err, "/url", "/events/0") {
		t.Fatalf("invalid subscription: %v", err)
	}
	got, err := c.GetWebhook(ctx, "acme", sub.ID)
	if err != nil || got.URL != sub.URL {
		t.Fatalf("get %+v %v", got, err)
	}
	list, _, err := c.ListWebhooks(ctx, "acme", 10, "")
	if err != nil || len(list) != 1 {
		t.Fatalf("list %+v %v", list, err)
	}
	for _, typ := range []string{model.EventConfigChanged, "other.event"} {
		targets, err := c.WebhookTargets(ctx, "acme", typ)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if typ == model.EventConfigChanged {
			want = 1
		}
		if len(targets) != want || (want == 1 && targets[0].Secret != secret) {
			t.Fatalf("targets of %s: %+v", typ, targets)
		}
	}
	// The delivery log: newest first, expiring.
	at := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	for i, id := range []string{"msg_a", "msg_b"} {
		d := webhook.Delivery{ID: id, Subscription: sub.ID, EventType: model.EventConfigChanged, State: webhook.StateDelivered, CreatedAt: at.Add(time.Duration(i) * time.Minute)}
		if err := c.RecordDelivery(ctx, "acme", d); err != nil {
			t.Fatal(err)
		}
	}
	ds, _, err := c.ListDeliveries(ctx, "acme", sub.ID, 10, "")
	if err != nil || len(ds) != 2 || ds[0].ID != "msg_b" {
		t.Fatalf("deliveries %+v %v", ds, err)
	}
	if err := c.DeleteWebhook(ctx, "acme", alice, sub.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetWebhook(ctx, "acme", sub.ID); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if targets, _ := c.WebhookTargets(ctx, "acme", model.EventConfigChanged); len(targets) != 0 {
		t.Fatalf("targets after delete: %+v", targets)
	}
}

func hasProblem(err error, pointers ...string) bool {
	var p *problem.Problem
	if !errors.As(err, &p) || len(p.Errors) != len(pointers) {
		return false
	}
	for i, fe := range p.Errors {
		if fe.Pointer != pointers[i] {
			return false
		}
	}
	return true
}
