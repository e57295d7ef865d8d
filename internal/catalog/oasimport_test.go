package catalog_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
)

// TestImportEndpointSchemas sets, replaces and removes an endpoint's
// imported validation transforms, on every store adapter.
func TestImportEndpointSchemas(t *testing.T) {
	for name, open := range everyStore() {
		t.Run(name, func(t *testing.T) {
			clk := &clock{t: t0}
			c, err := catalog.New(catalog.Config{Store: open(t, clk.Now), Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			must(t)(c.CreateTenant(ctx, alice, &model.Tenant{ID: "acme", Name: "Acme"}))
			must(t)(c.CreateAPI(ctx, "acme", alice, &model.API{Slug: "orders", Name: "Orders"}))
			must(t)(c.CreateVersion(ctx, "acme", alice, "orders", &model.Version{Name: "v1"}))
			must(t)(c.CreateIntegration(ctx, "acme", alice, backend("backend")))
			must(t)(c.CreateTransform(ctx, "acme", alice, declarative("rename", passingDoc)))
			ep := endpoint("orders", "v1", "PUT", "/orders/{id}")
			ep.Policies.RequestTransforms = []model.TransformRef{{Transform: "rename"}}
			ep.Policies.ResponseTransforms = []model.TransformRef{{Transform: "rename"}}
			ep = must(t)(c.CreateEndpoint(ctx, "acme", alice, ep)).(*model.Endpoint)
			schema := func(req string) json.RawMessage {
				return json.RawMessage(`{"steps":[{"validate":{"schema":{"type":"object","required":["` + req + `"]}}}]}`)
			}
			reqSlug, resSlug := catalog.ImportSlug("orders", "v1", ep.ID, "req"), catalog.ImportSlug("orders", "v1", ep.ID, "res")
			refs := func(rs []model.TransformRef) []string {
				var out []string
				for _, r := range rs {
					out = append(out, r.Transform)
				}
				return out
			}

			got := must(t)(c.ImportEndpointSchemas(ctx, "acme", bob, "orders", "v1",
				catalog.EndpointSchemas{Endpoint: ep.ID, Request: schema("a"), Response: schema("b"), Source: "/paths/~1orders~1{id}/put"})).(*model.Endpoint)
			if r, s := refs(got.Policies.RequestTransforms), refs(got.Policies.ResponseTransforms); !slices.Equal(r, []string{reqSlug, "rename"}) || !slices.Equal(s, []string{"rename", resSlug}) {
				t.Fatalf("refs = %v / %v", r, s)
			}
			lastAudit(t, c, "acme", bob, "import-openapi", "endpoint", "api/orders/version/v1/endpoint/"+ep.ID)
			tr := must(t)(c.GetTransform(ctx, "acme", reqSlug)).(*model.Transform)
			if !tr.Publishable() || tr.Revision != 1 {
				t.Fatalf("imported transform %+v", tr)
			}

			// Again, with the request side only: replaced, and the response
			// side's transform removed.
			got = must(t)(c.ImportEndpointSchemas(ctx, "acme", bob, "orders", "v1",
				catalog.EndpointSchemas{Endpoint: ep.ID, Request: schema("c")})).(*model.Endpoint)
			if r, s := refs(got.Policies.RequestTransforms), refs(got.Policies.ResponseTransforms); !slices.Equal(r, []string{reqSlug, "rename"}) || !slices.Equal(s, []string{"rename"}) {
				t.Fatalf("after re-import: refs = %v / %v", r, s)
			}
			if tr := must(t)(c.GetTransform(ctx, "acme", reqSlug)).(*model.Transform); tr.Revision != 2 {
				t.Fatalf("request transform revision %d, want 2", tr.Revision)
			}
			_, err = c.GetTransform(ctx, "acme", resSlug)
			wantIs(t, err, catalog.ErrNotFound)

			// A schema that does not compile changes nothing.
			_, err = c.ImportEndpointSchemas(ctx, "acme", bob, "orders", "v1",
				catalog.EndpointSchemas{Endpoint: ep.ID, Request: json.RawMessage(`{"steps":[{"validate":{"schema":{"type":7}}}]}`)})
			if err == nil {
				t.Fatal("an invalid schema was imported")
			}
		})
	}
}
