package catalog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/transform"
)

// Transforms are stored as TRF#<slug>. WebAssembly modules are stored
// content-addressed per tenant: a manifest WASM#<sha256> and the bytes in
// chunks WASM#<sha256>#<nnnn> of ModuleChunkBytes, because one item holds
// at most store.MaxDataBytes (DynamoDB's 400 KB) and a Go guest is ~2-3 MB.
const (
	pfxTransform = "TRF#"
	pfxModule    = "WASM#"
	// ModuleChunkBytes is the size of one stored module chunk.
	ModuleChunkBytes = 256 << 10
	// MaxModuleBytes bounds an uploaded module (wasmhost's default limit).
	MaxModuleBytes = 16 << 20
	// testTimeout bounds the test cases of one save.
	testTimeout = 2 * time.Second
)

// ErrModuleCorrupt is a stored module whose chunks do not add up to its hash.
var ErrModuleCorrupt = errors.New("catalog: stored module is corrupt")

var transformKind = kind[model.Transform]{name: "transform", prefix: pfxTransform,
	id: func(v *model.Transform) string { return v.Slug }, meta: func(v *model.Transform) *model.Meta { return &v.Meta },
	validate: func(v *model.Transform) model.Errors { return model.ValidateTransform(v) }}

// CompileTransformDocument parses and compiles a declarative document.
// Document errors are a validation problem whose pointers are prefixed with
// prefix (the document's place in the request, "/document").
func CompileTransformDocument(doc []byte, prefix string) (*transform.Transform, error) {
	d, err := transform.Parse(doc)
	var t *transform.Transform
	if err == nil {
		if t, err = transform.Compile(d); err == nil {
			return t, nil
		}
	}
	var p *problem.Problem
	if !errors.As(err, &p) {
		return nil, err
	}
	fields := make([]problem.FieldError, 0, max(len(p.Errors), 1))
	for _, fe := range p.Errors {
		fields = append(fields, problem.FieldError{Pointer: prefix + fe.Pointer, Detail: fe.Detail})
	}
	if len(fields) == 0 {
		fields = append(fields, problem.FieldError{Pointer: prefix, Detail: p.Detail})
	}
	return nil, problem.Validation(fields)
}

// prepareTransform validates t and, for a declarative transform, compiles
// its document and runs its test cases, recording the results in t.Tests.
func prepareTransform(ctx context.Context, t *model.Transform) error {
	if p := model.ValidateTransform(t).Problem(); p != nil {
		return p
	}
	t.Tests = nil
	if t.Type != model.TransformDeclarative {
		return nil
	}
	ct, err := CompileTransformDocument(t.Document, "/document")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	rs := ct.RunTests(ctx)
	tests := &model.TransformTests{Passed: transform.AllPassed(rs), Results: make([]model.TransformTestResult, 0, len(rs))}
	for _, r := range rs {
		tests.Results = append(tests.Results, model.TransformTestResult{Name: r.Name, Pass: r.Pass, Detail: r.Detail})
	}
	t.Tests = tests
	// Store the document compact: it is read on every snapshot load.
	var buf bytes.Buffer
	if err := json.Compact(&buf, t.Document); err == nil {
		t.Document = buf.Bytes()
	}
	return nil
}

// CreateTransform stores a new transform. A declarative transform's test
// cases run first; one whose tests fail is stored, flagged (Tests.Passed
// false), and cannot be published. A wasm transform gets its module with
// PutTransformModule.
func (c *Catalog) CreateTransform(ctx context.Context, tenant string, actor Actor, t *model.Transform) (*model.Transform, error) {
	nt := *t
	nt.Module = nil
	if err := prepareTransform(ctx, &nt); err != nil {
		return nil, err
	}
	return create(ctx, c, transformKind, tenant, actor, &nt, nil)
}

// GetTransform returns a transform.
func (c *Catalog) GetTransform(ctx context.Context, tenant, slug string) (*model.Transform, error) {
	return getItem[model.Transform](ctx, c.st, tenant, pfxTransform+slug)
}

// ListTransforms returns one page of transforms in slug order.
func (c *Catalog) ListTransforms(ctx context.Context, tenant string, limit int, cursor string) ([]model.Transform, string, error) {
	return listItems[model.Transform](ctx, c.st, tenant, pfxTransform, limit, cursor)
}

// UpdateTransform replaces a transform; its module is kept unless the type
// changes. A transform used by a routed (published or deprecated) version
// must stay publishable: a change that fails its tests is refused there,
// since the gateway would serve it at once.
func (c *Catalog) UpdateTransform(ctx context.Context, tenant string, actor Actor, slug string, expect int64, t *model.Transform) (*model.Transform, error) {
	nt := *t
	if err := prepareTransform(ctx, &nt); err != nil {
		return nil, err
	}
	// A wasm transform's test cases run on its stored module.
	tested := ""
	if nt.Type == model.TransformWasm && len(nt.TestCases) > 0 {
		old, err := c.GetTransform(ctx, tenant, slug)
		if err != nil {
			return nil, err
		}
		if old.Type == model.TransformWasm && old.Module != nil {
			wasm, err := c.GetModule(ctx, tenant, old.Module.Hash)
			if err != nil {
				return nil, err
			}
			nt.Tests = c.runModuleTests(ctx, &nt, wasm)
			tested = old.Module.Hash
		}
	}
	return update(ctx, c, transformKind, tenant, actor, slug, expect, &nt, func(ctx context.Context, old *model.Transform) error {
		nt.Module = nil
		if old.Type == nt.Type {
			nt.Module = old.Module
		}
		if nt.Type == model.TransformWasm && len(nt.TestCases) > 0 && (nt.Module == nil) != (tested == "") ||
			nt.Module != nil && tested != "" && nt.Module.Hash != tested {
			return fmt.Errorf("transform %q: its module changed while its test cases ran: %w", slug, ErrBusy)
		}
		if nt.Publishable() {
			return nil
		}
		if where, err := c.transformRoutedUse(ctx, tenant, slug); err != nil {
			return err
		} else if where != "" {
			return &ConflictError{Pointer: "/document", Detail: fmt.Sprintf("transform %q is used by %s, and this change %s", slug, where, unpublishableReason(&nt)), Err: ErrInUse}
		}
		return nil
	})
}

func unpublishableReason(t *model.Transform) string {
	if t.Type == model.TransformWasm && t.Module == nil {
		return "has no module"
	}
	return "fails its test cases"
}

// DeleteTransform deletes a transform no endpoint uses. Its module stays
// stored (content-addressed, possibly shared).
func (c *Catalog) DeleteTransform(ctx context.Context, tenant string, actor Actor, slug string, expect int64) error {
	return remove(ctx, c, transformKind, tenant, actor, slug, expect, func(ctx context.Context, _ *model.Transform) error {
		eps, err := listAll[model.Endpoint](ctx, c.st, tenant, pfxEP)
		if err != nil {
			return err
		}
		for _, e := range eps {
			if usesTransform(&e, slug) {
				return &ConflictError{Detail: fmt.Sprintf("transform %q is used by endpoint %s %s of %s %s", slug, e.Method, e.Path, e.API, e.Version), Err: ErrInUse}
			}
		}
		return nil
	})
}

func usesTransform(e *model.Endpoint, slug string) bool {
	for _, refs := range [][]model.TransformRef{e.Policies.RequestTransforms, e.Policies.ResponseTransforms} {
		for _, r := range refs {
			if r.Transform == slug {
				return true
			}
		}
	}
	return false
}

// checkTransformRefs refuses an endpoint that names a transform the tenant
// does not have: a 422 listing every such reference by its pointer
// (/policies/requestTransforms/0/transform). A transform that exists but
// is not publishable yet (failing tests, no module) is fine in a draft;
// publishing is gated by checkTransformsPublishable.
func (c *Catalog) checkTransformRefs(ctx context.Context, tenant string, ep *model.Endpoint) error {
	var errs []problem.FieldError
	known := map[string]bool{}
	for _, side := range []struct {
		name string
		refs []model.TransformRef
	}{{"requestTransforms", ep.Policies.RequestTransforms}, {"responseTransforms", ep.Policies.ResponseTransforms}} {
		for i, r := range side.refs {
			ok, seen := known[r.Transform]
			if !seen {
				_, err := c.GetTransform(ctx, tenant, r.Transform)
				switch {
				case errors.Is(err, ErrNotFound):
				case err != nil:
					return fmt.Errorf("check transform %q: %w", r.Transform, err)
				default:
					ok = true
				}
				known[r.Transform] = ok
			}
			if !ok {
				errs = append(errs, problem.FieldError{Pointer: fmt.Sprintf("/policies/%s/%d/transform", side.name, i),
					Detail: fmt.Sprintf("no transform %q exists in this tenant", r.Transform)})
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	p := problem.New(http.StatusUnprocessableEntity, "unknown-reference", "Unprocessable Content",
		fmt.Sprintf("the endpoint references %d transform(s) that do not exist", len(errs)))
	p.Errors = errs
	return p
}

// transformRoutedUse names an endpoint of a routed version using slug, or "".
func (c *Catalog) transformRoutedUse(ctx context.Context, tenant, slug string) (string, error) {
	vers, err := listAll[model.Version](ctx, c.st, tenant, pfxVersion)
	if err != nil {
		return "", err
	}
	routed := map[string]bool{}
	for _, v := range vers {
		if v.Routed() {
			routed[v.API+"#"+v.Name] = true
		}
	}
	eps, err := listAll[model.Endpoint](ctx, c.st, tenant, pfxEP)
	if err != nil {
		return "", err
	}
	for _, e := range eps {
		if routed[e.API+"#"+e.Version] && usesTransform(&e, slug) {
			return fmt.Sprintf("endpoint %s %s of %s %s (%s)", e.Method, e.Path, e.API, e.Version, "published"), nil
		}
	}
	return "", nil
}

// checkTransformsPublishable refuses to publish version ver of api when one
// of its endpoints uses a transform that does not exist or is not
// publishable (failing tests, no module). Called by the publish check.
func (c *Catalog) checkTransformsPublishable(ctx context.Context, tenant, api, ver string) error {
	eps, err := listAll[model.Endpoint](ctx, c.st, tenant, endpointPrefix(api, ver))
	if err != nil {
		return err
	}
	checked := map[string]bool{}
	var errs model.Errors
	for _, e := range eps {
		for _, side := range []struct {
			name string
			refs []model.TransformRef
		}{{"requestTransforms", e.Policies.RequestTransforms}, {"responseTransforms", e.Policies.ResponseTransforms}} {
			for _, r := range side.refs {
				if checked[r.Transform] {
					continue
				}
				checked[r.Transform] = true
				t, err := c.GetTransform(ctx, tenant, r.Transform)
				switch {
				case errors.Is(err, ErrNotFound):
					errs.Add("/status", "endpoint %s %s uses transform %q, which does not exist", e.Method, e.Path, r.Transform)
				case err != nil:
					return err
				case !t.Publishable():
					errs.Add("/status", "endpoint %s %s uses transform %q, which %s", e.Method, e.Path, r.Transform, unpublishableReason(t))
				}
			}
		}
	}
	if len(errs) > 0 {
		detail := errs[0].Detail
		if len(errs) > 1 {
			detail += fmt.Sprintf(" (and %d more)", len(errs)-1)
		}
		return &ConflictError{Pointer: "/status", Detail: "the version cannot be published: " + detail, Err: ErrInUse}
	}
	return nil
}

// moduleManifest is the WASM#<hash> item.
type moduleManifest struct {
	Hash   string `json:"sha256"`
	Size   int64  `json:"size"`
	Chunks int    `json:"chunks"`
	// CreatedAt is when the module was first stored (SweepModules' grace
	// period); zero in manifests written before it was recorded.
	CreatedAt time.Time `json:"createdAt,omitzero"`
}

func moduleSK(hash string) string { return pfxModule + hash }

func chunkSK(hash string, i int) string {
	return pfxModule + hash + "#" + fmt.Sprintf("%04d", i)
}

// ModuleHash is the content address of a module (hex SHA-256).
func ModuleHash(wasm []byte) string {
	sum := sha256.Sum256(wasm)
	return hex.EncodeToString(sum[:])
}

// PutTransformModule stores wasm (already validated by the caller, e.g.
// with wasmhost) as the module of wasm transform slug. The chunks are
// written first, outside the audited commit: they are immutable and
// content-addressed, so a retry or a concurrent upload of the same bytes
// writes the same items, and a failed commit leaves only unreferenced
// chunks. The commit then points the transform at the manifest.
func (c *Catalog) PutTransformModule(ctx context.Context, tenant string, actor Actor, slug string, expect int64, wasm []byte) (*model.Transform, error) {
	if len(wasm) == 0 || len(wasm) > MaxModuleBytes {
		return nil, problem.BadRequest("", fmt.Sprintf("a module must be 1 to %d bytes", MaxModuleBytes))
	}
	t, err := c.GetTransform(ctx, tenant, slug)
	if err != nil {
		return nil, err
	}
	if t.Type != model.TransformWasm {
		return nil, &ConflictError{Pointer: "/type", Detail: fmt.Sprintf("transform %q is %s, not wasm", slug, t.Type), Err: ErrInUse}
	}
	hash := ModuleHash(wasm)
	tests := c.runModuleTests(ctx, t, wasm) // module.go
	if err := c.storeModule(ctx, tenant, hash, wasm); err != nil {
		return nil, err
	}
	sk := pfxTransform + slug
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		old, err := getItem[model.Transform](ctx, c.st, tenant, sk)
		if err != nil {
			return change{}, err
		}
		if expect > 0 && old.Revision != expect {
			return change{}, fmt.Errorf("transform %q has revision %d, not %d: %w", slug, old.Revision, expect, ErrStale)
		}
		if old.Type != model.TransformWasm {
			return change{}, &ConflictError{Pointer: "/type", Detail: fmt.Sprintf("transform %q is %s, not wasm", slug, old.Type), Err: ErrInUse}
		}
		// A sweep may have deleted an unused module of the same bytes
		// since storeModule; its commit bumped META, so this build re-runs
		// after it and stores the module again. The check makes the
		// manifest's presence part of this commit.
		if _, err := c.st.Get(ctx, store.Key{PK: TenantPK(tenant), SK: moduleSK(hash)}); errors.Is(err, store.ErrNotFound) {
			if err := c.storeModule(ctx, tenant, hash, wasm); err != nil {
				return change{}, err
			}
		} else if err != nil {
			return change{}, fmt.Errorf("read module manifest: %w", err)
		}
		if old.Revision != t.Revision {
			// The test cases ran on another revision's cases and config.
			return change{}, fmt.Errorf("transform %q changed while its module was tested: %w", slug, ErrBusy)
		}
		nt := *old
		now := c.now().UTC()
		nt.Module = &model.TransformModule{Hash: hash, Size: int64(len(wasm)), UploadedAt: now}
		nt.Tests = tests
		if !nt.Publishable() {
			if where, err := c.transformRoutedUse(ctx, tenant, slug); err != nil {
				return change{}, err
			} else if where != "" {
				return change{}, &ConflictError{Pointer: "/testCases", Detail: fmt.Sprintf("transform %q is used by %s, and this module %s", slug, where, unpublishableReason(&nt)), Err: ErrInUse}
			}
		}
		nt.Revision = old.Revision + 1
		nt.UpdatedAt = now
		nt.UpdatedBy = actor.Subject
		op, err := putOp(tenant, sk, &nt, &nt.Meta, store.IfVersion(old.Revision))
		if err != nil {
			return change{}, err
		}
		check := store.WriteOp{Check: &store.Key{PK: TenantPK(tenant), SK: moduleSK(hash)}, Cond: store.IfExists()}
		return change{ops: []store.WriteOp{op, check}, result: &nt, audit: model.AuditEntry{Action: "upload-module", ResourceType: "transform", Resource: "transform/" + slug,
			Before: rawJSON(old.Module), After: rawJSON(nt.Module)}}, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*model.Transform), nil
}

// storeModule writes the chunks and the manifest of a module unless the
// manifest exists already.
func (c *Catalog) storeModule(ctx context.Context, tenant, hash string, wasm []byte) error {
	pk := TenantPK(tenant)
	if _, err := c.st.Get(ctx, store.Key{PK: pk, SK: moduleSK(hash)}); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("read module manifest: %w", err)
	}
	n := 0
	for off := 0; off < len(wasm); off += ModuleChunkBytes {
		end := min(off+ModuleChunkBytes, len(wasm))
		if err := c.st.Put(ctx, store.Item{PK: pk, SK: chunkSK(hash, n), Data: wasm[off:end]}, store.Cond{}); err != nil {
			return fmt.Errorf("write module chunk %d: %w", n, err)
		}
		n++
	}
	data, err := marshal(moduleManifest{Hash: hash, Size: int64(len(wasm)), Chunks: n, CreatedAt: c.now().UTC()})
	if err != nil {
		return err
	}
	// Written last: a manifest means every chunk is there.
	if err := c.st.Put(ctx, store.Item{PK: pk, SK: moduleSK(hash), Data: data}, store.Cond{}); err != nil {
		return fmt.Errorf("write module manifest: %w", err)
	}
	return nil
}

// GetModule returns the bytes of a tenant's module by hash, checked
// against the hash.
func (c *Catalog) GetModule(ctx context.Context, tenant, hash string) ([]byte, error) {
	pk := TenantPK(tenant)
	it, err := c.st.Get(ctx, store.Key{PK: pk, SK: moduleSK(hash)})
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("module %s: %w", hash, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read module manifest: %w", err)
	}
	var m moduleManifest
	if err := json.Unmarshal(it.Data, &m); err != nil {
		return nil, fmt.Errorf("decode module manifest: %w", err)
	}
	buf := make([]byte, 0, m.Size)
	cursor := ""
	for {
		page, err := c.st.Query(ctx, store.Query{PK: pk, SKPrefix: moduleSK(hash) + "#", Limit: 16, Cursor: cursor})
		if err != nil {
			return nil, fmt.Errorf("read module chunks: %w", err)
		}
		for _, ch := range page.Items {
			buf = append(buf, ch.Data...)
		}
		if page.Cursor == "" {
			break
		}
		cursor = page.Cursor
	}
	if int64(len(buf)) != m.Size || ModuleHash(buf) != hash {
		return nil, fmt.Errorf("module %s: %d bytes in %s chunks: %w", hash, len(buf), strconv.Itoa(m.Chunks), ErrModuleCorrupt)
	}
	return buf, nil
}

// loadTransforms fills cfg with the tenant's transforms and the modules
// its wasm transforms run (LoadTenantConfig).
func (c *Catalog) loadTransforms(ctx context.Context, tenant string, cfg *TenantConfig) error {
	ts, err := listAll[model.Transform](ctx, c.st, tenant, pfxTransform)
	if err != nil {
		return err
	}
	cfg.Transforms = ts
	for _, t := range ts {
		if t.Type != model.TransformWasm || t.Module == nil {
			continue
		}
		if _, ok := cfg.Modules[t.Module.Hash]; ok {
			continue
		}
		wasm, err := c.GetModule(ctx, tenant, t.Module.Hash)
		if err != nil {
			return fmt.Errorf("transform %q: %w", t.Slug, err)
		}
		if cfg.Modules == nil {
			cfg.Modules = map[string][]byte{}
		}
		cfg.Modules[t.Module.Hash] = wasm
	}
	return nil
}
