package catalog_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/secrets"
	"github.com/portico/portico/internal/secrets/sealed"
	"github.com/portico/portico/internal/store"
)

// recorder is a webhook receiver that keeps every request, to be verified
// afterwards with any secret.
type recorder struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []recorded
}

type recorded struct {
	h    http.Header
	body []byte
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, recorded{req.Header.Clone(), b})
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// last reports whether the last request verifies with each secret.
func (r *recorder) last(t *testing.T, now func() time.Time, secrets ...string) []bool {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.got) == 0 {
		t.Fatal("no request")
	}
	req := r.got[len(r.got)-1]
	out := make([]bool, len(secrets))
	for i, s := range secrets {
		v, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{s}, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(req.h, req.body)
		out[i] = err == nil
	}
	return out
}

// withVault returns a catalog over e's store with a sealed secrets store
// (the local default), sharing e's clock.
func withVault(t *testing.T, st store.Store, clk *manualClock) (*catalog.Catalog, *sealed.Store) {
	t.Helper()
	key := make([]byte, sealed.KeySize)
	_, _ = rand.Read(key)
	vault, err := sealed.New(sealed.Config{Store: st, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.New(catalog.Config{Store: st, Secrets: vault, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return cat, vault
}

// TestWebhookSecretRotation: after a rotation, deliveries carry both
// signatures during the grace period (a receiver verifying with either
// secret accepts), only the new one after it, and the previous secret is
// deleted once expired. On each backend, with the sealed secrets store and
// with the clear items of a catalog without one.
func TestWebhookSecretRotation(t *testing.T) {
	for _, b := range backends(t) {
		for _, withSecrets := range []bool{true, false} {
			name := b.name + "/clear-items"
			if withSecrets {
				name = b.name + "/sealed"
			}
			t.Run(name, func(t *testing.T) {
				clk := &manualClock{t: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)}
				st := b.open(t, clk.Now)
				var (
					cat   *catalog.Catalog
					vault *sealed.Store
					err   error
				)
				if withSecrets {
					cat, vault = withVault(t, st, clk)
				} else if cat, err = catalog.New(catalog.Config{Store: st, Now: clk.Now}); err != nil {
					t.Fatal(err)
				}
				must(t)(cat.CreateTenant(t.Context(), alice, &model.Tenant{ID: "acme", Name: "Acme"}))
				e := &outboxEnv{cat: cat, clk: clk}
				rec := newRecorder(t)
				sub, s0 := e.subscribe(t, rec.srv.URL+"/hook", false, model.EventConfigChanged)
				d := e.dispatcher(t, "d1", webhook.DefaultSchedule)
				deliver := func(slug string) {
					t.Helper()
					e.change(t, slug)
					if _, err := d.Drain(t.Context()); err != nil {
						t.Fatal(err)
					}
				}

				out, s1, err := cat.RotateWebhookSecret(t.Context(), "acme", bob, sub.ID, time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				if s1 == s0 || out.Revision != sub.Revision+1 || out.PreviousSecretExpiresAt == nil || !out.PreviousSecretExpiresAt.Equal(clk.Now().Add(time.Hour)) {
					t.Fatalf("rotated %+v", out)
				}
				if _, err := webhook.DecodeSecret(s1); err != nil {
					t.Fatal(err)
				}
				audit, _, err := cat.ListAudit(t.Context(), "acme", catalog.AuditFilter{ResourceType: "webhook"})
				if err != nil || countActions(audit, "rotate-secret") != 1 {
					t.Fatalf("audit %+v %v", audit, err)
				}

				deliver("during")
				if got := rec.last(t, clk.Now, s0, s1); !got[0] || !got[1] {
					t.Fatalf("during the grace period: old verifies %v, new verifies %v", got[0], got[1])
				}

				clk.Advance(time.Hour)
				deliver("after")
				if got := rec.last(t, clk.Now, s0, s1); got[0] || !got[1] {
					t.Fatalf("after the grace period: old verifies %v, new verifies %v", got[0], got[1])
				}
				// The expired previous secret was deleted at signing time.
				if withSecrets {
					if _, err := vault.Get(t.Context(), "acme", secrets.Internal("webhook-previous", sub.ID)); !errors.Is(err, secrets.ErrNotFound) {
						t.Fatalf("previous secret after expiry: %v", err)
					}
				} else if _, err := st.Get(t.Context(), store.Key{PK: catalog.TenantPK("acme"), SK: "WHSECPREV#" + sub.ID}); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("previous secret item after expiry: %v", err)
				}

				// A rotation without grace drops the old secret at once.
				_, s2, err := cat.RotateWebhookSecret(t.Context(), "acme", bob, sub.ID, 0)
				if err != nil {
					t.Fatal(err)
				}
				deliver("nograce")
				if got := rec.last(t, clk.Now, s1, s2); got[0] || !got[1] {
					t.Fatalf("rotation without grace: old verifies %v, new verifies %v", got[0], got[1])
				}
			})
		}
	}
}

func TestRotateWebhookSecretInput(t *testing.T) {
	e := newOutboxEnv(t, boltBackend)
	sub, _ := e.subscribe(t, "https://hooks.example.com/in", false, model.EventConfigChanged)
	for _, g := range []time.Duration{-time.Second, catalog.MaxWebhookGrace + time.Second} {
		_, _, err := e.cat.RotateWebhookSecret(t.Context(), "acme", bob, sub.ID, g)
		var p *problem.Problem
		if !errors.As(err, &p) || len(p.Errors) != 1 || p.Errors[0].Pointer != "/graceSeconds" {
			t.Fatalf("grace %v: %v", g, err)
		}
	}
	if _, _, err := e.cat.RotateWebhookSecret(t.Context(), "acme", bob, "wh_nope", time.Hour); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("unknown subscription: %v", err)
	}
}

// TestUpdateWebhook: a patch changes only what it names, in an audited
// commit, checked like a creation; a stale revision is refused; a
// disabled subscription gets no event and an enabled one gets them again.
func TestUpdateWebhook(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			e := newOutboxEnv(t, b)
			rec := newRecorder(t)
			sub, secret := e.subscribe(t, rec.srv.URL+"/hook", false, model.EventConfigChanged)
			e.discard(t)
			str := func(s string) *string { return &s }
			yes, no := true, false

			out, err := e.cat.UpdateWebhook(t.Context(), "acme", bob, sub.ID, sub.Revision, catalog.WebhookPatch{Description: str("orders"), Disabled: &yes})
			if err != nil {
				t.Fatal(err)
			}
			if !out.Disabled || out.Description != "orders" || out.URL != sub.URL || out.Revision != sub.Revision+1 || out.UpdatedBy != bob.Subject {
				t.Fatalf("updated %+v", out)
			}
			if _, err := e.cat.UpdateWebhook(t.Context(), "acme", bob, sub.ID, sub.Revision, catalog.WebhookPatch{Disabled: &no}); !errors.Is(err, catalog.ErrStale) {
				t.Fatalf("stale revision: %v", err)
			}
			e.discard(t) // the change that disabled it was still wanted
			e.change(t, "while-disabled")
			if refs := e.due(t); len(refs) != 0 {
				t.Fatalf("a disabled subscription got %d messages", len(refs))
			}

			events := []string{model.EventAll}
			out, err = e.cat.UpdateWebhook(t.Context(), "acme", bob, sub.ID, 0, catalog.WebhookPatch{Disabled: &no, Events: &events, URL: str(rec.srv.URL + "/v2")})
			if err != nil {
				t.Fatal(err)
			}
			if out.Disabled || out.Events[0] != "*" || out.URL != rec.srv.URL+"/v2" {
				t.Fatalf("updated %+v", out)
			}
			d := e.dispatcher(t, "d1", webhook.DefaultSchedule)
			e.change(t, "enabled")
			if _, err := d.Drain(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := rec.last(t, e.clk.Now, secret); !got[0] {
				t.Fatal("the secret changed with the update")
			}
			audit, _, err := e.cat.ListAudit(t.Context(), "acme", catalog.AuditFilter{ResourceType: "webhook"})
			if err != nil || countActions(audit, "update") != 2 {
				t.Fatalf("audit %+v %v", audit, err)
			}
		})
	}
}

func TestUpdateWebhookInput(t *testing.T) {
	clk := &manualClock{t: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)}
	refused := errors.New("loopback address")
	cat, err := catalog.New(catalog.Config{Store: boltBackend.open(t, clk.Now), Now: clk.Now,
		CheckUpstreamURL: func(_ context.Context, u string) error {
			if u == "https://127.0.0.1/in" {
				return refused
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	must(t)(cat.CreateTenant(t.Context(), alice, &model.Tenant{ID: "acme", Name: "Acme"}))
	sub, _, err := cat.CreateWebhook(t.Context(), "acme", alice, &model.WebhookSubscription{URL: "https://hooks.example.com/in", Events: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	empty, bad := []string{}, []string{"Nope"}
	tests := []struct {
		name    string
		patch   catalog.WebhookPatch
		pointer string
	}{
		{"not a URL", catalog.WebhookPatch{URL: str("ftp://x")}, "/url"},
		{"SSRF guard", catalog.WebhookPatch{URL: str("https://127.0.0.1/in")}, "/url"},
		{"no events", catalog.WebhookPatch{Events: &empty}, "/events"},
		{"bad event", catalog.WebhookPatch{Events: &bad}, "/events/0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cat.UpdateWebhook(t.Context(), "acme", bob, sub.ID, 0, tt.patch)
			var p *problem.Problem
			if !errors.As(err, &p) || len(p.Errors) == 0 || p.Errors[0].Pointer != tt.pointer {
				t.Fatalf("%v, want a problem at %s", err, tt.pointer)
			}
		})
	}
	if _, err := cat.UpdateWebhook(t.Context(), "acme", bob, "wh_nope", 0, catalog.WebhookPatch{}); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("unknown subscription: %v", err)
	}
}

func countActions(audit []model.AuditEntry, action string) int {
	n := 0
	for _, a := range audit {
		if a.Action == action {
			n++
		}
	}
	return n
}

// TestRotationSeenByOtherInstances: the dispatcher's instance has the old
// secret in its secrets cache when the management instance rotates; its
// next delivery already carries the new secret's signature (and the old
// one's), not only after the cache's lifetime.
func TestRotationSeenByOtherInstances(t *testing.T) {
	clk := &manualClock{t: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)}
	st := boltBackend.open(t, clk.Now)
	key := make([]byte, sealed.KeySize)
	_, _ = rand.Read(key)
	vault, err := sealed.New(sealed.Config{Store: st, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	instance := func() *catalog.Catalog {
		cache, err := secrets.NewCache(secrets.CacheConfig{Store: vault, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		cat, err := catalog.New(catalog.Config{Store: st, Secrets: cache, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		return cat
	}
	mgmt, disp := instance(), instance()
	must(t)(mgmt.CreateTenant(t.Context(), alice, &model.Tenant{ID: "acme", Name: "Acme"}))
	rec := newRecorder(t)
	m := &outboxEnv{cat: mgmt, clk: clk}
	sub, s0 := m.subscribe(t, rec.srv.URL+"/hook", false, model.EventConfigChanged)
	d := (&outboxEnv{cat: disp, clk: clk}).dispatcher(t, "d1", webhook.DefaultSchedule)

	// Long after the subscription was made, the dispatcher caches s0.
	clk.Advance(time.Hour)
	m.change(t, "first")
	if _, err := d.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := rec.last(t, clk.Now, s0); !got[0] {
		t.Fatal("first delivery does not verify")
	}
	_, s1, err := mgmt.RotateWebhookSecret(t.Context(), "acme", bob, sub.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	m.change(t, "second")
	if _, err := d.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := rec.last(t, clk.Now, s0, s1); !got[0] || !got[1] {
		t.Fatalf("right after the rotation, through another instance: old verifies %v, new verifies %v", got[0], got[1])
	}
}
