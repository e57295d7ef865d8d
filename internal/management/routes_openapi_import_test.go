package management

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
)

// importDoc is an OpenAPI 3.1 document for API orders (base path /orders):
// GET /orders/items (a response schema), PUT /orders/items/{itemId} (a
// request schema when withRequest), DELETE /orders/gone (no endpoint).
func importDoc(withRequest bool) string {
	put := `"put": {"responses": {"204": {"description": "saved"}}}`
	if withRequest {
		put = `"put": {"requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}},
			"responses": {"204": {"description": "saved"}}}`
	}
	return fmt.Sprintf(`{"openapi": "3.1.0", "info": {"title": "Orders", "version": "1"},
	"paths": {
		"/orders/items": {"get": {"responses": {"200": {"description": "items", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}}}}}}},
		"/orders/items/{itemId}": {"parameters": [{"name": "itemId", "in": "path", "required": true, "schema": {"type": "string"}}], %s},
		"/orders/gone": {"delete": {"responses": {"204": {"description": "gone"}}}}
	},
	"components": {"schemas": {"Item": {"type": "object", "required": ["sku"], "properties": {"sku": {"type": "string"}}}}}}`, put)
}

func TestImportOpenAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dev := e.token(tenantA, "developer")
	put, err := e.addEndpoint(tenantA, "orders", "v1", "PUT", "/items/{id}")
	must(t, "endpoint", err)
	path := prefix + "/apis/orders/versions/v1/import-openapi"
	body := func(doc string, dry bool) string {
		b, _ := json.Marshal(map[string]any{"document": json.RawMessage(doc), "dryRun": dry})
		return string(b)
	}

	bad := []struct {
		name, body string
		pointers   []string
	}{
		{"no document", `{}`, []string{"/document"}},
		{"swagger 2", `{"document": {"swagger": "2.0", "info": {"title": "x", "version": "1"}, "paths": {}}}`, []string{"/document/openapi"}},
		{"bad YAML", `{"document": "openapi: [3.1"}`, []string{"/document"}},
		{"invalid component", `{"document": {"openapi": "3.0.3", "info": {"title": "x", "version": "1"}, "paths": {}, "components": {"schemas": {"A": {"type": "nope"}}}}}`, []string{"/document/components/schemas/A"}},
		{"unknown field", `{"document": {}, "merge": true}`, []string{"/merge"}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, e.do("POST", path, dev, tt.body), http.StatusBadRequest, tt.pointers...)
		})
	}

	// A dry run reports and changes nothing.
	rec := e.do("POST", path, dev, body(importDoc(true), true))
	wantStatus(t, rec, http.StatusOK)
	rep := decodeJSON[importResponse](t, rec)
	if !rep.DryRun || len(rep.Matched) != 2 || len(rep.Skipped) != 1 || rep.Skipped[0].Method != "DELETE" || len(rep.Unmatched) != 0 {
		t.Fatalf("report = %+v", rep)
	}
	if _, err := e.cat.GetTransform(ctx, tenantA, catalog.ImportSlug("orders", "v1", put.ID, "req")); err == nil {
		t.Fatal("a dry run stored a transform")
	}

	// The import sets the validation transforms.
	rec = e.do("POST", path, dev, body(importDoc(true), false))
	wantStatus(t, rec, http.StatusOK)
	rep = decodeJSON[importResponse](t, rec)
	for _, m := range rep.Matched {
		if m.Error != "" {
			t.Fatalf("match %s: %s", m.Endpoint, m.Error)
		}
	}
	reqSlug, resSlug := catalog.ImportSlug("orders", "v1", put.ID, "req"), catalog.ImportSlug("orders", "v1", e.epID, "res")
	gotPut, err := e.cat.GetEndpoint(ctx, tenantA, "orders", "v1", put.ID)
	must(t, "endpoint", err)
	if !slices.Equal(gotPut.Policies.RequestTransforms, []model.TransformRef{{Transform: reqSlug}}) {
		t.Fatalf("PUT request transforms = %+v", gotPut.Policies.RequestTransforms)
	}
	gotGet, err := e.cat.GetEndpoint(ctx, tenantA, "orders", "v1", e.epID)
	must(t, "endpoint", err)
	if !slices.Equal(gotGet.Policies.ResponseTransforms, []model.TransformRef{{Transform: resSlug}}) {
		t.Fatalf("GET response transforms = %+v", gotGet.Policies.ResponseTransforms)
	}
	tr, err := e.cat.GetTransform(ctx, tenantA, reqSlug)
	must(t, "transform", err)
	if !tr.Publishable() {
		t.Fatalf("imported transform is not publishable: %+v", tr.Tests)
	}
	if n := countAudit(t, e, "import-openapi"); n != 2 {
		t.Fatalf("%d import-openapi audit entries, want 2", n)
	}

	// Importing again (YAML or JSON as a string) is idempotent; a document
	// no longer describing the request body removes its transform.
	doc, _ := json.Marshal(importDoc(false))
	rec = e.do("POST", path, dev, `{"document": `+string(doc)+`}`)
	wantStatus(t, rec, http.StatusOK)
	gotPut, err = e.cat.GetEndpoint(ctx, tenantA, "orders", "v1", put.ID)
	must(t, "endpoint", err)
	if len(gotPut.Policies.RequestTransforms) != 0 {
		t.Fatalf("PUT request transforms = %+v after a document without them", gotPut.Policies.RequestTransforms)
	}
	if _, err := e.cat.GetTransform(ctx, tenantA, reqSlug); err == nil {
		t.Fatal("the stale imported transform was kept")
	}
	// The version is publishable with its imported validation.
	wantStatus(t, e.do("POST", prefix+"/apis/orders/versions/v1/publish", e.token(tenantA, "admin"), ""), http.StatusOK)
}

func countAudit(t *testing.T, e *env, action string) int {
	t.Helper()
	n := 0
	cursor := ""
	for {
		es, next, err := e.cat.ListAudit(context.Background(), tenantA, catalog.AuditFilter{Limit: 100, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range es {
			if a.Action == action {
				n++
			}
		}
		if next == "" {
			return n
		}
		cursor = next
	}
}
