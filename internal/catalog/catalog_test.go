package catalog_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/store/bolt"
)

// clock is an injected clock that advances one millisecond per reading, so
// every audit entry has its own instant and tests are deterministic.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// newCatalog returns a catalog on a fresh bolt file.
func newCatalog(t *testing.T) (*catalog.Catalog, *clock) {
	t.Helper()
	clk := &clock{t: t0}
	st, err := bolt.Open(t.Context(), bolt.Config{Path: filepath.Join(t.TempDir(), "catalog.db"), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	c, err := catalog.New(catalog.Config{Store: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return c, clk
}

var (
	alice = catalog.Actor{Subject: "alice@acme.test", Role: "owner", RequestID: "req-alice"}
	bob   = catalog.Actor{Subject: "bob@acme.test", Role: "admin", RequestID: "req-bob"}
)

// fixture is a tenant "acme" with API "orders" (base path /orders), draft
// version v1 and integration "backend".
func fixture(t *testing.T) (*catalog.Catalog, *clock) {
	t.Helper()
	c, clk := newCatalog(t)
	ctx := t.Context()
	must(t)(c.CreateTenant(ctx, alice, &model.Tenant{ID: "acme", Name: "Acme"}))
	must(t)(c.CreateAPI(ctx, "acme", alice, &model.API{Slug: "orders", Name: "Orders", BasePath: "/orders"}))
	must(t)(c.CreateVersion(ctx, "acme", alice, "orders", &model.Version{Name: "v1"}))
	must(t)(c.CreateIntegration(ctx, "acme", alice, backend("backend")))
	return c, clk
}

func backend(slug string) *model.Integration {
	return &model.Integration{Slug: slug, Name: "Backend", Type: model.IntegrationHTTP, URL: "https://backend.example.com"}
}

func endpoint(api, ver, method, path string) *model.Endpoint {
	return &model.Endpoint{API: api, Version: ver, Method: method, Path: path,
		Target: model.Target{Type: model.TargetIntegration, Integration: "backend"}}
}

// must fails the test on a non-nil error and returns the value.
func must(t *testing.T) func(v any, err error) any {
	return func(v any, err error) any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantIs asserts errors.Is(err, target).
func wantIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

// wantConflict asserts a *ConflictError with pointer wrapping target.
func wantConflict(t *testing.T, err error, pointer string, target error) *catalog.ConflictError {
	t.Helper()
	var ce *catalog.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v (%T), want *catalog.ConflictError", err, err)
	}
	if ce.Pointer != pointer {
		t.Errorf("conflict pointer = %q, want %q (%s)", ce.Pointer, pointer, ce.Detail)
	}
	if !errors.Is(err, target) {
		t.Errorf("conflict %v does not wrap %v", err, target)
	}
	if ce.Detail == "" {
		t.Error("conflict without detail")
	}
	return ce
}

// wantProblem asserts a validation problem listing exactly pointers.
func wantProblem(t *testing.T, err error, pointers ...string) {
	t.Helper()
	var p *problem.Problem
	if !errors.As(err, &p) {
		t.Fatalf("err = %v (%T), want *problem.Problem", err, err)
	}
	got := make([]string, len(p.Errors))
	for i, e := range p.Errors {
		got[i] = e.Pointer
	}
	if p.Status != 400 || !slices.Equal(got, pointers) {
		t.Fatalf("problem %d %q, want 400 %q", p.Status, got, pointers)
	}
}

// auditAll returns every audit entry of tenant, newest first.
func auditAll(t *testing.T, c *catalog.Catalog, tenant string) []model.AuditEntry {
	t.Helper()
	var all []model.AuditEntry
	cursor := ""
	for {
		page, next, err := c.ListAudit(t.Context(), tenant, catalog.AuditFilter{Limit: 500, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		cursor = next
	}
}

func configVersion(t *testing.T, c *catalog.Catalog, tenant string) int64 {
	t.Helper()
	v, err := c.ConfigVersion(t.Context(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// state is what a refused change must leave untouched.
type state struct {
	version int64
	audits  int
}

func snapshot(t *testing.T, c *catalog.Catalog, tenant string) state {
	t.Helper()
	return state{version: configVersion(t, c, tenant), audits: len(auditAll(t, c, tenant))}
}

// wantChanges asserts that exactly n changes happened since before: the
// config version moved by n and n audit entries were added.
func wantChanges(t *testing.T, c *catalog.Catalog, tenant string, before state, n int) {
	t.Helper()
	after := snapshot(t, c, tenant)
	if after.version != before.version+int64(n) || after.audits != before.audits+n {
		t.Fatalf("after %d change(s): config version %d -> %d, audit entries %d -> %d", n, before.version, after.version, before.audits, after.audits)
	}
}

// lastAudit returns the newest audit entry and checks its bookkeeping.
func lastAudit(t *testing.T, c *catalog.Catalog, tenant string, actor catalog.Actor, action, resourceType, resource string) model.AuditEntry {
	t.Helper()
	es, _, err := c.ListAudit(t.Context(), tenant, catalog.AuditFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 {
		t.Fatalf("no audit entry")
	}
	a := es[0]
	if a.Action != action || a.ResourceType != resourceType || a.Resource != resource {
		t.Errorf("audit = %s %s %s, want %s %s %s", a.Action, a.ResourceType, a.Resource, action, resourceType, resource)
	}
	if a.Actor != actor.Subject || a.ActorRole != actor.Role || a.RequestID != actor.RequestID {
		t.Errorf("audit actor = %q/%q/%q, want %+v", a.Actor, a.ActorRole, a.RequestID, actor)
	}
	if a.ID == "" || a.Time.IsZero() {
		t.Errorf("audit entry without id or time: %+v", a)
	}
	switch action {
	case "create":
		if a.Before != nil || a.After == nil {
			t.Errorf("create audit: before=%s after=%s", a.Before, a.After)
		}
	case "delete":
		if a.Before == nil || a.After != nil {
			t.Errorf("delete audit: before=%s after=%s", a.Before, a.After)
		}
	default:
		if a.Before == nil || a.After == nil {
			t.Errorf("%s audit: before=%s after=%s", action, a.Before, a.After)
		}
	}
	return a
}

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

func TestNewRequiresStore(t *testing.T) {
	if _, err := catalog.New(catalog.Config{}); err == nil {
		t.Fatal("New without a store succeeded")
	}
}

func TestTenantLifecycle(t *testing.T) {
	c, _ := newCatalog(t)
	ctx := t.Context()

	tn, err := c.CreateTenant(ctx, alice, &model.Tenant{ID: "acme", Name: "Acme", Description: "widgets"})
	noErr(t, err)
	if tn.Revision != 1 || tn.CreatedBy != alice.Subject || tn.CreatedAt.IsZero() || tn.CreatedAt.Location() != time.UTC {
		t.Errorf("created tenant meta = %+v", tn.Meta)
	}
	if v := configVersion(t, c, "acme"); v != 1 {
		t.Errorf("new tenant config version = %d, want 1", v)
	}
	a := lastAudit(t, c, "acme", alice, "create", "tenant", "tenant/acme")
	if got := decode[model.Tenant](t, a.After); got.Name != "Acme" {
		t.Errorf("audit after = %+v", got)
	}

	_, err = c.CreateTenant(ctx, bob, &model.Tenant{ID: "acme", Name: "Other"})
	wantConflict(t, err, "/id", catalog.ErrExists)
	_, err = c.CreateTenant(ctx, alice, &model.Tenant{ID: "Bad_ID", Name: ""})
	wantProblem(t, err, "/id", "/name")

	got, err := c.GetTenant(ctx, "acme")
	noErr(t, err)
	if got.Name != "Acme" || got.Revision != 1 {
		t.Errorf("GetTenant = %+v", got)
	}
	for _, id := range []string{"nope", "", "ACME", "acme#x"} {
		_, err := c.GetTenant(ctx, id)
		wantIs(t, err, catalog.ErrNotFound)
	}

	for _, id := range []string{"beta", "gamma", "delta"} {
		must(t)(c.CreateTenant(ctx, alice, &model.Tenant{ID: id, Name: id}))
	}
	var ids []string
	cursor := ""
	for {
		page, next, err := c.ListTenants(ctx, 2, cursor)
		noErr(t, err)
		if len(page) > 2 {
			t.Fatalf("page of %d tenants with limit 2", len(page))
		}
		for _, tn := range page {
			ids = append(ids, tn.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if want := []string{"acme", "beta", "delta", "gamma"}; !slices.Equal(ids, want) {
		t.Errorf("ListTenants = %q, want %q", ids, want)
	}

	before := snapshot(t, c, "acme")
	up, err := c.UpdateTenant(ctx, bob, "acme", 1, &model.Tenant{ID: "acme", Name: "Acme Inc"})
	noErr(t, err)
	if up.Revision != 2 || up.UpdatedBy != bob.Subject || up.CreatedBy != alice.Subject || !up.UpdatedAt.After(up.CreatedAt) {
		t.Errorf("updated tenant meta = %+v", up.Meta)
	}
	wantChanges(t, c, "acme", before, 1)
	a = lastAudit(t, c, "acme", bob, "update", "tenant", "tenant/acme")
	if decode[model.Tenant](t, a.Before).Name != "Acme" || decode[model.Tenant](t, a.After).Name != "Acme Inc" {
		t.Errorf("audit before/after = %s / %s", a.Before, a.After)
	}
	if got, _ := c.GetTenant(ctx, "acme"); got.Name != "Acme Inc" || got.Revision != 2 {
		t.Errorf("GetTenant after update = %+v", got)
	}
	// The update kept the tenant in the tenant index.
	page, _, err := c.ListTenants(ctx, 10, "")
	noErr(t, err)
	if len(page) != 4 || page[0].Name != "Acme Inc" {
		t.Errorf("ListTenants after update = %+v", page)
	}

	before = snapshot(t, c, "acme")
	_, err = c.UpdateTenant(ctx, bob, "acme", 1, &model.Tenant{ID: "acme", Name: "Stale"})
	wantIs(t, err, catalog.ErrStale)
	_, err = c.UpdateTenant(ctx, bob, "acme", 2, &model.Tenant{ID: "other", Name: "Renamed"})
	wantConflict(t, err, "/id", catalog.ErrExists)
	_, err = c.UpdateTenant(ctx, bob, "acme", 2, &model.Tenant{ID: "acme", Name: ""})
	wantProblem(t, err, "/name")
	_, err = c.UpdateTenant(ctx, bob, "nope", 0, &model.Tenant{ID: "nope", Name: "x"})
	wantIs(t, err, catalog.ErrNotFound)
	wantChanges(t, c, "acme", before, 0)
	if got, _ := c.GetTenant(ctx, "acme"); got.Name != "Acme Inc" {
		t.Errorf("refused updates changed the tenant: %+v", got)
	}

	// Delete is refused while the tenant has an API.
	must(t)(c.CreateAPI(ctx, "acme", alice, &model.API{Slug: "orders", Name: "Orders"}))
	before = snapshot(t, c, "acme")
	err = c.DeleteTenant(ctx, alice, "acme")
	wantConflict(t, err, "", catalog.ErrInUse)
	wantChanges(t, c, "acme", before, 0)
	noErr(t, c.DeleteAPI(ctx, "acme", alice, "orders", 0))

	nAudit := len(auditAll(t, c, "acme"))
	noErr(t, c.DeleteTenant(ctx, alice, "acme"))
	_, err = c.GetTenant(ctx, "acme")
	wantIs(t, err, catalog.ErrNotFound)
	_, err = c.ConfigVersion(ctx, "acme")
	wantIs(t, err, catalog.ErrNotFound)
	wantIs(t, c.DeleteTenant(ctx, alice, "acme"), catalog.ErrNotFound)
	// The audit trail outlives the tenant, ending with its deletion.
	trail := auditAll(t, c, "acme")
	if len(trail) != nAudit+1 || trail[0].Action != "delete" || trail[0].Resource != "tenant/acme" || trail[0].Before == nil {
		t.Errorf("audit after delete: %d entries (want %d), newest %+v", len(trail), nAudit+1, trail[0])
	}
	page, _, err = c.ListTenants(ctx, 10, "")
	noErr(t, err)
	if len(page) != 3 {
		t.Errorf("ListTenants after delete lists %d tenants, want 3", len(page))
	}
	// Writes to a deleted or unknown tenant fail.
	_, err = c.CreateAPI(ctx, "acme", alice, &model.API{Slug: "x", Name: "X"})
	wantIs(t, err, catalog.ErrNotFound)
}

func TestAPICRUD(t *testing.T) {
	c, _ := newCatalog(t)
	ctx := t.Context()
	must(t)(c.CreateTenant(ctx, alice, &model.Tenant{ID: "acme", Name: "Acme"}))

	before := snapshot(t, c, "acme")
	a, err := c.CreateAPI(ctx, "acme", alice, &model.API{Slug: "orders", Name: "Orders", BasePath: "/orders"})
	noErr(t, err)
	if a.Revision != 1 || a.CreatedBy != alice.Subject || a.UpdatedBy != alice.Subject || a.CreatedAt.IsZero() {
		t.Errorf("created API meta = %+v", a.Meta)
	}
	wantChanges(t, c, "acme", before, 1)
	au := lastAudit(t, c, "acme", alice, "create", "api", "api/orders")
	if got := decode[model.API](t, au.After); got.BasePath != "/orders" || got.Revision != 1 {
		t.Errorf("audit after = %+v", got)
	}

	before = snapshot(t, c, "acme")
	_, err = c.CreateAPI(ctx, "acme", alice, &model.API{Slug: "orders", Name: "Again"})
	wantConflict(t, err, "/slug", catalog.ErrExists)
	_, err = c.CreateAPI(ctx, "acme", alice, &model.API{Slug: "x", Name: "X", BasePath: "/x/"})
	wantProblem(t, err, "/basePath")
	wantChanges(t, c, "acme", before, 0)

	got, err := c.GetAPI(ctx, "acme", "orders")
	noErr(t, err)
	if got.Name != "Orders" || got.Revision != 1 {
		t.Errorf("GetAPI = %+v", got)
	}
	_, err = c.GetAPI(ctx, "acme", "nope")
	wantIs(t, err, catalog.ErrNotFound)

	for _, s := range []string{"billing", "users", "catalog"} {
		must(t)(c.CreateAPI(ctx, "acme", alice, &model.API{Slug: s, Name: s, BasePath: "/" + s}))
	}
	var slugs []string
	cursor := ""
	for {
		page, next, err := c.ListAPIs(ctx, "acme", 3, cursor)
		noErr(t, err)
		for _, a := range page {
			slugs = append(slugs, a.Slug)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if want := []string{"billing", "catalog", "orders", "users"}; !slices.Equal(slugs, want) {
		t.Errorf("ListAPIs = %q, want %q", slugs, want)
	}

	before = snapshot(t, c, "acme")
	up, err := c.UpdateAPI(ctx, "acme", bob, "orders", 1, &model.API{Slug: "orders", Name: "Orders v2", BasePath: "/shop/orders"})
	noErr(t, err)
	if up.Revision != 2 || up.UpdatedBy != bob.Subject || up.CreatedBy != alice.Subject || !up.CreatedAt.Equal(a.CreatedAt) || !up.UpdatedAt.After(a.UpdatedAt) {
		t.Errorf("updated API meta = %+v (created %+v)", up.Meta, a.Meta)
	}
	wantChanges(t, c, "acme", before, 1)
	au = lastAudit(t, c, "acme", bob, "update", "api", "api/orders")
	if decode[model.API](t, au.Before).BasePath != "/orders" || decode[model.API](t, au.After).BasePath != "/shop/orders" {
		t.Errorf("audit before/after = %s / %s", au.Before, au.After)
	}
	// expect 0 means unconditional.
	up, err = c.UpdateAPI(ctx, "acme", bob, "orders", 0, &model.API{Slug: "orders", Name: "Orders v3", BasePath: "/shop/orders"})
	noErr(t, err)
	if up.Revision != 3 {
		t.Errorf("unconditional update revision = %d, want 3", up.Revision)
	}

	before = snapshot(t, c, "acme")
	_, err = c.UpdateAPI(ctx, "acme", bob, "orders", 3, &model.API{Slug: "renamed", Name: "x"})
	wantConflict(t, err, "/slug", catalog.ErrExists)
	_, err = c.UpdateAPI(ctx, "acme", bob, "nope", 0, &model.API{Slug: "nope", Name: "x"})
	wantIs(t, err, catalog.ErrNotFound)
	_, err = c.UpdateAPI(ctx, "acme", bob, "orders", 3, &model.API{Slug: "orders", Name: ""})
	wantProblem(t, err, "/name")
	wantChanges(t, c, "acme", before, 0)

	// An API with versions cannot be deleted.
	must(t)(c.CreateVersion(ctx, "acme", alice, "orders", &model.Version{Name: "v1"}))
	before = snapshot(t, c, "acme")
	wantConflict(t, c.DeleteAPI(ctx, "acme", alice, "orders", 0), "", catalog.ErrInUse)
	wantIs(t, c.DeleteAPI(ctx, "acme", alice, "nope", 0), catalog.ErrNotFound)
	wantChanges(t, c, "acme", before, 0)
	noErr(t, c.DeleteVersion(ctx, "acme", alice, "orders", "v1", 0))

	before = snapshot(t, c, "acme")
	noErr(t, c.DeleteAPI(ctx, "acme", bob, "orders", 3))
	wantChanges(t, c, "acme", before, 1)
	au = lastAudit(t, c, "acme", bob, "delete", "api", "api/orders")
	if decode[model.API](t, au.Before).Name != "Orders v3" {
		t.Errorf("delete audit before = %s", au.Before)
	}
	_, err = c.GetAPI(ctx, "acme", "orders")
	wantIs(t, err, catalog.ErrNotFound)
	// The slug can be reused.
	a, err = c.CreateAPI(ctx, "acme", alice, &model.API{Slug: "orders", Name: "Orders again"})
	noErr(t, err)
	if a.Revision != 1 {
		t.Errorf("recreated API revision = %d", a.Revision)
	}
}

// TestStaleRevision checks every If-Match write: a stale expected revision
// returns ErrStale and changes nothing (item, audit trail, config version).
func TestStaleRevision(t *testing.T) {
	ctx := context.Background()
	type tc struct {
		name  string
		write func(c *catalog.Catalog, expect int64) error
		read  func(c *catalog.Catalog) (any, error)
		// final is what the write returns with the right revision.
		final error
	}
	// ep returns a copy of the fixture's endpoint as it is now, or as it
	// was last seen once deleted.
	seen := map[*catalog.Catalog]model.Endpoint{}
	ep := func(c *catalog.Catalog) *model.Endpoint {
		if eps, err := c.ListEndpoints(ctx, "acme", "orders", "v1"); err == nil && len(eps) == 1 {
			seen[c] = eps[0]
		}
		e := seen[c]
		return &e
	}
	tests := []tc{
		{"update tenant", func(c *catalog.Catalog, e int64) error {
			_, err := c.UpdateTenant(ctx, bob, "acme", e, &model.Tenant{ID: "acme", Name: "X"})
			return err
		}, func(c *catalog.Catalog) (any, error) { return c.GetTenant(ctx, "acme") }, nil},
		{"update api", func(c *catalog.Catalog, e int64) error {
			_, err := c.UpdateAPI(ctx, "acme", bob, "orders", e, &model.API{Slug: "orders", Name: "X", BasePath: "/x"})
			return err
		}, func(c *catalog.Catalog) (any, error) { return c.GetAPI(ctx, "acme", "orders") }, nil},
		{"delete api", func(c *catalog.Catalog, e int64) error {
			return c.DeleteAPI(ctx, "acme", bob, "orders", e)
		}, func(c *catalog.Catalog) (any, error) { return c.GetAPI(ctx, "acme", "orders") }, catalog.ErrInUse},
		{"update version", func(c *catalog.Catalog, e int64) error {
			_, err := c.UpdateVersion(ctx, "acme", bob, "orders", "v1", e, "update", func(v *model.Version) error { v.Description = "x"; return nil })
			return err
		}, func(c *catalog.Catalog) (any, error) { return c.GetVersion(ctx, "acme", "orders", "v1") }, nil},
		{"delete version", func(c *catalog.Catalog, e int64) error {
			return c.DeleteVersion(ctx, "acme", bob, "orders", "v1", e)
		}, func(c *catalog.Catalog) (any, error) { return c.GetVersion(ctx, "acme", "orders", "v1") }, catalog.ErrInUse},
		{"update endpoint", func(c *catalog.Catalog, e int64) error {
			x := ep(c)
			x.Path = "/changed"
			_, err := c.UpdateEndpoint(ctx, "acme", bob, e, x)
			return err
		}, func(c *catalog.Catalog) (any, error) { return ep(c), nil }, nil},
		{"delete endpoint", func(c *catalog.Catalog, e int64) error {
			x := ep(c)
			return c.DeleteEndpoint(ctx, "acme", bob, x.API, x.Version, x.ID, e)
		}, func(c *catalog.Catalog) (any, error) { return ep(c), nil }, nil},
		{"update integration", func(c *catalog.Catalog, e int64) error {
			in := backend("spare")
			in.TimeoutMs = 99
			_, err := c.UpdateIntegration(ctx, "acme", bob, "spare", e, in)
			return err
		}, func(c *catalog.Catalog) (any, error) { return c.GetIntegration(ctx, "acme", "spare") }, nil},
		{"delete integration", func(c *catalog.Catalog, e int64) error {
			return c.DeleteIntegration(ctx, "acme", bob, "spare", e)
		}, func(c *catalog.Catalog) (any, error) { return c.GetIntegration(ctx, "acme", "spare") }, nil},
		{"update consumer", func(c *catalog.Catalog, e int64) error {
			_, err := c.UpdateConsumer(ctx, "acme", bob, "app", e, &model.Consumer{Slug: "app", Name: "X"})
			return err
		}, func(c *catalog.Catalog) (any, error) { return c.GetConsumer(ctx, "acme", "app") }, nil},
		{"delete consumer", func(c *catalog.Catalog, e int64) error {
			return c.DeleteConsumer(ctx, "acme", bob, "app", e)
		}, func(c *catalog.Catalog) (any, error) { return c.GetConsumer(ctx, "acme", "app") }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := fixture(t)
			must(t)(c.CreateEndpoint(ctx, "acme", alice, endpoint("orders", "v1", "GET", "/")))
			must(t)(c.CreateIntegration(ctx, "acme", alice, backend("spare")))
			must(t)(c.CreateConsumer(ctx, "acme", alice, &model.Consumer{Slug: "app", Name: "App"}))
			// Every resource is at revision 1.
			itemBefore, err := tt.read(c)
			noErr(t, err)
			before := snapshot(t, c, "acme")
			for _, stale := range []int64{2, 7} {
				wantIs(t, tt.write(c, stale), catalog.ErrStale)
			}
			wantChanges(t, c, "acme", before, 0)
			itemAfter, err := tt.read(c)
			noErr(t, err)
			if b, a := rawJSONOf(itemBefore), rawJSONOf(itemAfter); b != a {
				t.Errorf("stale write changed the item:\n%s\n%s", b, a)
			}
			// The right revision gets past the revision check.
			if tt.final != nil {
				wantIs(t, tt.write(c, 1), tt.final)
				wantChanges(t, c, "acme", before, 0)
				return
			}
			noErr(t, tt.write(c, 1))
			wantChanges(t, c, "acme", before, 1)
			// Now revision 1 is stale too.
			before = snapshot(t, c, "acme")
			if err := tt.write(c, 1); !errors.Is(err, catalog.ErrStale) && !errors.Is(err, catalog.ErrNotFound) {
				t.Fatalf("replayed write: %v, want ErrStale (or ErrNotFound after a delete)", err)
			}
			wantChanges(t, c, "acme", before, 0)
		})
	}
}

func rawJSONOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestConfigVersionPerChange runs a sequence of every kind of change and
// checks that each bumps the config version by exactly one and adds exactly
// one audit entry for the right resource, actor and request id.
func TestConfigVersionPerChange(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()
	var epID string
	steps := []struct {
		name, action, typ, resource string
		do                          func() error
	}{
		{"create api", "create", "api", "api/billing", func() error {
			_, err := c.CreateAPI(ctx, "acme", bob, &model.API{Slug: "billing", Name: "Billing", BasePath: "/billing"})
			return err
		}},
		{"update api", "update", "api", "api/billing", func() error {
			_, err := c.UpdateAPI(ctx, "acme", bob, "billing", 1, &model.API{Slug: "billing", Name: "Billing", BasePath: "/bills"})
			return err
		}},
		{"create version", "create", "version", "api/billing/version/v1", func() error {
			_, err := c.CreateVersion(ctx, "acme", bob, "billing", &model.Version{Name: "v1"})
			return err
		}},
		{"create endpoint", "create", "endpoint", "", func() error {
			ep, err := c.CreateEndpoint(ctx, "acme", bob, endpoint("billing", "v1", "GET", "/invoices"))
			if err == nil {
				epID = ep.ID
			}
			return err
		}},
		{"update endpoint", "update", "endpoint", "", func() error {
			ep, err := c.GetEndpoint(ctx, "acme", "billing", "v1", epID)
			if err != nil {
				return err
			}
			ep.Summary = "List invoices"
			_, err = c.UpdateEndpoint(ctx, "acme", bob, ep.Revision, ep)
			return err
		}},
		{"publish version", "publish", "version", "api/billing/version/v1", func() error {
			_, err := c.UpdateVersion(ctx, "acme", bob, "billing", "v1", 1, "publish", func(v *model.Version) error { v.Status = model.StatusPublished; return nil })
			return err
		}},
		{"create integration", "create", "integration", "integration/payments", func() error {
			_, err := c.CreateIntegration(ctx, "acme", bob, backend("payments"))
			return err
		}},
		{"update integration", "update", "integration", "integration/payments", func() error {
			_, err := c.UpdateIntegration(ctx, "acme", bob, "payments", 1, &model.Integration{Slug: "payments", Name: "P", Type: model.IntegrationHTTP, URL: "https://pay.example.com"})
			return err
		}},
		{"delete integration", "delete", "integration", "integration/payments", func() error {
			return c.DeleteIntegration(ctx, "acme", bob, "payments", 2)
		}},
		{"create consumer", "create", "consumer", "consumer/app", func() error {
			_, err := c.CreateConsumer(ctx, "acme", bob, &model.Consumer{Slug: "app", Name: "App"})
			return err
		}},
		{"update consumer", "update", "consumer", "consumer/app", func() error {
			_, err := c.UpdateConsumer(ctx, "acme", bob, "app", 1, &model.Consumer{Slug: "app", Name: "App 2"})
			return err
		}},
		{"delete consumer", "delete", "consumer", "consumer/app", func() error {
			return c.DeleteConsumer(ctx, "acme", bob, "app", 0)
		}},
		{"add member", "create", "member", "member/carol@acme.test", func() error {
			_, err := c.PutMember(ctx, "acme", bob, &model.Member{Email: "carol@acme.test", Role: "viewer"})
			return err
		}},
		{"change member role", "update", "member", "member/carol@acme.test", func() error {
			_, err := c.PutMember(ctx, "acme", bob, &model.Member{Email: "carol@acme.test", Role: "admin"})
			return err
		}},
		{"remove member", "delete", "member", "member/carol@acme.test", func() error {
			return c.DeleteMember(ctx, "acme", bob, "carol@acme.test")
		}},
		{"update tenant", "update", "tenant", "tenant/acme", func() error {
			_, err := c.UpdateTenant(ctx, bob, "acme", 0, &model.Tenant{ID: "acme", Name: "Acme 2"})
			return err
		}},
		{"delete endpoint", "delete", "endpoint", "", func() error {
			return c.DeleteEndpoint(ctx, "acme", bob, "billing", "v1", epID, 0)
		}},
	}
	for _, s := range steps {
		before := snapshot(t, c, "acme")
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		wantChanges(t, c, "acme", before, 1)
		res := s.resource
		if res == "" {
			res = "api/billing/version/v1/endpoint/" + epID
		}
		lastAudit(t, c, "acme", bob, s.action, s.typ, res)
	}
}

func TestConsumerCRUD(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()
	con, err := c.CreateConsumer(ctx, "acme", alice, &model.Consumer{Slug: "app", Name: "App", Metadata: map[string]string{"team": "m"}})
	noErr(t, err)
	if con.Revision != 1 {
		t.Errorf("revision %d", con.Revision)
	}
	_, err = c.CreateConsumer(ctx, "acme", alice, &model.Consumer{Slug: "app", Name: "App"})
	wantConflict(t, err, "/slug", catalog.ErrExists)
	_, err = c.CreateConsumer(ctx, "acme", alice, &model.Consumer{Slug: "", Name: ""})
	wantProblem(t, err, "/slug", "/name")
	got, err := c.GetConsumer(ctx, "acme", "app")
	noErr(t, err)
	if got.Metadata["team"] != "m" {
		t.Errorf("GetConsumer = %+v", got)
	}
	list, next, err := c.ListConsumers(ctx, "acme", 10, "")
	noErr(t, err)
	if len(list) != 1 || next != "" {
		t.Errorf("ListConsumers = %+v %q", list, next)
	}
	up, err := c.UpdateConsumer(ctx, "acme", alice, "app", 1, &model.Consumer{Slug: "app", Name: "App 2"})
	noErr(t, err)
	if up.Revision != 2 || up.Metadata != nil {
		t.Errorf("UpdateConsumer replaced to %+v", up)
	}
	noErr(t, c.DeleteConsumer(ctx, "acme", alice, "app", 2))
	_, err = c.GetConsumer(ctx, "acme", "app")
	wantIs(t, err, catalog.ErrNotFound)
	wantIs(t, c.DeleteConsumer(ctx, "acme", alice, "app", 0), catalog.ErrNotFound)
}

func TestPutMember(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()

	m, err := c.PutMember(ctx, "acme", alice, &model.Member{Email: "carol@acme.test", Role: "viewer"})
	noErr(t, err)
	if m.Revision != 1 || m.CreatedBy != alice.Subject {
		t.Errorf("new member = %+v", m)
	}
	lastAudit(t, c, "acme", alice, "create", "member", "member/carol@acme.test")

	before := snapshot(t, c, "acme")
	m, err = c.PutMember(ctx, "acme", bob, &model.Member{Email: "carol@acme.test", Role: "admin"})
	noErr(t, err)
	if m.Revision != 2 || m.Role != "admin" || m.CreatedBy != alice.Subject || m.UpdatedBy != bob.Subject {
		t.Errorf("upserted member = %+v", m)
	}
	wantChanges(t, c, "acme", before, 1)
	a := lastAudit(t, c, "acme", bob, "update", "member", "member/carol@acme.test")
	if decode[model.Member](t, a.Before).Role != "viewer" || decode[model.Member](t, a.After).Role != "admin" {
		t.Errorf("member audit %s -> %s", a.Before, a.After)
	}

	// Emails are case-insensitive: the same member, whatever the case.
	m, err = c.PutMember(ctx, "acme", bob, &model.Member{Email: "Carol@ACME.test", Role: "developer"})
	noErr(t, err)
	if m.Revision != 3 {
		t.Errorf("mixed-case upsert revision = %d, want 3 (same member)", m.Revision)
	}
	must(t)(c.PutMember(ctx, "acme", alice, &model.Member{Email: "dave@acme.test", Role: "owner"}))
	ms, err := c.ListMembers(ctx, "acme")
	noErr(t, err)
	if len(ms) != 2 || ms[0].Role != "developer" || ms[1].Email != "dave@acme.test" {
		t.Errorf("ListMembers = %+v", ms)
	}

	before = snapshot(t, c, "acme")
	_, err = c.PutMember(ctx, "acme", alice, &model.Member{Email: "not-an-email", Role: "god"})
	wantProblem(t, err, "/email", "/role")
	wantChanges(t, c, "acme", before, 0)

	noErr(t, c.DeleteMember(ctx, "acme", alice, "Carol@Acme.Test"))
	wantIs(t, c.DeleteMember(ctx, "acme", alice, "carol@acme.test"), catalog.ErrNotFound)
	ms, err = c.ListMembers(ctx, "acme")
	noErr(t, err)
	if len(ms) != 1 || ms[0].Email != "dave@acme.test" {
		t.Errorf("ListMembers after delete = %+v", ms)
	}
}

func TestLoadTenantConfig(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()
	ep := must(t)(c.CreateEndpoint(ctx, "acme", alice, endpoint("orders", "v1", "GET", "/{id}"))).(*model.Endpoint)
	must(t)(c.UpdateVersion(ctx, "acme", alice, "orders", "v1", 0, "publish", func(v *model.Version) error { v.Status = model.StatusPublished; return nil }))
	must(t)(c.CreateAPI(ctx, "acme", alice, &model.API{Slug: "billing", Name: "Billing", BasePath: "/billing"}))
	must(t)(c.CreateVersion(ctx, "acme", alice, "billing", &model.Version{Name: "v2"}))
	must(t)(c.CreateIntegration(ctx, "acme", alice, backend("spare")))
	must(t)(c.CreateConsumer(ctx, "acme", alice, &model.Consumer{Slug: "app", Name: "App"}))
	must(t)(c.PutMember(ctx, "acme", alice, &model.Member{Email: "x@acme.test", Role: "viewer"}))

	cfg, err := c.LoadTenantConfig(ctx, "acme")
	noErr(t, err)
	if cfg.Version != configVersion(t, c, "acme") {
		t.Errorf("config version %d, want %d", cfg.Version, configVersion(t, c, "acme"))
	}
	if cfg.Tenant.ID != "acme" || cfg.Tenant.Name != "Acme" {
		t.Errorf("tenant = %+v", cfg.Tenant)
	}
	slugs := func(n int, f func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	if got := slugs(len(cfg.APIs), func(i int) string { return cfg.APIs[i].Slug }); !slices.Equal(got, []string{"billing", "orders"}) {
		t.Errorf("APIs = %q", got)
	}
	if got := slugs(len(cfg.Versions), func(i int) string {
		return cfg.Versions[i].API + "/" + cfg.Versions[i].Name + "/" + string(cfg.Versions[i].Status)
	}); !slices.Equal(got, []string{"billing/v2/draft", "orders/v1/published"}) {
		t.Errorf("Versions = %q", got)
	}
	if len(cfg.Endpoints) != 1 || cfg.Endpoints[0].ID != ep.ID || cfg.Endpoints[0].Path != "/{id}" {
		t.Errorf("Endpoints = %+v", cfg.Endpoints)
	}
	if got := slugs(len(cfg.Integrations), func(i int) string { return cfg.Integrations[i].Slug }); !slices.Equal(got, []string{"backend", "spare"}) {
		t.Errorf("Integrations = %q", got)
	}

	_, err = c.LoadTenantConfig(ctx, "nope")
	wantIs(t, err, catalog.ErrNotFound)
}

func TestRouteTemplate(t *testing.T) {
	for _, tt := range []struct{ ver, base, path, want string }{
		{"v1", "/orders", "/{id}", "/v1/orders/{id}"},
		{"v1", "/orders", "/", "/v1/orders"},
		{"v1", "", "/", "/v1"},
		{"v2", "", "/items", "/v2/items"},
	} {
		if got := catalog.RouteTemplate(tt.ver, tt.base, tt.path); got != tt.want {
			t.Errorf("RouteTemplate(%q, %q, %q) = %q, want %q", tt.ver, tt.base, tt.path, got, tt.want)
		}
	}
}
