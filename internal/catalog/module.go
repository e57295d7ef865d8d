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
	"github.com/portico/portico/internal/store"
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

// moduleTestTimeout bounds a save's wasm test cases, the module's
// compilation included (a 2-3 MB Go guest compiles in 1-2 s on a Lambda
// with a full vCPU; far less CPU at small memory sizes, hence the margin);
// a fresh instance per case then costs a few ms.
const moduleTestTimeout = 30 * time.Second

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

// ModuleGrace is the default age below which an unreferenced module is
// kept by SweepModules: an upload writes its module before the commit
// that points a transform at it.
const ModuleGrace = 24 * time.Hour

// StoredModule describes a stored module.
type StoredModule struct {
	Hash      string    `json:"sha256"`
	Size      int64     `json:"size"`
	Chunks    int       `json:"chunks"`
	CreatedAt time.Time `json:"createdAt,omitzero"`
	// UsedBy lists the transforms whose module it is.
	UsedBy []string `json:"usedBy,omitempty"`
}

// ModuleSweep is what SweepModules did.
type ModuleSweep struct {
	// Deleted are the modules deleted (or, in a dry run, to delete).
	Deleted []StoredModule `json:"deleted"`
	// Kept are the modules left: used, or younger than the grace period.
	Kept []StoredModule `json:"kept"`
}

// ListModules returns the tenant's stored modules in hash order, each
// with the transforms using it.
func (c *Catalog) ListModules(ctx context.Context, tenant string) ([]StoredModule, error) {
	var out []StoredModule
	pk := TenantPK(tenant)
	cursor := ""
	for {
		// Chunks (256 KiB each) sort among the manifests: small pages
		// bound the memory a listing takes.
		page, err := c.st.Query(ctx, store.Query{PK: pk, SKPrefix: pfxModule, Limit: 8, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("list modules: %w", err)
		}
		for _, it := range page.Items {
			if strings.Contains(it.SK[len(pfxModule):], "#") {
				continue // a chunk
			}
			var m moduleManifest
			if err := json.Unmarshal(it.Data, &m); err != nil {
				return nil, fmt.Errorf("decode module manifest %s: %w", it.SK, err)
			}
			out = append(out, StoredModule{Hash: m.Hash, Size: m.Size, Chunks: m.Chunks, CreatedAt: m.CreatedAt})
		}
		if page.Cursor == "" {
			break
		}
		cursor = page.Cursor
	}
	users, err := c.moduleUsers(ctx, tenant)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].UsedBy = users[out[i].Hash]
	}
	return out, nil
}

// moduleUsers maps module hashes to the transforms using them.
func (c *Catalog) moduleUsers(ctx context.Context, tenant string) (map[string][]string, error) {
	ts, err := listAll[model.Transform](ctx, c.st, tenant, pfxTransform)
	if err != nil {
		return nil, err
	}
	users := map[string][]string{}
	for _, t := range ts {
		if t.Module != nil {
			users[t.Module.Hash] = append(users[t.Module.Hash], t.Slug)
		}
	}
	return users, nil
}

// SweepModules deletes the tenant's modules that no transform uses (so no
// endpoint of any draft or published version can run them) and that are
// older than grace (<= 0: ModuleGrace), with their chunks. Each deletion
// is one audited commit that re-checks, against the configuration
// version, that no transform took the module meanwhile. dryRun reports
// without deleting. Modules stored before manifests had a creation time
// count as old.
func (c *Catalog) SweepModules(ctx context.Context, tenant string, actor Actor, grace time.Duration, dryRun bool) (*ModuleSweep, error) {
	if grace <= 0 {
		grace = ModuleGrace
	}
	mods, err := c.ListModules(ctx, tenant)
	if err != nil {
		return nil, err
	}
	cutoff := c.now().Add(-grace)
	res := &ModuleSweep{Deleted: []StoredModule{}, Kept: []StoredModule{}}
	for _, m := range mods {
		if len(m.UsedBy) > 0 || m.CreatedAt.After(cutoff) {
			res.Kept = append(res.Kept, m)
			continue
		}
		if dryRun {
			res.Deleted = append(res.Deleted, m)
			continue
		}
		deleted, err := c.deleteModule(ctx, tenant, actor, m)
		if err != nil {
			return nil, fmt.Errorf("delete module %s: %w", m.Hash, err)
		}
		if deleted {
			res.Deleted = append(res.Deleted, m)
		} else {
			res.Kept = append(res.Kept, m)
		}
	}
	return res, nil
}

// deleteModule deletes m's manifest and chunks in one audited commit,
// unless a transform uses it by then (false).
func (c *Catalog) deleteModule(ctx context.Context, tenant string, actor Actor, m StoredModule) (bool, error) {
	pk := TenantPK(tenant)
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		users, err := c.moduleUsers(ctx, tenant)
		if err != nil {
			return change{}, err
		}
		if len(users[m.Hash]) > 0 {
			return change{result: false}, errModuleInUse
		}
		ops := []store.WriteOp{{Delete: &store.Key{PK: pk, SK: moduleSK(m.Hash)}, Cond: store.IfExists()}}
		for i := range m.Chunks {
			ops = append(ops, store.WriteOp{Delete: &store.Key{PK: pk, SK: chunkSK(m.Hash, i)}})
		}
		return change{ops: ops, result: true, audit: model.AuditEntry{Action: "delete-module", ResourceType: "module", Resource: "module/" + m.Hash,
			Before: rawJSON(StoredModule{Hash: m.Hash, Size: m.Size, Chunks: m.Chunks, CreatedAt: m.CreatedAt})}}, nil
	})
	if errors.Is(err, errModuleInUse) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return res.(bool), nil
}

// errModuleInUse stops a module deletion that a transform took meanwhile.
var errModuleInUse = errors.New("catalog: module in use")
