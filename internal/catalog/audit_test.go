package catalog_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
)

// auditHistory builds a tenant with a known history of 12 changes by alice
// and bob and returns its audit trail, newest first.
func auditHistory(t *testing.T) (*catalog.Catalog, []model.AuditEntry) {
	t.Helper()
	c, _ := fixture(t) // 4 entries by alice: tenant, api, version, integration
	ctx := t.Context()
	must(t)(c.CreateAPI(ctx, "acme", bob, &model.API{Slug: "orders2", Name: "Orders 2", BasePath: "/orders2"}))
	must(t)(c.CreateEndpoint(ctx, "acme", bob, endpoint("orders", "v1", "GET", "/{id}")))
	must(t)(c.UpdateAPI(ctx, "acme", alice, "orders", 1, &model.API{Slug: "orders", Name: "Orders!", BasePath: "/orders"}))
	must(t)(c.CreateConsumer(ctx, "acme", bob, &model.Consumer{Slug: "app", Name: "App"}))
	must(t)(c.UpdateVersion(ctx, "acme", bob, "orders", "v1", 1, "publish", func(v *model.Version) error { v.Status = model.StatusPublished; return nil }))
	must(t)(c.CreateVersion(ctx, "acme", alice, "orders2", &model.Version{Name: "v1"}))
	must(t)(c.PutMember(ctx, "acme", bob, &model.Member{Email: "c@acme.test", Role: "viewer"}))
	must(t)(c.UpdateTenant(ctx, alice, "acme", 0, &model.Tenant{ID: "acme", Name: "Acme 2"}))
	all := auditAll(t, c, "acme")
	if len(all) != 12 {
		t.Fatalf("history has %d audit entries, want 12", len(all))
	}
	return c, all
}

func resources(es []model.AuditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Action + " " + e.Resource
	}
	return out
}

func TestListAuditNewestFirst(t *testing.T) {
	_, all := auditHistory(t)
	want := []string{
		"update tenant/acme",
		"create member/c@acme.test",
		"create api/orders2/version/v1",
		"publish api/orders/version/v1",
		"create consumer/app",
		"update api/orders",
		"create api/orders/version/v1/endpoint/" + strings.TrimPrefix(all[6].Resource, "api/orders/version/v1/endpoint/"),
		"create api/orders2",
		"create integration/backend",
		"create api/orders/version/v1",
		"create api/orders",
		"create tenant/acme",
	}
	if got := resources(all); !slices.Equal(got, want) {
		t.Fatalf("audit trail:\n%q\nwant\n%q", got, want)
	}
	for i := 1; i < len(all); i++ {
		if !all[i].Time.Before(all[i-1].Time) {
			t.Errorf("entry %d (%v) is not older than entry %d (%v)", i, all[i].Time, i-1, all[i-1].Time)
		}
	}
	ids := map[string]bool{}
	for _, e := range all {
		if ids[e.ID] {
			t.Errorf("duplicate audit id %s", e.ID)
		}
		ids[e.ID] = true
	}
}

func TestListAuditFilters(t *testing.T) {
	c, all := auditHistory(t)
	at := func(i int) time.Time { return all[i].Time }
	tests := []struct {
		name string
		f    catalog.AuditFilter
		want []int // indexes into all
	}{
		{"no filter", catalog.AuditFilter{}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{"resource and everything below it", catalog.AuditFilter{Resource: "api/orders"}, []int{3, 5, 6, 9, 10}},
		{"resource prefix stops at a /", catalog.AuditFilter{Resource: "api/orders2"}, []int{2, 7}},
		{"resource partial segment matches nothing", catalog.AuditFilter{Resource: "api/ord"}, nil},
		{"version resource", catalog.AuditFilter{Resource: "api/orders/version/v1"}, []int{3, 6, 9}},
		{"resource type", catalog.AuditFilter{ResourceType: "version"}, []int{2, 3, 9}},
		{"resource type api", catalog.AuditFilter{ResourceType: "api"}, []int{5, 7, 10}},
		{"actor", catalog.AuditFilter{Actor: bob.Subject}, []int{1, 3, 4, 6, 7}},
		{"unknown actor", catalog.AuditFilter{Actor: "mallory"}, nil},
		{"actor and type", catalog.AuditFilter{Actor: alice.Subject, ResourceType: "api"}, []int{5, 10}},
		{"from (inclusive)", catalog.AuditFilter{From: at(3)}, []int{0, 1, 2, 3}},
		{"to (inclusive)", catalog.AuditFilter{To: at(9)}, []int{9, 10, 11}},
		{"from and to", catalog.AuditFilter{From: at(8), To: at(4)}, []int{4, 5, 6, 7, 8}},
		{"from and to in another zone", catalog.AuditFilter{From: at(8).In(time.FixedZone("X", 5*3600)), To: at(4).In(time.FixedZone("Y", -7*3600))}, []int{4, 5, 6, 7, 8}},
		{"exact instant", catalog.AuditFilter{From: at(5), To: at(5)}, []int{5}},
		{"exact instant of the oldest", catalog.AuditFilter{From: at(11), To: at(11)}, []int{11}},
		{"between two entries", catalog.AuditFilter{From: at(5).Add(time.Microsecond), To: at(4).Add(-time.Microsecond)}, nil},
		{"from and to whole seconds", catalog.AuditFilter{From: at(11).Truncate(time.Second), To: at(0).Truncate(time.Second).Add(time.Second)}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{"before everything", catalog.AuditFilter{To: at(11).Add(-time.Nanosecond)}, nil},
		{"after everything", catalog.AuditFilter{From: at(0).Add(time.Nanosecond)}, nil},
		{"window and actor", catalog.AuditFilter{From: at(8), To: at(1), Actor: bob.Subject}, []int{1, 3, 4, 6, 7}},
		{"window and resource", catalog.AuditFilter{From: at(6), To: at(2), Resource: "api/orders"}, []int{3, 5, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []model.AuditEntry
			for _, i := range tt.want {
				want = append(want, all[i])
			}
			// One call, then pages of 3 followed to exhaustion and pages
			// of 1: the same entries, in the same order, every time.
			for _, limit := range []int{0, 3, 1} {
				f := tt.f
				f.Limit = limit
				var got []model.AuditEntry
				for pages := 0; ; pages++ {
					if pages > 20 {
						t.Fatal("pagination does not end")
					}
					page, next, err := c.ListAudit(t.Context(), "acme", f)
					noErr(t, err)
					if limit > 0 && len(page) > limit {
						t.Fatalf("page of %d entries with limit %d", len(page), limit)
					}
					got = append(got, page...)
					if next == "" {
						break
					}
					f.Cursor = next
				}
				if g, w := resources(got), resources(want); !slices.Equal(g, w) {
					t.Fatalf("limit %d:\n got %q\nwant %q", limit, g, w)
				}
				for i := range got {
					if got[i].ID != want[i].ID {
						t.Fatalf("limit %d: entry %d is %s, want %s", limit, i, got[i].ID, want[i].ID)
					}
				}
			}
		})
	}
}

func TestListAuditPagination(t *testing.T) {
	c, all := auditHistory(t)
	ctx := t.Context()
	var got []model.AuditEntry
	f := catalog.AuditFilter{Limit: 3}
	pages := 0
	for {
		page, next, err := c.ListAudit(ctx, "acme", f)
		noErr(t, err)
		pages++
		if len(page) != 3 {
			t.Errorf("page %d has %d entries, want 3", pages, len(page))
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		f.Cursor = next
	}
	if pages != 4 {
		t.Errorf("%d pages of 3 for 12 entries, want 4", pages)
	}
	seen := map[string]bool{}
	for i, e := range got {
		if seen[e.ID] {
			t.Errorf("entry %s returned twice", e.ID)
		}
		seen[e.ID] = true
		if e.ID != all[i].ID {
			t.Errorf("position %d: got %s (%s), want %s (%s)", i, e.ID, e.Resource, all[i].ID, all[i].Resource)
		}
	}
	if len(got) != len(all) {
		t.Errorf("pagination returned %d entries, want %d", len(got), len(all))
	}

	// A change made while paginating shows up on a fresh listing, not in
	// the middle of the one in progress.
	page1, cursor, err := c.ListAudit(ctx, "acme", catalog.AuditFilter{Limit: 3})
	noErr(t, err)
	must(t)(c.CreateConsumer(ctx, "acme", bob, &model.Consumer{Slug: "late", Name: "Late"}))
	page2, _, err := c.ListAudit(ctx, "acme", catalog.AuditFilter{Limit: 3, Cursor: cursor})
	noErr(t, err)
	if page2[0].ID != all[3].ID || page1[0].ID != all[0].ID {
		t.Errorf("pages around a concurrent change: %q then %q", resources(page1), resources(page2))
	}

	// Limits out of range fall back to the default page size.
	for _, limit := range []int{-1, 0, 501} {
		es, next, err := c.ListAudit(ctx, "acme", catalog.AuditFilter{Limit: limit})
		noErr(t, err)
		if len(es) != 13 || next != "" {
			t.Errorf("limit %d: %d entries, cursor %q", limit, len(es), next)
		}
	}

	if _, _, err := c.ListAudit(ctx, "acme", catalog.AuditFilter{Cursor: "not-a-cursor"}); err == nil {
		t.Error("a forged cursor was accepted")
	}
	if es, _, err := c.ListAudit(ctx, "nope", catalog.AuditFilter{}); err != nil || len(es) != 0 {
		t.Errorf("unknown tenant audit = %v, %v", es, err)
	}
}

// TestListAuditScanBound: a filter matching nothing in a long trail stops
// after a bounded scan and hands back a cursor that continues it.
func TestListAuditScanBound(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 5000+ audit entries")
	}
	c, _ := fixture(t)
	ctx := t.Context()
	in := backend("backend")
	for i := range 5100 {
		in.TimeoutMs = i + 1
		must(t)(c.UpdateIntegration(ctx, "acme", alice, "backend", 0, in))
	}
	f := catalog.AuditFilter{Actor: "nobody", Limit: 10}
	es, cursor, err := c.ListAudit(ctx, "acme", f)
	noErr(t, err)
	if len(es) != 0 || cursor == "" {
		t.Fatalf("first scan: %d entries, cursor %q; want none and a cursor", len(es), cursor)
	}
	f.Cursor = cursor
	es, cursor, err = c.ListAudit(ctx, "acme", f)
	noErr(t, err)
	if len(es) != 0 || cursor != "" {
		t.Fatalf("second scan: %d entries, cursor %q; want none and the end", len(es), cursor)
	}
	// The oldest entry (tenant creation) is still reachable through the bound.
	f = catalog.AuditFilter{ResourceType: "tenant", Limit: 10}
	var got []model.AuditEntry
	for {
		es, next, err := c.ListAudit(ctx, "acme", f)
		noErr(t, err)
		got = append(got, es...)
		if next == "" {
			break
		}
		f.Cursor = next
	}
	if len(got) != 1 || got[0].Resource != "tenant/acme" {
		t.Errorf("tenant entries through the scan bound: %q", resources(got))
	}
}
