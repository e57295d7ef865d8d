package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/transform"
	"github.com/portico/portico/internal/wasmhost"
	"github.com/portico/portico/internal/workflow"
)

// TransformSource reads a tenant's transforms and their wasm modules;
// *catalog.Catalog implements it.
type TransformSource interface {
	GetTransform(ctx context.Context, tenant, slug string) (*model.Transform, error)
	GetModule(ctx context.Context, tenant, hash string) ([]byte, error)
}

// maxCompiled bounds the compiled transforms Steps keeps (per process);
// past it the cache starts over, closing the wasm modules it held.
const maxCompiled = 256

// compiled is one transform revision ready to run.
type compiled struct {
	decl *transform.Transform
	wasm *wasmhost.Module
}

// transforms compiles each transform revision once and keeps it.
type transforms struct {
	mu   sync.Mutex
	byID map[string]*compiled // compiledKey
}

// Transform implements workflow.Steps: it runs the tenant's transform t
// (declarative or wasm, the same engines as the gateway's) on input, the
// step's part of the state, and returns the transformed body. It reads the
// transform (one GetItem) on every step, so an update is seen at once, and
// compiles each revision once. Failures are named errors:
// Portico.TransformFailed (unknown or unpublishable transform, a step or
// the module refused the input, a trap or deadline), never a silent
// pass-through.
func (s *Steps) Transform(ctx context.Context, tenant string, t workflow.TransformConfig, input json.RawMessage) (json.RawMessage, error) {
	if s.cfg.Transforms == nil {
		return nil, &workflow.Error{Name: workflow.ErrorTransformFailed, Cause: "this worker has no transform source"}
	}
	tr, err := s.cfg.Transforms.GetTransform(ctx, tenant, t.Transform)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, &workflow.Error{Name: workflow.ErrorTransformFailed, Cause: "transform " + t.Transform + " does not exist"}
	}
	if err != nil {
		return nil, fmt.Errorf("read transform %s/%s: %w", tenant, t.Transform, err)
	}
	if !tr.Publishable() {
		return nil, &workflow.Error{Name: workflow.ErrorTransformFailed, Cause: "transform " + t.Transform + " is not publishable (failing test cases or no module)"}
	}
	c, err := s.compiled(ctx, tenant, tr)
	if err != nil {
		return nil, err
	}
	if c.decl != nil {
		out, err := c.decl.ApplyJSON(ctx, &transform.Message{}, input)
		if err != nil {
			return nil, &workflow.Error{Name: workflow.ErrorTransformFailed, Cause: "transform " + t.Transform + ": " + err.Error()}
		}
		return out, nil
	}
	res, err := c.wasm.Call(ctx, input)
	if err != nil {
		cause := "transform " + t.Transform + " failed"
		var ce *wasmhost.CallError
		if errors.As(err, &ce) && errors.Is(err, wasmhost.ErrGuest) {
			cause = "transform " + t.Transform + ": " + ce.Message
		}
		return nil, &workflow.Error{Name: workflow.ErrorTransformFailed, Cause: cause}
	}
	if !json.Valid(res.Output) {
		return nil, &workflow.Error{Name: workflow.ErrorTransformFailed, Cause: "transform " + t.Transform + " returned something that is not JSON"}
	}
	return res.Output, nil
}

// compiledKey identifies what a compiled transform was built from: every
// save bumps the revision and the update time, and a deleted and recreated
// transform starting over at revision 1 has another update time.
func compiledKey(tenant string, tr *model.Transform) string {
	return tenant + "\x00" + tr.Slug + "\x00" + strconv.FormatInt(tr.Revision, 10) + "\x00" + strconv.FormatInt(tr.UpdatedAt.UnixNano(), 10)
}

// compiled returns tr compiled, compiling it on first use.
func (s *Steps) compiled(ctx context.Context, tenant string, tr *model.Transform) (*compiled, error) {
	key := compiledKey(tenant, tr)
	c := &s.tr
	c.mu.Lock()
	if got := c.byID[key]; got != nil {
		c.mu.Unlock()
		return got, nil
	}
	c.mu.Unlock()

	var out compiled
	switch tr.Type {
	case model.TransformDeclarative:
		ct, err := catalog.CompileTransformDocument(tr.Document, "/document")
		if err != nil {
			return nil, &workflow.Error{Name: workflow.ErrorTransformFailed, Cause: "transform " + tr.Slug + " does not compile"}
		}
		out.decl = ct
	case model.TransformWasm:
		if s.cfg.Wasm == nil {
			return nil, &workflow.Error{Name: workflow.ErrorTransformFailed, Cause: "this worker has no WebAssembly host"}
		}
		code, err := s.cfg.Transforms.GetModule(ctx, tenant, tr.Module.Hash)
		if err != nil {
			return nil, fmt.Errorf("read module of transform %s/%s: %w", tenant, tr.Slug, err)
		}
		m, err := s.cfg.Wasm.Load(context.WithoutCancel(ctx), code, wasmhost.LoadOptions{Name: tr.Slug, Config: tr.Config, FreshInstance: tr.FreshInstance})
		if err != nil {
			return nil, &workflow.Error{Name: workflow.ErrorTransformFailed, Cause: "transform " + tr.Slug + ": the module does not load"}
		}
		out.wasm = m
	default:
		return nil, &workflow.Error{Name: workflow.ErrorTransformFailed, Cause: "transform " + tr.Slug + " has an unknown type"}
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if got := c.byID[key]; got != nil { // compiled meanwhile by another step
		if out.wasm != nil {
			_ = out.wasm.Close(context.WithoutCancel(ctx))
		}
		return got, nil
	}
	if c.byID == nil || len(c.byID) >= maxCompiled {
		for _, old := range c.byID {
			if old.wasm != nil {
				_ = old.wasm.Close(context.WithoutCancel(ctx))
			}
		}
		c.byID = make(map[string]*compiled)
	}
	c.byID[key] = &out
	return &out, nil
}
