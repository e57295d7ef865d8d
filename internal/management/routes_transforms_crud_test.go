package management

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/wasmhost"
)

// echoWasm is a hand-built module meeting the transform ABI that returns
// its input (wasmhost's test module modEcho).
var echoWasm = mustHex("0061736d01000000010f0360000060017f017f60027f7f017e03030201020503010001071e03066d656d6f7279020005616c6c6f630000097472616e73666f726d00010a140205004180080b0c002000ad4220862001ad840b")

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// testModules validates modules with a real wasmhost.Host, as app does.
func testModules(t testing.TB) ModuleValidator {
	host, err := wasmhost.New(context.Background(), wasmhost.Config{})
	if err != nil {
		t.Fatalf("wasmhost: %v", err)
	}
	t.Cleanup(func() { _ = host.Close(context.Background()) })
	return func(ctx context.Context, name string, wasm, config []byte) error {
		m, err := host.Load(ctx, wasm, wasmhost.LoadOptions{Name: name, Config: config})
		if err != nil {
			return err
		}
		return m.Close(ctx)
	}
}

const transformBody = `{"slug":"trf-%d","name":"T","type":"declarative","document":{"steps":[{"map":{"fields":[{"to":"/id","from":"body.orderId"}]}}],"tests":[{"name":"renames","input":{"body":{"orderId":7}},"expect":{"body":{"id":7}}}]}}`

// addTransform creates transform trf-<n> (wasm when asked) in tenantA.
func (e *env) addTransform(t *testing.T, n int, wasm bool) string {
	t.Helper()
	tr := &model.Transform{Slug: fmt.Sprintf("trf-%d", n), Name: "T", Type: model.TransformDeclarative,
		Document: []byte(`{"steps":[{"status":{"set":201}}]}`)}
	if wasm {
		tr.Type, tr.Document = model.TransformWasm, nil
	}
	if _, err := e.cat.CreateTransform(context.Background(), tenantA, seedActor, tr); err != nil {
		t.Fatalf("transform: %v", err)
	}
	return tr.Slug
}

func transformMatrix() map[string]matrixCall {
	return map[string]matrixCall{
		"GET /admin/v1/transforms": fixed("/transforms", ""),
		"POST /admin/v1/transforms": func(_ *testing.T, _ *env, n int) (string, string) {
			return prefix + "/transforms", fmt.Sprintf(transformBody, n)
		},
		"GET /admin/v1/transforms/{transform}": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/transforms/" + e.addTransform(t, n, false), ""
		},
		"PUT /admin/v1/transforms/{transform}": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/transforms/" + e.addTransform(t, n, false), fmt.Sprintf(transformBody, n)
		},
		"DELETE /admin/v1/transforms/{transform}": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/transforms/" + e.addTransform(t, n, false), ""
		},
		"PUT /admin/v1/transforms/{transform}/module": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/transforms/" + e.addTransform(t, n, true) + "/module", string(echoWasm)
		},
	}
}

func TestTransformRoutes(t *testing.T) {
	e := newEnv(t)
	dev := e.token(tenantA, "developer")

	// Document errors point into /document.
	rec := e.do("POST", prefix+"/transforms", dev, `{"slug":"bad","name":"B","type":"declarative","document":{"steps":[{"map":{"fields":[{"to":"x","from":"body.a"}]}}]}}`)
	wantProblem(t, rec, http.StatusBadRequest, "/document/steps/0/map/fields/0/to")

	// Failing tests: stored, flagged.
	rec = e.do("POST", prefix+"/transforms", dev, `{"slug":"flag","name":"F","type":"declarative","document":{"steps":[{"status":{"set":201}}],"tests":[{"name":"t","input":{},"expect":{"status":202}}]}}`)
	wantStatus(t, rec, http.StatusCreated)
	got := decodeJSON[model.Transform](t, rec)
	if got.Tests == nil || got.Tests.Passed || got.Tests.Results[0].Detail == "" {
		t.Fatalf("tests = %+v, want a failing result with a detail", got.Tests)
	}

	// Wasm: create, then upload; a broken module is refused.
	wantStatus(t, e.do("POST", prefix+"/transforms", dev, `{"slug":"echo","name":"Echo","type":"wasm"}`), http.StatusCreated)
	rec = e.do("PUT", prefix+"/transforms/echo/module", dev, "\x00asm\x01\x00\x00\x00garbage")
	wantProblem(t, rec, http.StatusBadRequest)
	rec = e.do("PUT", prefix+"/transforms/flag/module", dev, string(echoWasm))
	wantStatus(t, rec, http.StatusConflict)
	rec = e.do("PUT", prefix+"/transforms/echo/module", dev, string(echoWasm))
	wantStatus(t, rec, http.StatusOK)
	got = decodeJSON[model.Transform](t, rec)
	if got.Module == nil || got.Module.Hash != wasmhost.Hash(echoWasm) {
		t.Fatalf("module = %+v", got.Module)
	}
	// A config the module cannot take (no configure export) is refused.
	rec = e.do("PUT", prefix+"/transforms/echo", dev, `{"name":"Echo","type":"wasm","config":{"rate":1}}`)
	wantProblem(t, rec, http.StatusBadRequest, "/config")

	// Publishing a version whose endpoint uses the flagged transform fails.
	ep, err := e.addEndpoint(tenantA, "orders", "v1", "POST", "/orders")
	must(t, "endpoint", err)
	ep.Policies.ResponseTransforms = []model.TransformRef{{Transform: "flag"}}
	_, err = e.cat.UpdateEndpoint(context.Background(), tenantA, seedActor, 0, ep)
	must(t, "endpoint update", err)
	rec = e.do("POST", prefix+"/apis/orders/versions/v1/publish", e.token(tenantA, "admin"), "")
	wantProblem(t, rec, http.StatusConflict, "/status")
}

// TestEndpointSaveChecksTransforms: an endpoint naming a transform the
// tenant does not have is a 422 problem+json pointing at each reference.
func TestEndpointSaveChecksTransforms(t *testing.T) {
	e := newEnv(t)
	dev := e.token(tenantA, "developer")
	slug := e.addTransform(t, 1, false)
	path := prefix + "/apis/orders/versions/v1/endpoints"
	body := func(req, resp string) string {
		return fmt.Sprintf(`{"method":"POST","path":"/checked","target":{"type":"integration","integration":"backend"},
			"policies":{"requestTransforms":[{"transform":%q}],"responseTransforms":[{"transform":%q},{"transform":"gone"}]}}`, req, resp)
	}
	wantProblem(t, e.do("POST", path, dev, body("nope", slug)), http.StatusUnprocessableEntity,
		"/policies/requestTransforms/0/transform", "/policies/responseTransforms/1/transform")
	rec := e.do("PUT", path+"/"+e.epID, dev, strings.Replace(body(slug, slug), `"/checked"`, `"/items"`, 1))
	wantProblem(t, rec, http.StatusUnprocessableEntity, "/policies/responseTransforms/1/transform")
}
