package catalog

import (
	"context"
	"errors"
	"fmt"

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
