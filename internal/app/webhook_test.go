package app

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/model"
)

// TestLocalWebhookDispatcher: in the local server, a committed change
// reaches a subscribed receiver through the outbox, signed, without
// waiting for a retry tick; stop ends the dispatcher.
func TestLocalWebhookDispatcher(t *testing.T) {
	dataDir := t.TempDir()
	env := map[string]string{
		"PORTICO_DATA_DIR":       dataDir,
		"PORTICO_METRICS":        "file:" + filepath.Join(dataDir, "emf.log"),
		"PORTICO_UPSTREAM_ALLOW": "127.0.0.1/32",
		"PORTICO_UPSTREAM_PORTS": "*",
	}
	e, err := LoadEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	st, closeStore, err := OpenStore(t.Context(), e)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeStore() })
	cat, err := NewCatalog(e, st)
	if err != nil {
		t.Fatal(err)
	}
	actor := catalog.Actor{Subject: "owner@acme.test", Role: "owner"}
	if _, err := cat.CreateTenant(t.Context(), actor, &model.Tenant{ID: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	type hit struct {
		id     string
		header http.Header
		body   []byte
	}
	hits := make(chan hit, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hits <- hit{r.Header.Get(webhook.HeaderID), r.Header.Clone(), b}
	}))
	defer recv.Close()
	sub, secret, err := cat.CreateWebhook(t.Context(), "acme", actor, &model.WebhookSubscription{URL: recv.URL + "/hooks", Events: []string{model.EventConfigChanged}})
	if err != nil {
		t.Fatal(err)
	}
	stop, err := startWebhookDispatcher(t.Context(), e, cat, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.CreateAPI(t.Context(), "acme", actor, &model.API{Slug: "orders", Name: "Orders", BasePath: "/orders"}); err != nil {
		t.Fatal(err)
	}
	var h hit
	select {
	case h = <-hits:
	case <-time.After(10 * time.Second): // a bound on failure, not a wait for sync
		t.Fatal("no delivery")
	}
	v, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Type string           `json:"type"`
		Data model.AuditEntry `json:"data"`
	}
	if err := json.Unmarshal(h.body, &ev); err != nil || ev.Type != model.EventConfigChanged || ev.Data.Resource != "api/orders" || h.id != "msg_"+ev.Data.ID {
		t.Fatalf("delivery %s %s: %v", h.id, h.body, err)
	}
	if id, err := v.Verify(h.header, h.body); err != nil || id != h.id {
		t.Fatalf("signature: %v", err)
	}
	stop()
	// stop flushed the dispatcher's counters: one delivery of one attempt,
	// per subscription and in the totals alarms watch.
	emf, err := os.ReadFile(filepath.Join(dataDir, "emf.log"))
	if err != nil {
		t.Fatal(err)
	}
	var perSub, total bool
	for l := range strings.Lines(string(emf)) {
		var doc map[string]any
		if err := json.Unmarshal([]byte(l), &doc); err != nil {
			t.Fatalf("EMF line %q: %v", l, err)
		}
		switch {
		case doc["Tenant"] == "acme" && doc["Webhook"] == sub.ID:
			perSub = doc[MetricWebhookDelivered] == 1.0 && doc[MetricWebhookAttempts] == 1.0 && doc[MetricWebhookFailed] == 0.0
		case doc["Component"] == WebhookMetricsComponent:
			total = doc[MetricWebhookDelivered] == 1.0 && doc[MetricWebhookFailed] == 0.0
		}
	}
	if !perSub || !total {
		t.Fatalf("EMF lines (per subscription %v, totals %v):\n%s", perSub, total, emf)
	}
	ds, _, err := cat.ListDeliveries(t.Context(), "acme", sub.ID, 10, "")
	if err != nil || len(ds) != 1 || ds[0].State != webhook.StateDelivered || ds[0].ID != h.id {
		t.Fatalf("delivery log %+v %v", ds, err)
	}

	// The management API's retry: one more attempt, same webhook-id.
	rd, err := newWebhookRedeliverer(e, cat, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	d, err := rd.Redeliver(t.Context(), "acme", sub.ID, h.id)
	if err != nil || d.State != webhook.StateDelivered || len(d.Attempts) != 2 {
		t.Fatalf("redeliver: %+v %v", d, err)
	}
	if again := <-hits; again.id != h.id {
		t.Fatalf("redelivered %s, want %s", again.id, h.id)
	}

	// The management API's test send, after a rotation: one attempt signed
	// with both secrets, in the delivery log.
	_, newSecret, err := cat.RotateWebhookSecret(t.Context(), "acme", actor, sub.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	res, err := rd.Test(t.Context(), "acme", sub.ID)
	if err != nil || res.State != webhook.StateDelivered || res.Response == nil || res.Response.Status != http.StatusOK {
		t.Fatalf("test send: %+v %v", res, err)
	}
	tested := <-hits
	for _, s := range []string{secret, newSecret} {
		v, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{s}})
		if err != nil {
			t.Fatal(err)
		}
		if id, err := v.Verify(tested.header, tested.body); err != nil || id != res.ID {
			t.Fatalf("test send verified with one of the secrets: %v", err)
		}
	}
	if _, err := rd.Test(t.Context(), "acme", "wh_nope"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("test send to no subscription: %v", err)
	}
}

// TestWebhookHandlerMetrics: the function's handler flushes the delivery
// counters after the invocation that finds a flush due, and registers the
// last flush for shutdown.
func TestWebhookHandlerMetrics(t *testing.T) {
	dataDir := t.TempDir()
	emf := filepath.Join(dataDir, "emf.log")
	env := map[string]string{
		"PORTICO_DATA_DIR":       dataDir,
		"PORTICO_METRICS":        "file:" + emf,
		"PORTICO_UPSTREAM_ALLOW": "127.0.0.1/32",
		"PORTICO_UPSTREAM_PORTS": "*",
	}
	e, err := LoadEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	e.MetricsInterval = time.Nanosecond // every invocation finds a flush due
	st, closeStore, err := OpenStore(t.Context(), e)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeStore() })
	cat, err := NewCatalog(e, st)
	if err != nil {
		t.Fatal(err)
	}
	actor := catalog.Actor{Subject: "owner@acme.test", Role: "owner"}
	if _, err := cat.CreateTenant(t.Context(), actor, &model.Tenant{ID: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) }))
	defer recv.Close()
	sub, _, err := cat.CreateWebhook(t.Context(), "acme", actor, &model.WebhookSubscription{URL: recv.URL, Events: []string{model.EventConfigChanged}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.CreateAPI(t.Context(), "acme", actor, &model.API{Slug: "orders", Name: "Orders", BasePath: "/orders"}); err != nil {
		t.Fatal(err)
	}
	sh := &Shared{}
	h, err := NewWebhookHandler(e, cat, sh, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if len(sh.shutdown) != 1 {
		t.Fatalf("%d shutdown hooks, want the metrics flush", len(sh.shutdown))
	}
	res, err := h(t.Context(), json.RawMessage(`{"version":"0","id":"1","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-25T01:00:00Z","region":"eu-west-1","resources":[],"detail":{}}`))
	if err != nil || res.Dispatched != 1 {
		t.Fatalf("invocation %+v %v", res, err)
	}
	b, err := os.ReadFile(emf)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"Webhook":"`+sub.ID+`"`) || !strings.Contains(string(b), `"WebhookAttempts":1`) ||
		!strings.Contains(string(b), `"Component":"webhooks"`) {
		t.Fatalf("EMF after the invocation:\n%s", b)
	}
	sh.shutdown[0]()
}
