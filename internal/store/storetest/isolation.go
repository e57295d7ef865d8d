package storetest

import (
	"testing"

	"github.com/portico/portico/internal/store"
)

func testTenantIsolation(t *testing.T, s store.Store, _ *clock) {
	ctx := t.Context()
	var items []store.Item
	for _, tenant := range []string{"a", "ab", "b"} {
		for _, sk := range []string{"API#1", "API#2"} {
			it := item("TENANT#"+tenant, sk, 1, tenant)
			// One index partition for every tenant, keyed by tenant.
			it.GSI1PK, it.GSI1SK = "ALLAPIS", "TENANT#"+tenant+"#"+sk
			items = append(items, it)
		}
		// And one table partition holding every tenant's items.
		items = append(items, item("AUDIT", "TENANT#"+tenant+"#2024", 1, tenant))
	}
	mustPutAll(t, s, items)

	onlyA := func(name string, its []store.Item) {
		t.Helper()
		if len(its) != 2 {
			t.Errorf("%s: %d items, want 2", name, len(its))
		}
		for _, it := range its {
			if string(it.Data) != "a" {
				t.Errorf("%s: returned %s of another tenant", name, show(it))
			}
		}
	}
	p, err := s.Query(ctx, store.Query{PK: "TENANT#a"})
	wantNoErr(t, "Query", err)
	onlyA("partition TENANT#a", p.Items)
	p, err = s.Query(ctx, store.Query{PK: "TENANT#a", Reverse: true})
	wantNoErr(t, "Query", err)
	onlyA("partition TENANT#a reversed", p.Items)

	p, err = s.QueryIndex(ctx, store.Query{PK: "ALLAPIS", SKPrefix: "TENANT#a#"})
	wantNoErr(t, "QueryIndex", err)
	onlyA("index prefix TENANT#a#", p.Items)
	p, err = s.QueryIndex(ctx, store.Query{PK: "ALLAPIS", SKPrefix: "TENANT#a#", Reverse: true})
	wantNoErr(t, "QueryIndex", err)
	onlyA("index prefix TENANT#a# reversed", p.Items)

	p, err = s.Query(ctx, store.Query{PK: "AUDIT", SKPrefix: "TENANT#a#"})
	wantNoErr(t, "Query", err)
	if len(p.Items) != 1 || string(p.Items[0].Data) != "a" {
		t.Errorf("SK prefix TENANT#a#: %q", sks(p.Items))
	}

	// A prefix is a byte prefix: without the terminating '#', TENANT#a
	// matches TENANT#ab too. Key builders must end prefixes with '#'.
	p, err = s.QueryIndex(ctx, store.Query{PK: "ALLAPIS", SKPrefix: "TENANT#a"})
	wantNoErr(t, "QueryIndex", err)
	if len(p.Items) != 4 {
		t.Errorf("index prefix TENANT#a: %d items, want 4 (a and ab)", len(p.Items))
	}
}
