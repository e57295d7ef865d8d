package catalog_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/wasmhost"
	"github.com/portico/portico/internal/wasmhost/wasmhosttest"
)

// slowRunner runs test cases on h without the save's deadline: under the
// race detector on a busy 2-core machine, compiling a Go guest alone can
// take longer than it.
func slowRunner(h *wasmhost.Host) catalog.ModuleRunner {
	return func(ctx context.Context, name string, wasm, config []byte, inputs [][]byte) ([][]byte, []error, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		return h.RunEach(ctx, name, wasm, config, inputs)
	}
}

func newHost(t *testing.T) *wasmhost.Host {
	t.Helper()
	h, err := wasmhost.New(context.Background(), wasmhost.Config{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	return h
}

func exampleFile(t *testing.T, example, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(wasmhosttest.ModuleDir(t), "testdata", example, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func text(s string) *string { return &s }

func results(tr *model.TransformTests) map[string]bool {
	out := map[string]bool{}
	if tr != nil {
		for _, r := range tr.Results {
			out[r.Name] = r.Pass
		}
	}
	return out
}

// TestWasmTestCases runs a wasm transform's test cases in wazero with the
// real example guests: on upload and on save, with the transform's
// configuration or a case's own, JSON or text payloads; failing cases
// block the publish and cannot reach a routed version.
func TestWasmTestCases(t *testing.T) {
	currencyWasm := wasmhosttest.Guest(t, "currency")
	csvWasm := wasmhosttest.Guest(t, "csv-to-json")
	c, _ := fixture(t)
	c.SetModuleRunner(slowRunner(newHost(t)))
	ctx := t.Context()

	converts := model.TransformTestCase{Name: "converts", Input: exampleFile(t, "currency", "input.json"), Expect: exampleFile(t, "currency", "output.json")}
	toGBP := model.TransformTestCase{Name: "to GBP", Config: json.RawMessage(`{"from":"USD","to":"GBP","rates":{"USD":1,"GBP":0.5},"fields":["total"]}`),
		Input: json.RawMessage(`{"total": 10, "currency": "USD"}`), Expect: json.RawMessage(`{"currency":"GBP","total":5}`)}
	wrong := model.TransformTestCase{Name: "wrong", Input: json.RawMessage(`{"total": 10}`), Expect: json.RawMessage(`{"total": 10}`)}
	notJSON := model.TransformTestCase{Name: "refuses text", InputText: text("total: 10"), ExpectError: "wasm"}
	fx := &model.Transform{Slug: "fx", Name: "FX", Type: model.TransformWasm, Config: exampleFile(t, "currency", "config.json"),
		TestCases: []model.TransformTestCase{converts, toGBP, wrong}}
	created := must(t)(c.CreateTransform(ctx, "acme", alice, fx)).(*model.Transform)
	if created.Tests != nil || created.Publishable() {
		t.Fatalf("without a module: tests %+v, publishable %v", created.Tests, created.Publishable())
	}

	// Upload: the cases run on the new module.
	up := must(t)(c.PutTransformModule(ctx, "acme", alice, "fx", 0, currencyWasm)).(*model.Transform)
	if got := results(up.Tests); up.Tests.Passed || !got["converts"] || !got["to GBP"] || got["wrong"] || up.Publishable() {
		t.Fatalf("after upload: %+v", up.Tests)
	}
	if d := up.Tests.Results[2].Detail; !strings.Contains(d, "want") {
		t.Errorf("failing case detail %q does not show the difference", d)
	}

	ep := endpoint("orders", "v1", "POST", "/convert")
	ep.Policies.ResponseTransforms = []model.TransformRef{{Transform: "fx"}}
	must(t)(c.CreateEndpoint(ctx, "acme", alice, ep))
	publish := func() error {
		_, err := c.UpdateVersion(ctx, "acme", bob, "orders", "v1", 0, "publish", func(v *model.Version) error {
			v.Status = model.StatusPublished
			return nil
		})
		return err
	}
	ce := wantConflict(t, publish(), "/status", catalog.ErrInUse)
	if !strings.Contains(ce.Detail, "fails its test cases") {
		t.Fatalf("publish refused with %q", ce.Detail)
	}

	// Save: the cases run on the stored module.
	fx.TestCases = []model.TransformTestCase{converts, toGBP, notJSON}
	saved := must(t)(c.UpdateTransform(ctx, "acme", alice, "fx", 0, fx)).(*model.Transform)
	if !saved.Tests.Passed || !saved.Publishable() || saved.Module == nil {
		t.Fatalf("after fixing the cases: %+v", saved.Tests)
	}
	noErr(t, publish())

	// Live: a failing save and a module failing the cases are refused.
	fx.TestCases = []model.TransformTestCase{converts, wrong}
	_, err := c.UpdateTransform(ctx, "acme", alice, "fx", 0, fx)
	wantConflict(t, err, "/document", catalog.ErrInUse)
	_, err = c.PutTransformModule(ctx, "acme", alice, "fx", 0, csvWasm)
	wantConflict(t, err, "/testCases", catalog.ErrInUse)
	if cur := must(t)(c.GetTransform(ctx, "acme", "fx")).(*model.Transform); cur.Module.Hash != catalog.ModuleHash(currencyWasm) {
		t.Fatal("a refused upload replaced the live module")
	}

	// Text in, JSON out.
	csv := &model.Transform{Slug: "csv", Name: "CSV", Type: model.TransformWasm, TestCases: []model.TransformTestCase{
		{Name: "example", InputText: text(string(exampleFile(t, "csv-to-json", "input.csv"))), Expect: exampleFile(t, "csv-to-json", "output.json")},
		{Name: "as text", InputText: text("a,b\n1,x\n"), ExpectText: text(`[{"a":"1","b":"x"}]`)},
	}}
	must(t)(c.CreateTransform(ctx, "acme", alice, csv))
	got := must(t)(c.PutTransformModule(ctx, "acme", alice, "csv", 0, csvWasm)).(*model.Transform)
	if !got.Tests.Passed {
		t.Fatalf("csv cases: %+v", got.Tests)
	}
}

// TestWasmTestCasesWithoutRunner: a deployment that cannot run wasm
// records the cases as not run, and the transform is not publishable.
func TestWasmTestCasesWithoutRunner(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()
	echo, _ := hex.DecodeString("0061736d01000000010f0360000060017f017f60027f7f017e03030201020503010001071e03066d656d6f7279020005616c6c6f630000097472616e73666f726d00010a140205004180080b0c002000ad4220862001ad840b")
	tr := &model.Transform{Slug: "echo", Name: "Echo", Type: model.TransformWasm,
		TestCases: []model.TransformTestCase{{Name: "echoes", Input: json.RawMessage(`{"a":1}`), Expect: json.RawMessage(`{"a":1}`)}}}
	must(t)(c.CreateTransform(ctx, "acme", alice, tr))
	got := must(t)(c.PutTransformModule(ctx, "acme", alice, "echo", 0, echo)).(*model.Transform)
	if got.Tests == nil || got.Tests.Passed || !strings.Contains(got.Tests.Results[0].Detail, "not run") || got.Publishable() {
		t.Fatalf("tests = %+v", got.Tests)
	}
	// With a runner the same module passes.
	c.SetModuleRunner(slowRunner(newHost(t)))
	got = must(t)(c.UpdateTransform(ctx, "acme", alice, "echo", 0, tr)).(*model.Transform)
	if !got.Tests.Passed || !got.Publishable() {
		t.Fatalf("tests = %+v", got.Tests)
	}
}
