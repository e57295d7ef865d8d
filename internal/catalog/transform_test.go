package catalog_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
)

const passingDoc = `{"steps": [{"map": {"fields": [{"to": "/id", "from": "body.orderId"}]}}],
 "tests": [{"name": "renames", "input": {"body": {"orderId": 7}}, "expect": {"body": {"id": 7}}}]}`

const failingDoc = `{"steps": [{"map": {"fields": [{"to": "/id", "from": "body.orderId"}]}}],
 "tests": [{"name": "renames", "input": {"body": {"orderId": 7}}, "expect": {"body": {"id": 8}}}]}`

func declarative(slug, doc string) *model.Transform {
	return &model.Transform{Slug: slug, Name: "Rename", Type: model.TransformDeclarative, Document: json.RawMessage(doc)}
}

func TestTransformSaveRunsTests(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()

	// Document errors are listed under /document.
	_, err := c.CreateTransform(ctx, "acme", alice, declarative("bad", `{"steps": [{"map": {"fields": [{"to": "/x", "from": "body.["}]}}]}`))
	wantProblem(t, err, "/document/steps/0/map/fields/0/from")
	_, err = c.CreateTransform(ctx, "acme", alice, declarative("bad", `{"steps": [], "nope": 1}`))
	wantProblem(t, err, "/document")

	ok := must(t)(c.CreateTransform(ctx, "acme", alice, declarative("rename", passingDoc))).(*model.Transform)
	if ok.Tests == nil || !ok.Tests.Passed || len(ok.Tests.Results) != 1 || !ok.Publishable() {
		t.Fatalf("tests = %+v, want one passing", ok.Tests)
	}
	lastAudit(t, c, "acme", alice, "create", "transform", "transform/rename")

	// A failing transform is stored, flagged.
	bad := must(t)(c.CreateTransform(ctx, "acme", alice, declarative("broken", failingDoc))).(*model.Transform)
	if bad.Tests == nil || bad.Tests.Passed || bad.Tests.Results[0].Detail == "" || bad.Publishable() {
		t.Fatalf("tests = %+v, want one failing with a detail", bad.Tests)
	}
	// Tests results are the server's: a forged flag is replaced.
	forged := declarative("forged", failingDoc)
	forged.Tests = &model.TransformTests{Passed: true}
	if got := must(t)(c.CreateTransform(ctx, "acme", alice, forged)).(*model.Transform); got.Tests.Passed {
		t.Fatal("a forged Tests.Passed was kept")
	}

	cfg := must(t)(c.LoadTenantConfig(ctx, "acme")).(*catalog.TenantConfig)
	if len(cfg.Transforms) != 3 {
		t.Fatalf("tenant config has %d transforms, want 3", len(cfg.Transforms))
	}
}

func TestPublishGatedByTransforms(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()
	must(t)(c.CreateTransform(ctx, "acme", alice, declarative("rename", passingDoc)))
	must(t)(c.CreateTransform(ctx, "acme", alice, declarative("broken", failingDoc)))

	ep := endpoint("orders", "v1", "POST", "/orders")
	ep.Policies.RequestTransforms = []model.TransformRef{{Transform: "rename"}}
	ep.Policies.ResponseTransforms = []model.TransformRef{{Transform: "broken"}}
	must(t)(c.CreateEndpoint(ctx, "acme", alice, ep))

	publish := func() error {
		_, err := c.UpdateVersion(ctx, "acme", bob, "orders", "v1", 0, "publish", func(v *model.Version) error {
			v.Status = model.StatusPublished
			return nil
		})
		return err
	}
	ce := wantConflict(t, publish(), "/status", catalog.ErrInUse)
	if !bytes.Contains([]byte(ce.Detail), []byte(`"broken"`)) {
		t.Fatalf("detail %q does not name the failing transform", ce.Detail)
	}

	// Fixing the transform unblocks the publish.
	must(t)(c.UpdateTransform(ctx, "acme", alice, "broken", 0, declarative("broken", passingDoc)))
	noErr(t, publish())

	// Once live, a transform cannot be changed into a failing one...
	_, err := c.UpdateTransform(ctx, "acme", alice, "broken", 0, declarative("broken", failingDoc))
	wantConflict(t, err, "/document", catalog.ErrInUse)
	// ...nor deleted while an endpoint uses it.
	wantConflict(t, c.DeleteTransform(ctx, "acme", alice, "rename", 0), "", catalog.ErrInUse)
}

func TestTransformModuleChunks(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()
	must(t)(c.CreateTransform(ctx, "acme", alice, declarative("rename", passingDoc)))
	wasmT := &model.Transform{Slug: "mask", Name: "Mask", Type: model.TransformWasm}
	created := must(t)(c.CreateTransform(ctx, "acme", alice, wasmT)).(*model.Transform)
	if created.Publishable() {
		t.Fatal("a wasm transform without a module is publishable")
	}

	// Not a real module: the catalog stores bytes; validation is the caller's.
	mod := bytes.Repeat([]byte("0123456789abcdef"), (2*catalog.ModuleChunkBytes+1000)/16)
	_, err := c.PutTransformModule(ctx, "acme", alice, "rename", 0, mod)
	wantConflict(t, err, "/type", catalog.ErrInUse)

	got := must(t)(c.PutTransformModule(ctx, "acme", alice, "mask", 1, mod)).(*model.Transform)
	if got.Module == nil || got.Module.Hash != catalog.ModuleHash(mod) || got.Module.Size != int64(len(mod)) || got.Revision != 2 {
		t.Fatalf("module = %+v revision %d", got.Module, got.Revision)
	}
	lastAudit(t, c, "acme", alice, "upload-module", "transform", "transform/mask")
	back := must(t)(c.GetModule(ctx, "acme", got.Module.Hash)).([]byte)
	if !bytes.Equal(back, mod) {
		t.Fatalf("module read back is %d bytes, want %d", len(back), len(mod))
	}
	// Idempotent: the same bytes again.
	must(t)(c.PutTransformModule(ctx, "acme", alice, "mask", 0, mod))

	// An update of the transform keeps its module.
	up := &model.Transform{Slug: "mask", Name: "Mask v2", Type: model.TransformWasm, Config: json.RawMessage(`{"x":1}`)}
	if u := must(t)(c.UpdateTransform(ctx, "acme", alice, "mask", 0, up)).(*model.Transform); u.Module == nil || u.Module.Hash != got.Module.Hash {
		t.Fatalf("update dropped the module: %+v", u.Module)
	}
	cfg := must(t)(c.LoadTenantConfig(ctx, "acme")).(*catalog.TenantConfig)
	if !bytes.Equal(cfg.Modules[got.Module.Hash], mod) {
		t.Fatal("tenant config does not carry the module")
	}
	// Other tenants cannot read it.
	must(t)(c.CreateTenant(ctx, alice, &model.Tenant{ID: "globex", Name: "Globex"}))
	_, err = c.GetModule(ctx, "globex", got.Module.Hash)
	wantIs(t, err, catalog.ErrNotFound)
}

func TestEndpointSaveChecksTransforms(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()
	must(t)(c.CreateTransform(ctx, "acme", alice, declarative("rename", passingDoc)))
	// A wasm transform without its module yet is fine in a draft.
	must(t)(c.CreateTransform(ctx, "acme", alice, &model.Transform{Slug: "mask", Name: "Mask", Type: model.TransformWasm}))
	existing := must(t)(c.CreateEndpoint(ctx, "acme", alice, endpoint("orders", "v1", "GET", "/existing"))).(*model.Endpoint)

	tests := []struct {
		name      string
		req, resp []string
		pointers  []string // nil: saved
	}{
		{"existing transforms", []string{"rename"}, []string{"mask", "rename"}, nil},
		{"missing request transform", []string{"rename", "nope"}, nil, []string{"/policies/requestTransforms/1/transform"}},
		{"missing on both sides", []string{"nope"}, []string{"rename", "nope", "other"},
			[]string{"/policies/requestTransforms/0/transform", "/policies/responseTransforms/1/transform", "/policies/responseTransforms/2/transform"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refs := func(ss []string) []model.TransformRef {
				var out []model.TransformRef
				for _, s := range ss {
					out = append(out, model.TransformRef{Transform: s})
				}
				return out
			}
			ep := endpoint("orders", "v1", "POST", fmt.Sprintf("/case%d", i))
			ep.Policies.RequestTransforms, ep.Policies.ResponseTransforms = refs(tt.req), refs(tt.resp)
			up := *existing
			up.Policies = ep.Policies
			for _, save := range []func() error{
				func() error { _, err := c.CreateEndpoint(ctx, "acme", alice, ep); return err },
				func() error { _, err := c.UpdateEndpoint(ctx, "acme", alice, 0, &up); return err },
			} {
				err := save()
				if tt.pointers == nil {
					noErr(t, err)
					continue
				}
				var p *problem.Problem
				if !errors.As(err, &p) || p.Status != http.StatusUnprocessableEntity {
					t.Fatalf("err = %v, want a 422 problem", err)
				}
				var got []string
				for _, fe := range p.Errors {
					got = append(got, fe.Pointer)
				}
				if !slices.Equal(got, tt.pointers) {
					t.Fatalf("pointers = %q, want %q", got, tt.pointers)
				}
			}
		})
	}
}
