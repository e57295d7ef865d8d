package catalog_test

import (
	"bytes"
	"crypto/rand"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
	"github.com/portico/portico/internal/store/dynamo"
	"github.com/portico/portico/internal/testenv/dynamolocal"
)

// storeFactory opens a fresh store on the clock now.
type storeFactory func(t *testing.T, now func() time.Time) store.Store

// everyStore is the store adapters the sweep runs on, as in the store
// conformance suite: the embedded store and DynamoDB Local.
func everyStore() map[string]storeFactory {
	return map[string]storeFactory{
		"bolt": func(t *testing.T, now func() time.Time) store.Store {
			st, err := bolt.Open(t.Context(), bolt.Config{Path: filepath.Join(t.TempDir(), "catalog.db"), Now: now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			return st
		},
		"dynamodb-local": func(t *testing.T, now func() time.Time) store.Store {
			if testing.Short() {
				t.Skip("starts DynamoDB Local")
			}
			client := dynamolocal.NewClient(dynamolocal.Start(t))
			table := "portico-test-" + rand.Text()
			if err := dynamo.CreateTable(t.Context(), client, table); err != nil {
				t.Fatal(err)
			}
			st, err := dynamo.New(client, dynamo.Config{Table: table, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
	}
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestSweepModules(t *testing.T) {
	for name, open := range everyStore() {
		t.Run(name, func(t *testing.T) { testSweepModules(t, open) })
	}
}

func testSweepModules(t *testing.T, open storeFactory) {
	clk := &clock{t: t0}
	st := open(t, clk.Now)
	c, err := catalog.New(catalog.Config{Store: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	must(t)(c.CreateTenant(ctx, alice, &model.Tenant{ID: "acme", Name: "Acme"}))
	must(t)(c.CreateTenant(ctx, alice, &model.Tenant{ID: "globex", Name: "Globex"}))
	// The catalog stores bytes; validating them is the caller's.
	modA := bytes.Repeat([]byte("a"), 2*catalog.ModuleChunkBytes+10) // three chunks
	modB, modC := []byte("module b"), []byte("module c")
	for _, slug := range []string{"a", "b", "c"} {
		must(t)(c.CreateTransform(ctx, "acme", alice, &model.Transform{Slug: slug, Name: slug, Type: model.TransformWasm}))
	}
	must(t)(c.PutTransformModule(ctx, "acme", alice, "a", 0, modA))
	must(t)(c.PutTransformModule(ctx, "acme", alice, "a", 0, modB)) // modA is no longer used
	must(t)(c.PutTransformModule(ctx, "acme", alice, "b", 0, modB)) // modB is used twice
	must(t)(c.PutTransformModule(ctx, "acme", alice, "c", 0, modC))
	noErr(t, c.DeleteTransform(ctx, "acme", alice, "c", 0)) // modC is no longer used
	// Another tenant's unused module of the same bytes is its own.
	must(t)(c.CreateTransform(ctx, "globex", alice, &model.Transform{Slug: "a", Name: "a", Type: model.TransformWasm}))
	must(t)(c.PutTransformModule(ctx, "globex", alice, "a", 0, modA))
	must(t)(c.PutTransformModule(ctx, "globex", alice, "a", 0, modC))
	hashA, hashB, hashC := catalog.ModuleHash(modA), catalog.ModuleHash(modB), catalog.ModuleHash(modC)

	hashes := func(ms []catalog.StoredModule) []string {
		out := []string{}
		for _, m := range ms {
			out = append(out, m.Hash)
		}
		slices.Sort(out)
		return out
	}
	sorted := func(hs ...string) []string { slices.Sort(hs); return hs }

	mods := must(t)(c.ListModules(ctx, "acme")).([]catalog.StoredModule)
	if got := hashes(mods); !slices.Equal(got, sorted(hashA, hashB, hashC)) {
		t.Fatalf("modules = %v", got)
	}
	for _, m := range mods {
		if m.Hash == hashB && !slices.Equal(m.UsedBy, []string{"a", "b"}) {
			t.Errorf("module b used by %v, want [a b]", m.UsedBy)
		}
		if m.Hash == hashA && (m.Chunks != 3 || m.CreatedAt.IsZero()) {
			t.Errorf("module a: %+v", m)
		}
	}

	tests := []struct {
		name        string
		advance     time.Duration
		dryRun      bool
		wantDeleted []string
		wantStored  []string
	}{
		{"within the grace period", time.Hour, false, nil, sorted(hashA, hashB, hashC)},
		{"dry run", 24 * time.Hour, true, sorted(hashA, hashC), sorted(hashA, hashB, hashC)},
		{"sweep", 0, false, sorted(hashA, hashC), []string{hashB}},
		{"again: nothing left", 0, false, nil, []string{hashB}},
	}
	for _, tt := range tests {
		clk.advance(tt.advance)
		res := must(t)(c.SweepModules(ctx, "acme", bob, 0, tt.dryRun)).(*catalog.ModuleSweep)
		if got := hashes(res.Deleted); !slices.Equal(got, sorted(tt.wantDeleted...)) {
			t.Fatalf("%s: deleted %v, want %v", tt.name, got, tt.wantDeleted)
		}
		if got := hashes(must(t)(c.ListModules(ctx, "acme")).([]catalog.StoredModule)); !slices.Equal(got, tt.wantStored) {
			t.Fatalf("%s: stored %v, want %v", tt.name, got, tt.wantStored)
		}
	}

	// The chunks went with the manifests.
	for _, h := range []string{hashA, hashC} {
		page, err := st.Query(ctx, store.Query{PK: catalog.TenantPK("acme"), SKPrefix: "WASM#" + h})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 0 {
			t.Errorf("module %s: %d items left", h[:8], len(page.Items))
		}
		_, err = c.GetModule(ctx, "acme", h)
		wantIs(t, err, catalog.ErrNotFound)
	}
	if b := must(t)(c.GetModule(ctx, "acme", hashB)).([]byte); !bytes.Equal(b, modB) {
		t.Fatal("the used module changed")
	}
	// Audited, one entry per module.
	n := 0
	for _, a := range auditAll(t, c, "acme") {
		if a.Action == "delete-module" {
			n++
			if a.ResourceType != "module" || a.Actor != bob.Subject || len(a.Before) == 0 {
				t.Errorf("audit entry %+v", a)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d delete-module audit entries, want 2", n)
	}
	// Other tenants are untouched.
	if got := hashes(must(t)(c.ListModules(ctx, "globex")).([]catalog.StoredModule)); !slices.Equal(got, sorted(hashA, hashC)) {
		t.Errorf("globex modules = %v", got)
	}
	// A swept module can be uploaded again.
	must(t)(c.PutTransformModule(ctx, "acme", alice, "a", 0, modA))
	if b := must(t)(c.GetModule(ctx, "acme", hashA)).([]byte); !bytes.Equal(b, modA) {
		t.Fatal("re-uploaded module differs")
	}
}
