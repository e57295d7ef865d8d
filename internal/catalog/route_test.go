package catalog_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
)

func TestCreateEndpointReferences(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()
	before := snapshot(t, c, "acme")

	_, err := c.CreateEndpoint(ctx, "acme", alice, endpoint("nope", "v1", "GET", "/x"))
	wantIs(t, err, catalog.ErrNotFound)
	_, err = c.CreateEndpoint(ctx, "acme", alice, endpoint("orders", "v9", "GET", "/x"))
	wantIs(t, err, catalog.ErrNotFound)
	_, err = c.CreateEndpoint(ctx, "nope", alice, endpoint("orders", "v1", "GET", "/x"))
	wantIs(t, err, catalog.ErrNotFound)

	ep := endpoint("orders", "v1", "GET", "/x")
	ep.Target.Integration = "missing"
	_, err = c.CreateEndpoint(ctx, "acme", alice, ep)
	wantProblem(t, err, "/target/integration")

	ep = endpoint("orders", "v1", "GET", "/x")
	ep.Target = model.Target{Type: model.TargetWorkflow, Workflow: "checkout"}
	_, err = c.CreateEndpoint(ctx, "acme", alice, ep)
	wantProblem(t, err, "/target/workflow")

	_, err = c.CreateEndpoint(ctx, "acme", alice, endpoint("orders", "v1", "FETCH", "/x/"))
	wantProblem(t, err, "/method", "/path")

	wantChanges(t, c, "acme", before, 0)
	if eps, _ := c.ListEndpoints(ctx, "acme", "orders", "v1"); len(eps) != 0 {
		t.Errorf("refused creates stored %d endpoints", len(eps))
	}
	_, err = c.ListEndpoints(ctx, "acme", "orders", "v9")
	wantIs(t, err, catalog.ErrNotFound)

	got, err := c.CreateEndpoint(ctx, "acme", alice, endpoint("orders", "v1", "GET", "/x"))
	noErr(t, err)
	if got.ID == "" || got.Revision != 1 || got.CreatedBy != alice.Subject {
		t.Errorf("created endpoint = %+v", got)
	}
	// The caller's id is ignored: ids are generated.
	ep = endpoint("orders", "v1", "POST", "/x")
	ep.ID = "mine"
	got2, err := c.CreateEndpoint(ctx, "acme", alice, ep)
	noErr(t, err)
	if got2.ID == "mine" || got2.ID == got.ID {
		t.Errorf("endpoint id %q not generated", got2.ID)
	}
	stored, err := c.GetEndpoint(ctx, "acme", "orders", "v1", got.ID)
	noErr(t, err)
	if stored.Path != "/x" || stored.Method != "GET" {
		t.Errorf("GetEndpoint = %+v", stored)
	}
}

// TestRouteConflicts checks that routes are compared on method and the
// shape of /{version}{basePath}{path}.
func TestRouteConflicts(t *testing.T) {
	type route struct{ api, ver, method, path string }
	tests := []struct {
		name     string
		existing route
		add      route
		conflict bool
	}{
		{"same route", route{"orders", "v1", "GET", "/{id}"}, route{"orders", "v1", "GET", "/{id}"}, true},
		{"param names differ", route{"orders", "v1", "GET", "/{id}"}, route{"orders", "v1", "GET", "/{orderId}"}, true},
		{"literal case differs", route{"orders", "v1", "GET", "/Items"}, route{"orders", "v1", "GET", "/items"}, true},
		{"ANY then GET", route{"orders", "v1", "ANY", "/{id}"}, route{"orders", "v1", "GET", "/{id}"}, true},
		{"GET then ANY", route{"orders", "v1", "GET", "/{id}"}, route{"orders", "v1", "ANY", "/{id}"}, true},
		{"ANY twice", route{"orders", "v1", "ANY", "/"}, route{"orders", "v1", "ANY", "/"}, true},
		{"greedy twice", route{"orders", "v1", "GET", "/{a+}"}, route{"orders", "v1", "GET", "/{b+}"}, true},
		{"across APIs: /shop + /orders/{id} vs /shop/orders + /{id}", route{"shop", "v1", "GET", "/orders/{id}"}, route{"shoporders", "v1", "GET", "/{id}"}, true},
		{"across APIs, reversed", route{"shoporders", "v1", "GET", "/{id}"}, route{"shop", "v1", "GET", "/orders/{id}"}, true},
		{"root path vs base path", route{"shop", "v1", "GET", "/orders"}, route{"shoporders", "v1", "GET", "/"}, true},

		{"different methods", route{"orders", "v1", "GET", "/{id}"}, route{"orders", "v1", "POST", "/{id}"}, false},
		{"different versions", route{"orders", "v1", "GET", "/{id}"}, route{"orders", "v2", "GET", "/{id}"}, false},
		{"ANY in another version", route{"orders", "v1", "ANY", "/{id}"}, route{"orders", "v2", "GET", "/{id}"}, false},
		{"literal vs param", route{"orders", "v1", "GET", "/{id}"}, route{"orders", "v1", "GET", "/new"}, false},
		{"param vs greedy", route{"orders", "v1", "GET", "/{id}"}, route{"orders", "v1", "GET", "/{rest+}"}, false},
		{"different depth", route{"orders", "v1", "GET", "/{id}"}, route{"orders", "v1", "GET", "/{id}/items"}, false},
		{"different base paths", route{"orders", "v1", "GET", "/{id}"}, route{"shop", "v1", "GET", "/{id}"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := fixture(t)
			ctx := t.Context()
			must(t)(c.CreateVersion(ctx, "acme", alice, "orders", &model.Version{Name: "v2"}))
			for slug, base := range map[string]string{"shop": "/shop", "shoporders": "/shop/orders"} {
				must(t)(c.CreateAPI(ctx, "acme", alice, &model.API{Slug: slug, Name: slug, BasePath: base}))
				must(t)(c.CreateVersion(ctx, "acme", alice, slug, &model.Version{Name: "v1"}))
			}
			e := tt.existing
			first := must(t)(c.CreateEndpoint(ctx, "acme", alice, endpoint(e.api, e.ver, e.method, e.path))).(*model.Endpoint)
			before := snapshot(t, c, "acme")
			a := tt.add
			_, err := c.CreateEndpoint(ctx, "acme", bob, endpoint(a.api, a.ver, a.method, a.path))
			if !tt.conflict {
				noErr(t, err)
				wantChanges(t, c, "acme", before, 1)
				return
			}
			wantConflict(t, err, "/path", catalog.ErrExists)
			wantChanges(t, c, "acme", before, 0)

			// Moving a second endpoint onto the route is refused too.
			other := must(t)(c.CreateEndpoint(ctx, "acme", bob, endpoint(a.api, a.ver, "PATCH", "/elsewhere/{x}"))).(*model.Endpoint)
			before = snapshot(t, c, "acme")
			moved := *other
			moved.Method, moved.Path = a.method, a.path
			_, err = c.UpdateEndpoint(ctx, "acme", bob, other.Revision, &moved)
			wantConflict(t, err, "/path", catalog.ErrExists)
			wantChanges(t, c, "acme", before, 0)

			// An endpoint never conflicts with itself.
			self := *first
			self.Summary = "unchanged route"
			_, err = c.UpdateEndpoint(ctx, "acme", bob, first.Revision, &self)
			noErr(t, err)
		})
	}
}

// TestBasePathConflict changes an API's base path so that its routes
// collide with another API's, in both slug orders.
func TestBasePathConflict(t *testing.T) {
	for _, tt := range []struct{ changed, other string }{
		{"alpha", "zulu"}, // the changed API's endpoints are listed first
		{"zulu", "alpha"}, // ... and last
	} {
		t.Run(tt.changed+" moves onto "+tt.other, func(t *testing.T) {
			c, _ := fixture(t)
			ctx := t.Context()
			for slug, base := range map[string]string{tt.changed: "/old", tt.other: "/shop"} {
				must(t)(c.CreateAPI(ctx, "acme", alice, &model.API{Slug: slug, Name: slug, BasePath: base}))
				must(t)(c.CreateVersion(ctx, "acme", alice, slug, &model.Version{Name: "v1"}))
			}
			must(t)(c.CreateEndpoint(ctx, "acme", alice, endpoint(tt.other, "v1", "GET", "/orders/{id}")))
			must(t)(c.CreateEndpoint(ctx, "acme", alice, endpoint(tt.changed, "v1", "GET", "/{orderId}")))

			before := snapshot(t, c, "acme")
			_, err := c.UpdateAPI(ctx, "acme", bob, tt.changed, 1, &model.API{Slug: tt.changed, Name: "x", BasePath: "/shop/orders"})
			wantConflict(t, err, "/basePath", catalog.ErrExists)
			wantChanges(t, c, "acme", before, 0)
			if a, _ := c.GetAPI(ctx, "acme", tt.changed); a.BasePath != "/old" || a.Revision != 1 {
				t.Errorf("refused base path change stored %+v", a)
			}

			// A base path that keeps routes apart is accepted, and so is
			// the colliding one for another method.
			_, err = c.UpdateAPI(ctx, "acme", bob, tt.changed, 1, &model.API{Slug: tt.changed, Name: "x", BasePath: "/shop/orders/archive"})
			noErr(t, err)
			_, err = c.UpdateAPI(ctx, "acme", bob, tt.changed, 2, &model.API{Slug: tt.changed, Name: "renamed only", BasePath: "/shop/orders/archive"})
			noErr(t, err)
		})
	}
}

// TestConcurrentCreateSameRoute races 20 creates of the same route: exactly
// one wins, the others get a ConflictError, and one endpoint is stored.
func TestConcurrentCreateSameRoute(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()
	before := snapshot(t, c, "acme")
	const n = 20
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			ep := endpoint("orders", "v1", "GET", "/items/{id}")
			if i%2 == 1 {
				ep.Path = "/items/{itemId}" // same shape
			}
			_, errs[i] = c.CreateEndpoint(ctx, "acme", catalog.Actor{Subject: fmt.Sprintf("user%d", i)}, ep)
		})
	}
	close(start)
	wg.Wait()

	wins := 0
	for i, err := range errs {
		var ce *catalog.ConflictError
		switch {
		case err == nil:
			wins++
		case errors.As(err, &ce) && ce.Pointer == "/path" && errors.Is(err, catalog.ErrExists):
		default:
			t.Errorf("goroutine %d: %v, want nil or a route ConflictError", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d creates succeeded, want 1", wins)
	}
	eps, err := c.ListEndpoints(ctx, "acme", "orders", "v1")
	noErr(t, err)
	if len(eps) != 1 {
		t.Errorf("%d endpoints stored, want 1", len(eps))
	}
	wantChanges(t, c, "acme", before, 1)
}

// TestConcurrentUpdateSameRevision races 20 updates with the same expected
// revision: exactly one wins, the others get ErrStale.
func TestConcurrentUpdateSameRevision(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()
	before := snapshot(t, c, "acme")
	const n = 20
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = c.UpdateAPI(ctx, "acme", bob, "orders", 1, &model.API{Slug: "orders", Name: fmt.Sprintf("Orders %d", i), BasePath: "/orders"})
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("goroutines %d and %d both won", winner, i)
			}
			winner = i
		case !errors.Is(err, catalog.ErrStale):
			t.Errorf("goroutine %d: %v, want ErrStale", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no update succeeded")
	}
	a, err := c.GetAPI(ctx, "acme", "orders")
	noErr(t, err)
	if a.Revision != 2 || a.Name != fmt.Sprintf("Orders %d", winner) {
		t.Errorf("stored %q rev %d, want the winner's (%d) at rev 2", a.Name, a.Revision, winner)
	}
	wantChanges(t, c, "acme", before, 1)
}

// TestConcurrentDeleteIntegrationVsCreateEndpoint races an endpoint using an
// integration against the integration's deletion: never both.
func TestConcurrentDeleteIntegrationVsCreateEndpoint(t *testing.T) {
	for round := range 10 {
		c, _ := fixture(t)
		ctx := t.Context()
		start := make(chan struct{})
		var createErr, deleteErr error
		var wg sync.WaitGroup
		wg.Go(func() {
			<-start
			_, createErr = c.CreateEndpoint(ctx, "acme", alice, endpoint("orders", "v1", "GET", "/"))
		})
		wg.Go(func() {
			<-start
			deleteErr = c.DeleteIntegration(ctx, "acme", bob, "backend", 0)
		})
		close(start)
		wg.Wait()
		if (createErr == nil) == (deleteErr == nil) {
			t.Fatalf("round %d: create err %v, delete err %v: want exactly one to succeed", round, createErr, deleteErr)
		}
		if deleteErr != nil {
			wantIs(t, deleteErr, catalog.ErrInUse)
		} else {
			wantProblem(t, createErr, "/target/integration")
		}
	}
}

func TestIntegrationInUse(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()
	in, err := c.GetIntegration(ctx, "acme", "backend")
	noErr(t, err)
	if in.Revision != 1 {
		t.Errorf("integration revision %d", in.Revision)
	}
	_, err = c.CreateIntegration(ctx, "acme", alice, backend("backend"))
	wantConflict(t, err, "/slug", catalog.ErrExists)
	bad := backend("bad")
	bad.URL = "https://u:p@h.example.com"
	_, err = c.CreateIntegration(ctx, "acme", alice, bad)
	wantProblem(t, err, "/url")

	ep := must(t)(c.CreateEndpoint(ctx, "acme", alice, endpoint("orders", "v1", "GET", "/"))).(*model.Endpoint)
	must(t)(c.CreateIntegration(ctx, "acme", alice, backend("unused")))

	before := snapshot(t, c, "acme")
	wantConflict(t, c.DeleteIntegration(ctx, "acme", alice, "backend", 0), "", catalog.ErrInUse)
	wantChanges(t, c, "acme", before, 0)
	if _, err := c.GetIntegration(ctx, "acme", "backend"); err != nil {
		t.Fatalf("integration in use was deleted: %v", err)
	}
	// Updating it is fine; endpoints see the change.
	in.TimeoutMs = 1000
	_, err = c.UpdateIntegration(ctx, "acme", alice, "backend", 1, in)
	noErr(t, err)

	noErr(t, c.DeleteIntegration(ctx, "acme", alice, "unused", 1))

	// Re-pointing the endpoint frees the integration.
	must(t)(c.CreateIntegration(ctx, "acme", alice, backend("next")))
	ep.Target.Integration = "next"
	_, err = c.UpdateEndpoint(ctx, "acme", alice, 1, ep)
	noErr(t, err)
	noErr(t, c.DeleteIntegration(ctx, "acme", bob, "backend", 2))
	lastAudit(t, c, "acme", bob, "delete", "integration", "integration/backend")
	wantConflict(t, c.DeleteIntegration(ctx, "acme", alice, "next", 0), "", catalog.ErrInUse)

	list, _, err := c.ListIntegrations(ctx, "acme", 10, "")
	noErr(t, err)
	if len(list) != 1 || list[0].Slug != "next" {
		t.Errorf("ListIntegrations = %+v", list)
	}
}

func TestVersionLifecycle(t *testing.T) {
	c, clk := fixture(t)
	ctx := t.Context()
	status := func(s model.VersionStatus) func(*model.Version) error {
		return func(v *model.Version) error { v.Status = s; return nil }
	}

	v, err := c.GetVersion(ctx, "acme", "orders", "v1")
	noErr(t, err)
	if v.Status != model.StatusDraft || v.API != "orders" || v.PublishedAt != nil || v.Revision != 1 {
		t.Errorf("new version = %+v", v)
	}

	before := snapshot(t, c, "acme")
	_, err = c.CreateVersion(ctx, "acme", alice, "orders", &model.Version{Name: "v1"})
	wantConflict(t, err, "/name", catalog.ErrExists)
	_, err = c.CreateVersion(ctx, "acme", alice, "orders", &model.Version{Name: "v2", Status: model.StatusPublished})
	wantProblem(t, err, "/status")
	_, err = c.CreateVersion(ctx, "acme", alice, "orders", &model.Version{Name: "2"})
	wantProblem(t, err, "/name")
	_, err = c.CreateVersion(ctx, "acme", alice, "nope", &model.Version{Name: "v1"})
	wantIs(t, err, catalog.ErrNotFound)

	// Publishing needs an endpoint.
	_, err = c.UpdateVersion(ctx, "acme", alice, "orders", "v1", 1, "publish", status(model.StatusPublished))
	wantConflict(t, err, "/status", catalog.ErrInUse)
	// A draft can only be published.
	for _, s := range []model.VersionStatus{model.StatusDeprecated, model.StatusRetired} {
		_, err = c.UpdateVersion(ctx, "acme", alice, "orders", "v1", 1, "transition", status(s))
		wantConflict(t, err, "/status", catalog.ErrInUse)
	}
	_, err = c.UpdateVersion(ctx, "acme", alice, "orders", "v1", 1, "transition", status("live"))
	wantProblem(t, err, "/status")
	// mutate cannot rename or re-parent the version; its error is returned.
	errMutate := errors.New("mutate failed")
	_, err = c.UpdateVersion(ctx, "acme", alice, "orders", "v1", 1, "x", func(*model.Version) error { return errMutate })
	wantIs(t, err, errMutate)
	_, err = c.UpdateVersion(ctx, "acme", alice, "orders", "v9", 0, "publish", status(model.StatusPublished))
	wantIs(t, err, catalog.ErrNotFound)
	wantChanges(t, c, "acme", before, 0)

	renamed, err := c.UpdateVersion(ctx, "acme", alice, "orders", "v1", 1, "update", func(v *model.Version) error {
		v.Name, v.API, v.Description = "v7", "other", "first version"
		return nil
	})
	noErr(t, err)
	if renamed.Name != "v1" || renamed.API != "orders" || renamed.Description != "first version" || renamed.Revision != 2 {
		t.Errorf("update = %+v", renamed)
	}

	ep := must(t)(c.CreateEndpoint(ctx, "acme", alice, endpoint("orders", "v1", "GET", "/"))).(*model.Endpoint)
	before = snapshot(t, c, "acme")
	pub, err := c.UpdateVersion(ctx, "acme", bob, "orders", "v1", 2, "publish", status(model.StatusPublished))
	noErr(t, err)
	if pub.Status != model.StatusPublished || pub.PublishedAt == nil || pub.PublishedAt.Before(t0) || pub.PublishedAt.After(clk.Now()) || pub.Revision != 3 {
		t.Errorf("published = %+v", pub)
	}
	wantChanges(t, c, "acme", before, 1)
	a := lastAudit(t, c, "acme", bob, "publish", "version", "api/orders/version/v1")
	if decode[model.Version](t, a.Before).Status != model.StatusDraft || decode[model.Version](t, a.After).Status != model.StatusPublished {
		t.Errorf("publish audit %s -> %s", a.Before, a.After)
	}

	before = snapshot(t, c, "acme")
	_, err = c.UpdateVersion(ctx, "acme", bob, "orders", "v1", 0, "unpublish", status(model.StatusDraft))
	wantConflict(t, err, "/status", catalog.ErrInUse)
	wantConflict(t, c.DeleteVersion(ctx, "acme", bob, "orders", "v1", 0), "/status", catalog.ErrInUse)
	wantChanges(t, c, "acme", before, 0)

	dep, err := c.UpdateVersion(ctx, "acme", bob, "orders", "v1", 3, "deprecate", status(model.StatusDeprecated))
	noErr(t, err)
	wantConflict(t, c.DeleteVersion(ctx, "acme", bob, "orders", "v1", 0), "/status", catalog.ErrInUse)
	// Deprecation can be undone, keeping the first publication time.
	repub, err := c.UpdateVersion(ctx, "acme", bob, "orders", "v1", dep.Revision, "publish", status(model.StatusPublished))
	noErr(t, err)
	if !repub.PublishedAt.Equal(*pub.PublishedAt) {
		t.Errorf("re-publish moved PublishedAt %v -> %v", pub.PublishedAt, repub.PublishedAt)
	}
	ret, err := c.UpdateVersion(ctx, "acme", bob, "orders", "v1", repub.Revision, "retire", status(model.StatusRetired))
	noErr(t, err)

	before = snapshot(t, c, "acme")
	for _, s := range []model.VersionStatus{model.StatusPublished, model.StatusDeprecated, model.StatusDraft} {
		_, err = c.UpdateVersion(ctx, "acme", bob, "orders", "v1", ret.Revision, "revive", status(s))
		wantConflict(t, err, "/status", catalog.ErrInUse)
	}
	// A retired version with endpoints cannot be deleted yet.
	wantConflict(t, c.DeleteVersion(ctx, "acme", bob, "orders", "v1", 0), "", catalog.ErrInUse)
	wantChanges(t, c, "acme", before, 0)

	noErr(t, c.DeleteEndpoint(ctx, "acme", bob, "orders", "v1", ep.ID, 1))
	noErr(t, c.DeleteVersion(ctx, "acme", bob, "orders", "v1", ret.Revision))
	lastAudit(t, c, "acme", bob, "delete", "version", "api/orders/version/v1")
	_, err = c.GetVersion(ctx, "acme", "orders", "v1")
	wantIs(t, err, catalog.ErrNotFound)

	// A draft without endpoints can be deleted directly.
	must(t)(c.CreateVersion(ctx, "acme", alice, "orders", &model.Version{Name: "v2"}))
	must(t)(c.CreateVersion(ctx, "acme", alice, "orders", &model.Version{Name: "v10"}))
	vs, err := c.ListVersions(ctx, "acme", "orders")
	noErr(t, err)
	if len(vs) != 2 {
		t.Errorf("ListVersions = %+v", vs)
	}
	_, err = c.ListVersions(ctx, "acme", "nope")
	wantIs(t, err, catalog.ErrNotFound)
	noErr(t, c.DeleteVersion(ctx, "acme", alice, "orders", "v2", 1))
	// v1 of "orders" does not shadow v10: their key prefixes are distinct.
	if _, err := c.GetVersion(ctx, "acme", "orders", "v10"); err != nil {
		t.Errorf("v10 lost: %v", err)
	}
}

// TestTenantIsolation: tenant B never sees tenant A's configuration, audit
// trail or config version, and may reuse A's slugs and routes.
func TestTenantIsolation(t *testing.T) {
	c, _ := fixture(t) // tenant "acme" with orders/v1 and backend
	ctx := t.Context()
	must(t)(c.CreateEndpoint(ctx, "acme", alice, endpoint("orders", "v1", "GET", "/{id}")))
	must(t)(c.CreateConsumer(ctx, "acme", alice, &model.Consumer{Slug: "app", Name: "App"}))
	must(t)(c.PutMember(ctx, "acme", alice, &model.Member{Email: "a@acme.test", Role: "owner"}))
	aVersion := configVersion(t, c, "acme")

	eve := catalog.Actor{Subject: "eve@beta.test", Role: "owner", RequestID: "req-eve"}
	must(t)(c.CreateTenant(ctx, eve, &model.Tenant{ID: "beta", Name: "Beta"}))

	if apis, _, err := c.ListAPIs(ctx, "beta", 100, ""); err != nil || len(apis) != 0 {
		t.Errorf("beta ListAPIs = %+v, %v", apis, err)
	}
	_, err := c.GetAPI(ctx, "beta", "orders")
	wantIs(t, err, catalog.ErrNotFound)
	_, err = c.GetVersion(ctx, "beta", "orders", "v1")
	wantIs(t, err, catalog.ErrNotFound)
	_, err = c.GetIntegration(ctx, "beta", "backend")
	wantIs(t, err, catalog.ErrNotFound)
	_, err = c.GetConsumer(ctx, "beta", "app")
	wantIs(t, err, catalog.ErrNotFound)
	if ms, err := c.ListMembers(ctx, "beta"); err != nil || len(ms) != 0 {
		t.Errorf("beta ListMembers = %+v, %v", ms, err)
	}
	for _, e := range auditAll(t, c, "beta") {
		if e.Actor != eve.Subject || e.Resource != "tenant/beta" {
			t.Errorf("beta audit shows %+v", e)
		}
	}
	// Filters do not reach across tenants either.
	if es, _, _ := c.ListAudit(ctx, "beta", catalog.AuditFilter{Actor: alice.Subject}); len(es) != 0 {
		t.Errorf("beta audit filtered by alice: %+v", es)
	}
	cfg, err := c.LoadTenantConfig(ctx, "beta")
	noErr(t, err)
	if cfg.Version != 1 || len(cfg.APIs)+len(cfg.Versions)+len(cfg.Endpoints)+len(cfg.Integrations) != 0 || cfg.Tenant.ID != "beta" {
		t.Errorf("beta config = %+v", cfg)
	}

	// B can use A's slugs and routes; A is untouched.
	must(t)(c.CreateAPI(ctx, "beta", eve, &model.API{Slug: "orders", Name: "B orders", BasePath: "/orders"}))
	must(t)(c.CreateVersion(ctx, "beta", eve, "orders", &model.Version{Name: "v1"}))
	must(t)(c.CreateIntegration(ctx, "beta", eve, backend("backend")))
	must(t)(c.CreateEndpoint(ctx, "beta", eve, endpoint("orders", "v1", "GET", "/{id}")))
	if v := configVersion(t, c, "acme"); v != aVersion {
		t.Errorf("beta's writes moved acme's config version %d -> %d", aVersion, v)
	}
	if a, _ := c.GetAPI(ctx, "acme", "orders"); a.Name != "Orders" {
		t.Errorf("acme's API changed: %+v", a)
	}
	// In-use checks are per tenant: acme's endpoint does not pin beta's
	// integration once beta's own endpoint is gone, and vice versa.
	beps, err := c.ListEndpoints(ctx, "beta", "orders", "v1")
	noErr(t, err)
	noErr(t, c.DeleteEndpoint(ctx, "beta", eve, "orders", "v1", beps[0].ID, 0))
	noErr(t, c.DeleteIntegration(ctx, "beta", eve, "backend", 0))
	wantConflict(t, c.DeleteIntegration(ctx, "acme", alice, "backend", 0), "", catalog.ErrInUse)
	for _, e := range auditAll(t, c, "acme") {
		if e.Actor == eve.Subject {
			t.Errorf("acme audit shows beta's change %+v", e)
		}
	}
}
