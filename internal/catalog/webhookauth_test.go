package catalog_test

import (
	"strings"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
)

// TestWebhookEndpointSecretReferences: an inbound webhook endpoint must
// name existing secrets, and a secret it names cannot be deleted.
func TestWebhookEndpointSecretReferences(t *testing.T) {
	e := newSecretsEnv(t)
	ctx := t.Context()
	must(t)(e.cat.CreateAPI(ctx, "acme", alice, &model.API{Slug: "inbound", Name: "Inbound", BasePath: "/inbound"}))
	must(t)(e.cat.CreateVersion(ctx, "acme", alice, "inbound", &model.Version{Name: "v1"}))
	must(t)(e.cat.CreateIntegration(ctx, "acme", alice, backend("backend")))
	hook := func(secrets ...string) *model.Endpoint {
		ep := endpoint("inbound", "v1", "POST", "/stripe")
		ep.Policies.Auth = &model.AuthPolicy{Type: model.AuthWebhook, Secrets: secrets}
		return ep
	}
	if _, _, err := e.cat.PutSecret(ctx, "acme", alice, "stripe-new", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cat.CreateEndpoint(ctx, "acme", alice, hook("stripe-new", "stripe-old")); !hasProblem(err, "/policies/auth/secrets/1") {
		t.Fatalf("missing second secret: %v, want a problem at /policies/auth/secrets/1", err)
	}
	ep := must(t)(e.cat.CreateEndpoint(ctx, "acme", alice, hook("stripe-new"))).(*model.Endpoint)

	ce := wantConflict(t, e.cat.DeleteSecret(ctx, "acme", alice, "stripe-new"), "", catalog.ErrInUse)
	if !strings.Contains(ce.Detail, "inbound/v1/"+ep.ID) {
		t.Errorf("conflict detail %q does not name the endpoint", ce.Detail)
	}
	noErr(t, e.cat.DeleteEndpoint(ctx, "acme", alice, "inbound", "v1", ep.ID, 0))
	noErr(t, e.cat.DeleteSecret(ctx, "acme", alice, "stripe-new"))
}
