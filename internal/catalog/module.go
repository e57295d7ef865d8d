package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/portico/portico/internal/model"
)

// VersionModule is a wasm module a version's endpoints run, by the
// transform that runs it.
type VersionModule struct {
	Transform string
	Hash      string
	Wasm      []byte
}

// VersionModules returns the modules of the wasm transforms the endpoints
// of version ver of api use, once per hash: what a publish warms up.
// Transforms without a module are skipped.
func (c *Catalog) VersionModules(ctx context.Context, tenant, api, ver string) ([]VersionModule, error) {
	eps, err := listAll[model.Endpoint](ctx, c.st, tenant, endpointPrefix(api, ver))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []VersionModule
	for _, e := range eps {
		for _, refs := range [][]model.TransformRef{e.Policies.RequestTransforms, e.Policies.ResponseTransforms} {
			for _, r := range refs {
				if seen[r.Transform] {
					continue
				}
				seen[r.Transform] = true
				t, err := c.GetTransform(ctx, tenant, r.Transform)
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil {
					return nil, err
				}
				if t.Type != model.TransformWasm || t.Module == nil || seen["#"+t.Module.Hash] {
					continue
				}
				seen["#"+t.Module.Hash] = true
				wasm, err := c.GetModule(ctx, tenant, t.Module.Hash)
				if err != nil {
					return nil, fmt.Errorf("transform %q: %w", t.Slug, err)
				}
				out = append(out, VersionModule{Transform: t.Slug, Hash: t.Module.Hash, Wasm: wasm})
			}
		}
	}
	return out, nil
}

// ModuleRunner runs a wasm module with config once per input, each on a
// fresh instance, and returns the outputs and per-input errors in input
// order; err is a module that does not load. wasmhost.Host.RunEach is one.
type ModuleRunner func(ctx context.Context, name string, wasm, config []byte, inputs [][]byte) (outputs [][]byte, errs []error, err error)

// SetModuleRunner sets how wasm transforms' test cases run (app wires the
// process's wasmhost). Without one, a wasm transform with test cases
// records them as not run and cannot be published.
func (c *Catalog) SetModuleRunner(r ModuleRunner) {
	if r == nil {
		c.runModule.Store(nil)
		return
	}
	c.runModule.Store(&r)
}

// runModuleTests runs t's test cases on wasm: cases sharing a
// configuration run in one load. Nil when t has no test cases.
func (c *Catalog) runModuleTests(ctx context.Context, t *model.Transform, wasm []byte) *model.TransformTests {
	if len(t.TestCases) == 0 {
		return nil
	}
	results := make([]model.TransformTestResult, len(t.TestCases))
	for i, tc := range t.TestCases {
		results[i] = model.TransformTestResult{Name: tc.Name}
	}
	run := c.runModule.Load()
	if run == nil {
		for i := range results {
			results[i].Detail = "not run: this deployment cannot run WebAssembly"
		}
		return &model.TransformTests{Passed: false, Results: results}
	}
	ctx, cancel := context.WithTimeout(ctx, moduleTestTimeout)
	defer cancel()
	// Group the cases by configuration, in order of first use.
	var configs []string
	groups := map[string][]int{}
	for i, tc := range t.TestCases {
		cfg := string(t.Config)
		if len(tc.Config) > 0 {
			cfg = string(tc.Config)
		}
		if _, ok := groups[cfg]; !ok {
			configs = append(configs, cfg)
		}
		groups[cfg] = append(groups[cfg], i)
	}
	for _, cfg := range configs {
		idx := groups[cfg]
		inputs := make([][]byte, len(idx))
		for j, i := range idx {
			inputs[j] = testInput(&t.TestCases[i])
		}
		outs, errs, err := (*run)(ctx, t.Slug, wasm, []byte(cfg), inputs)
		for j, i := range idx {
			if err != nil {
				results[i].Detail = "the module did not load: " + err.Error()
				continue
			}
			results[i].Pass, results[i].Detail = judgeModuleCase(&t.TestCases[i], outs[j], errs[j])
		}
	}
	passed := true
	for _, r := range results {
		passed = passed && r.Pass
	}
	return &model.TransformTests{Passed: passed, Results: results}
}

// moduleTestTimeout bounds a save's wasm test cases (a Go guest costs a
// few ms per fresh instance).
const moduleTestTimeout = 10 * time.Second

func testInput(tc *model.TransformTestCase) []byte {
	if tc.InputText != nil {
		return []byte(*tc.InputText)
	}
	return tc.Input
}

// judgeModuleCase compares one call with its case's expectation.
func judgeModuleCase(tc *model.TransformTestCase, out []byte, callErr error) (bool, string) {
	switch {
	case tc.ExpectError != "":
		if callErr == nil {
			return false, fmt.Sprintf("expected an error containing %q, got output %s", tc.ExpectError, clip(out))
		}
		if !strings.Contains(callErr.Error(), tc.ExpectError) {
			return false, fmt.Sprintf("expected an error containing %q, got: %s", tc.ExpectError, callErr.Error())
		}
		return true, ""
	case callErr != nil:
		return false, "the call failed: " + callErr.Error()
	case tc.ExpectText != nil:
		if string(out) != *tc.ExpectText {
			return false, fmt.Sprintf("output %s, want %s", clip(out), clip([]byte(*tc.ExpectText)))
		}
		return true, ""
	}
	var got, want any
	if err := json.Unmarshal(tc.Expect, &want); err != nil {
		return false, "expect is not JSON"
	}
	if err := json.Unmarshal(out, &got); err != nil {
		return false, fmt.Sprintf("output is not JSON: %s", clip(out))
	}
	if !reflect.DeepEqual(got, want) {
		return false, fmt.Sprintf("output %s, want %s", clip(out), clip(tc.Expect))
	}
	return true, ""
}

// clip shortens a payload for a result's detail.
func clip(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
