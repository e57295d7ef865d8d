package catalog_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
)

func setStatus(s model.VersionStatus) func(v *model.Version) error {
	return func(v *model.Version) error { v.Status = s; return nil }
}

// TestRepeatedTransitionIsRefused: publishing a published version (or
// retiring a retired one) is a 409 that writes nothing, not a new revision
// with a misleading audit entry.
func TestRepeatedTransitionIsRefused(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()
	must(t)(c.CreateEndpoint(ctx, "acme", alice, endpoint("orders", "v1", "GET", "/{id}")))
	must(t)(c.UpdateVersion(ctx, "acme", alice, "orders", "v1", 0, "publish", setStatus(model.StatusPublished)))
	for _, tc := range []struct {
		action  string
		to      model.VersionStatus
		refused bool
	}{
		{"publish", model.StatusPublished, true},
		{"deprecate", model.StatusDeprecated, false},
		{"deprecate", model.StatusDeprecated, true},
		{"retire", model.StatusRetired, false},
		{"retire", model.StatusRetired, true},
	} {
		before := snapshot(t, c, "acme")
		_, err := c.UpdateVersion(ctx, "acme", alice, "orders", "v1", 0, tc.action, setStatus(tc.to))
		if !tc.refused {
			noErr(t, err)
			wantChanges(t, c, "acme", before, 1)
			continue
		}
		wantConflict(t, err, "/status", catalog.ErrInUse)
		wantChanges(t, c, "acme", before, 0)
	}
}

// TestDeprecatedAt is set on deprecation and cleared on re-publication.
func TestDeprecatedAt(t *testing.T) {
	c, clk := fixture(t)
	ctx := t.Context()
	must(t)(c.CreateEndpoint(ctx, "acme", alice, endpoint("orders", "v1", "GET", "/{id}")))
	must(t)(c.UpdateVersion(ctx, "acme", alice, "orders", "v1", 0, "publish", setStatus(model.StatusPublished)))
	at := clk.Now()
	v := must(t)(c.UpdateVersion(ctx, "acme", alice, "orders", "v1", 0, "deprecate", setStatus(model.StatusDeprecated))).(*model.Version)
	if v.DeprecatedAt == nil || v.DeprecatedAt.Before(at) {
		t.Fatalf("DeprecatedAt = %v, want a time at or after %v", v.DeprecatedAt, at)
	}
	v = must(t)(c.UpdateVersion(ctx, "acme", alice, "orders", "v1", 0, "publish", setStatus(model.StatusPublished))).(*model.Version)
	if v.DeprecatedAt != nil {
		t.Fatalf("DeprecatedAt = %v after re-publication, want nil", v.DeprecatedAt)
	}
}

// TestPutMemberConcurrentFirstPuts: concurrent first-time upserts of one
// member all succeed (one creates, the others update); none sees ErrExists.
func TestPutMemberConcurrentFirstPuts(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()
	const n = 10
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			role := []string{"viewer", "developer"}[i%2]
			_, err := c.PutMember(ctx, "acme", alice, &model.Member{Email: "Carol@Acme.Test", Role: role})
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("PutMember: %v", err)
		}
	}
	ms, err := c.ListMembers(ctx, "acme")
	noErr(t, err)
	if len(ms) != 1 || ms[0].Revision != n {
		t.Fatalf("members = %s, want one member at revision %d", fmt.Sprint(ms), n)
	}
}

// TestDeleteTenantRemovesMembers: a tenant re-created under the same id
// does not inherit the old tenant's members.
func TestDeleteTenantRemovesMembers(t *testing.T) {
	c, _ := newCatalog(t)
	ctx := t.Context()
	must(t)(c.CreateTenant(ctx, alice, &model.Tenant{ID: "solo", Name: "Solo"}))
	must(t)(c.PutMember(ctx, "solo", alice, &model.Member{Email: "x@solo.test", Role: "admin"}))
	noErr(t, c.DeleteTenant(ctx, alice, "solo"))
	must(t)(c.CreateTenant(ctx, alice, &model.Tenant{ID: "solo", Name: "Solo again"}))
	ms, err := c.ListMembers(ctx, "solo")
	noErr(t, err)
	if len(ms) != 0 {
		t.Fatalf("re-created tenant has members %v", ms)
	}
}
