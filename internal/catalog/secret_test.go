package catalog_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/secrets"
	"github.com/portico/portico/internal/secrets/sealed"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

// secretsEnv is a catalog with a sealed secrets store, both on one bolt
// file, and tenant acme.
type secretsEnv struct {
	cat   *catalog.Catalog
	st    *bolt.Store
	vault *sealed.Store
}

func newSecretsEnv(t *testing.T) *secretsEnv {
	t.Helper()
	st, err := bolt.Open(t.Context(), bolt.Config{Path: filepath.Join(t.TempDir(), "c.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	key := make([]byte, sealed.KeySize)
	_, _ = rand.Read(key)
	vault, err := sealed.New(sealed.Config{Store: st, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	c, err := catalog.New(catalog.Config{Store: st, Secrets: vault, Now: (&clock{t: t0}).Now})
	if err != nil {
		t.Fatal(err)
	}
	must(t)(c.CreateTenant(t.Context(), alice, &model.Tenant{ID: "acme", Name: "Acme"}))
	return &secretsEnv{cat: c, st: st, vault: vault}
}

// wantNowhere fails when value appears in any item of the tenant's
// partitions (configuration, audit, sealed secrets).
func (e *secretsEnv) wantNowhere(t *testing.T, value string) {
	t.Helper()
	for _, pk := range []string{catalog.TenantPK("acme"), sealed.PK("acme")} {
		page, err := e.st.Query(t.Context(), store.Query{PK: pk, Limit: store.MaxQueryLimit})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			if bytes.Contains(it.Data, []byte(value)) {
				t.Errorf("item %s %s holds the secret value in clear", it.PK, it.SK)
			}
		}
	}
}

func TestSecretLifecycle(t *testing.T) {
	e := newSecretsEnv(t)
	ctx := t.Context()
	const v1, v2 = "sk_live_first_value", "sk_live_second_value"
	s, created, err := e.cat.PutSecret(ctx, "acme", alice, "stripe", v1)
	if err != nil || !created || s.Name != "stripe" || s.Revision != 1 || s.CreatedBy != alice.Subject {
		t.Fatalf("create = %+v, %v, %v", s, created, err)
	}
	a := lastAudit(t, e.cat, "acme", alice, "create", "secret", "secret/stripe")
	s, created, err = e.cat.PutSecret(ctx, "acme", bob, "stripe", v2)
	if err != nil || created || s.Revision != 2 || s.UpdatedBy != bob.Subject {
		t.Fatalf("update = %+v, %v, %v", s, created, err)
	}
	b := lastAudit(t, e.cat, "acme", bob, "update", "secret", "secret/stripe")
	for _, entry := range []model.AuditEntry{a, b} {
		if strings.Contains(string(entry.Before)+string(entry.After), "sk_live") {
			t.Errorf("audit entry carries the value: %s / %s", entry.Before, entry.After)
		}
	}
	if got, err := e.vault.Get(ctx, "acme", "stripe"); got != v2 || err != nil {
		t.Fatalf("stored value = %q, %v", got, err)
	}
	e.wantNowhere(t, v1)
	e.wantNowhere(t, v2)

	list, _, err := e.cat.ListSecrets(ctx, "acme", 10, "")
	if err != nil || len(list) != 1 || list[0].Name != "stripe" || list[0].Revision != 2 {
		t.Fatalf("list = %+v, %v", list, err)
	}

	noErr(t, e.cat.DeleteSecret(ctx, "acme", alice, "stripe"))
	lastAudit(t, e.cat, "acme", alice, "delete", "secret", "secret/stripe")
	if _, err := e.vault.Get(ctx, "acme", "stripe"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("value after delete: %v", err)
	}
	wantIs(t, e.cat.DeleteSecret(ctx, "acme", alice, "stripe"), catalog.ErrNotFound)
}

func TestPutSecretValidation(t *testing.T) {
	e := newSecretsEnv(t)
	tests := []struct {
		name, secret, value string
		pointers            []string
	}{
		{"bad name", "a/b", "v", []string{"/name"}},
		{"internal name", ".webhook.wh_1", "v", []string{"/name"}},
		{"empty value", "ok", "", []string{"/value"}},
		{"value too long", "ok", strings.Repeat("x", secrets.MaxValueLen+1), []string{"/value"}},
		{"both", "", "", []string{"/name", "/value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.cat.PutSecret(t.Context(), "acme", alice, tt.secret, tt.value)
			if !hasProblem(err, tt.pointers...) {
				t.Fatalf("err = %v, want pointers %v", err, tt.pointers)
			}
		})
	}
}

// TestIntegrationSecretReferences: auth.secret must exist at save time,
// and a referenced secret cannot be deleted (409 naming the integrations).
func TestIntegrationSecretReferences(t *testing.T) {
	e := newSecretsEnv(t)
	ctx := t.Context()
	withAuth := func(slug, secret string) *model.Integration {
		in := backend(slug)
		in.Auth = &model.IntegrationAuth{Type: model.AuthBearer, Secret: secret}
		return in
	}
	if _, err := e.cat.CreateIntegration(ctx, "acme", alice, withAuth("billing", "stripe")); !hasProblem(err, "/auth/secret") {
		t.Fatalf("missing secret: %v", err)
	}
	if _, _, err := e.cat.PutSecret(ctx, "acme", alice, "stripe", "sk"); err != nil {
		t.Fatal(err)
	}
	must(t)(e.cat.CreateIntegration(ctx, "acme", alice, withAuth("billing", "stripe")))
	must(t)(e.cat.CreateIntegration(ctx, "acme", alice, withAuth("refunds", "stripe")))
	if _, err := e.cat.UpdateIntegration(ctx, "acme", alice, "refunds", 0, withAuth("refunds", "nope")); !hasProblem(err, "/auth/secret") {
		t.Fatalf("update to a missing secret: %v", err)
	}

	before := snapshot(t, e.cat, "acme")
	ce := wantConflict(t, e.cat.DeleteSecret(ctx, "acme", alice, "stripe"), "", catalog.ErrInUse)
	if !strings.Contains(ce.Detail, "integration(s) billing, refunds") {
		t.Errorf("conflict detail %q does not name both integrations", ce.Detail)
	}
	wantChanges(t, e.cat, "acme", before, 0)
	if v, err := e.vault.Get(ctx, "acme", "stripe"); v != "sk" || err != nil {
		t.Fatalf("a refused delete removed the value: %q, %v", v, err)
	}

	must(t)(e.cat.UpdateIntegration(ctx, "acme", alice, "billing", 0, backend("billing")))
	noErr(t, e.cat.DeleteIntegration(ctx, "acme", alice, "refunds", 0))
	noErr(t, e.cat.DeleteSecret(ctx, "acme", alice, "stripe"))
}

// TestInternalSecretsInThePort: webhook signing secrets and introspection
// client secrets live in the secrets store, not in clear items, and are
// deleted with their resource.
func TestInternalSecretsInThePort(t *testing.T) {
	e := newSecretsEnv(t)
	ctx := t.Context()
	sub, whsec, err := e.cat.CreateWebhook(ctx, "acme", alice, &model.WebhookSubscription{URL: "https://hooks.example.com/in", Events: []string{model.EventConfigChanged}})
	if err != nil {
		t.Fatal(err)
	}
	targets, err := e.cat.WebhookTargets(ctx, "acme", model.EventConfigChanged)
	if err != nil || len(targets) != 1 || targets[0].Secret != whsec {
		t.Fatalf("targets = %+v, %v", targets, err)
	}
	iss := &model.JWTIssuer{Slug: "opaque", Issuer: "https://idp.example.com/", Audiences: []string{"api"},
		Introspection: &model.Introspection{URL: "https://idp.example.com/introspect", ClientID: "gw", ClientSecret: "introspection-s3cret"}}
	must(t)(e.cat.CreateJWTIssuer(ctx, "acme", alice, iss))
	if s, err := e.cat.JWTIntrospectionSecret(ctx, "acme", "opaque"); s != "introspection-s3cret" || err != nil {
		t.Fatalf("introspection secret = %q, %v", s, err)
	}
	e.wantNowhere(t, whsec)
	e.wantNowhere(t, "introspection-s3cret")

	noErr(t, e.cat.DeleteWebhook(ctx, "acme", alice, sub.ID))
	noErr(t, e.cat.DeleteJWTIssuer(ctx, "acme", alice, "opaque", 0))
	l, err := e.vault.List(ctx, "acme")
	if err != nil || len(l) != 0 {
		t.Errorf("secrets left after deleting their resources: %+v, %v", l, err)
	}
}

// TestLegacySecretsStillRead: secrets written before the port (clear
// items) keep working once a secrets store is configured.
func TestLegacySecretsStillRead(t *testing.T) {
	st, err := bolt.Open(t.Context(), bolt.Config{Path: filepath.Join(t.TempDir(), "c.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ctx := t.Context()
	old, err := catalog.New(catalog.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	must(t)(old.CreateTenant(ctx, alice, &model.Tenant{ID: "acme", Name: "Acme"}))
	_, whsec, err := old.CreateWebhook(ctx, "acme", alice, &model.WebhookSubscription{URL: "https://hooks.example.com/in", Events: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	must(t)(old.CreateJWTIssuer(ctx, "acme", alice, &model.JWTIssuer{Slug: "opaque", Issuer: "https://idp.example.com/", Audiences: []string{"api"},
		Introspection: &model.Introspection{URL: "https://idp.example.com/introspect", ClientID: "gw", ClientSecret: "legacy"}}))
	if _, _, err := old.PutSecret(ctx, "acme", alice, "x", "v"); !errors.Is(err, catalog.ErrNoSecrets) {
		t.Errorf("PutSecret without a secrets store: %v, want ErrNoSecrets", err)
	}

	key := make([]byte, sealed.KeySize)
	vault, _ := sealed.New(sealed.Config{Store: st, Key: key})
	c, _ := catalog.New(catalog.Config{Store: st, Secrets: vault})
	targets, err := c.WebhookTargets(ctx, "acme", model.EventConfigChanged)
	if err != nil || len(targets) != 1 || targets[0].Secret != whsec {
		t.Errorf("legacy webhook secret: %+v, %v", targets, err)
	}
	if s, err := c.JWTIntrospectionSecret(ctx, "acme", "opaque"); s != "legacy" || err != nil {
		t.Errorf("legacy introspection secret = %q, %v", s, err)
	}
}
