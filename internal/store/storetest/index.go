package storetest

import (
	"fmt"
	"testing"

	"github.com/portico/portico/internal/store"
)

func testIndex(t *testing.T, s store.Store, clk *clock) {
	ctx := t.Context()
	indexed := func(pk, sk, gpk, gsk string) store.Item {
		it := item(pk, sk, 1, pk+"/"+sk)
		it.GSI1PK, it.GSI1SK = gpk, gsk
		return it
	}
	items := []store.Item{
		indexed("TENANT#a", "KEY#1", "KEYS", "2024-03#a1"),
		indexed("TENANT#b", "KEY#1", "KEYS", "2024-01#b1"),
		indexed("TENANT#c", "KEY#9", "KEYS", "2024-02#c9"),
		indexed("TENANT#a", "KEY#2", "KEYS", "2025-01#a2"),
		indexed("TENANT#a", "KEY#3", "OTHER", "2024-01#a3"),
		indexed("TENANT#a", "KEY#4", "KEYSX", "2024-01#a4"),
		item("TENANT#a", "KEY#5", 1, "not indexed"),
	}
	mustPutAll(t, s, items)

	type ref struct{ pk, sk string }
	refs := func(its []store.Item) []ref {
		out := make([]ref, len(its))
		for i, it := range its {
			out[i] = ref{it.PK, it.SK}
		}
		return out
	}
	check := func(name string, q store.Query, want ...ref) {
		t.Helper()
		p, err := s.QueryIndex(ctx, q)
		wantNoErr(t, name, err)
		got := refs(p.Items)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
		for _, it := range p.Items {
			for _, w := range items {
				if w.Key() == it.Key() && !equalItem(w, it) {
					t.Errorf("%s: item %s, want %s", name, show(it), show(w))
				}
			}
		}
	}
	check("all", store.Query{PK: "KEYS"},
		ref{"TENANT#b", "KEY#1"}, ref{"TENANT#c", "KEY#9"}, ref{"TENANT#a", "KEY#1"}, ref{"TENANT#a", "KEY#2"})
	check("prefix", store.Query{PK: "KEYS", SKPrefix: "2024-0"},
		ref{"TENANT#b", "KEY#1"}, ref{"TENANT#c", "KEY#9"}, ref{"TENANT#a", "KEY#1"})
	check("reverse limit", store.Query{PK: "KEYS", Reverse: true, Limit: 2},
		ref{"TENANT#a", "KEY#2"}, ref{"TENANT#a", "KEY#1"})
	check("other partition", store.Query{PK: "OTHER"}, ref{"TENANT#a", "KEY#3"})
	check("table PK is not an index PK", store.Query{PK: "TENANT#a"})

	// Moving, dropping and deleting keep the index in step with the table.
	moved := indexed("TENANT#b", "KEY#1", "KEYS", "2026-01#b1")
	mustPut(t, s, moved)
	items[1] = moved
	check("moved", store.Query{PK: "KEYS"},
		ref{"TENANT#c", "KEY#9"}, ref{"TENANT#a", "KEY#1"}, ref{"TENANT#a", "KEY#2"}, ref{"TENANT#b", "KEY#1"})
	dropped := item("TENANT#c", "KEY#9", 2, "unindexed now")
	mustPut(t, s, dropped)
	check("dropped", store.Query{PK: "KEYS"},
		ref{"TENANT#a", "KEY#1"}, ref{"TENANT#a", "KEY#2"}, ref{"TENANT#b", "KEY#1"})
	wantNoErr(t, "Delete", s.Delete(ctx, store.Key{PK: "TENANT#a", SK: "KEY#2"}, store.IfExists()))
	aKey := store.Key{PK: "TENANT#a", SK: "KEY#1"}
	wantNoErr(t, "Transact delete", s.Transact(ctx, []store.WriteOp{{Delete: &aKey}}))
	check("deleted", store.Query{PK: "KEYS"}, ref{"TENANT#b", "KEY#1"})

	// Expired items leave the index too, and come back when rewritten.
	exp := indexed("TENANT#d", "KEY#1", "KEYS", "2027")
	exp.ExpiresAt = clk.Now().Unix() + 10
	mustPut(t, s, exp)
	items = append(items, exp)
	check("before expiry", store.Query{PK: "KEYS"}, ref{"TENANT#b", "KEY#1"}, ref{"TENANT#d", "KEY#1"})
	clk.Advance(10e9)
	check("after expiry", store.Query{PK: "KEYS"}, ref{"TENANT#b", "KEY#1"})
	exp.ExpiresAt = 0
	wantNoErr(t, "Put over expired", s.Put(ctx, exp, store.IfAbsent()))
	items[len(items)-1] = exp
	check("rewritten", store.Query{PK: "KEYS"}, ref{"TENANT#b", "KEY#1"}, ref{"TENANT#d", "KEY#1"})

	// Items with equal GSI1SK are all returned across pages.
	var same []store.Item
	for i := range 5 {
		same = append(same, indexed("SAME", fmt.Sprintf("S#%d", i), "SAMEIDX", "tie"))
	}
	mustPutAll(t, s, same)
	got, _ := drain(t, s.QueryIndex, store.Query{PK: "SAMEIDX", Limit: 2})
	seen := map[string]bool{}
	for _, it := range got {
		seen[it.SK] = true
	}
	if len(got) != 5 || len(seen) != 5 {
		t.Errorf("equal GSI1SK across pages: got %q", sks(got))
	}
}

func testExpiry(t *testing.T, s store.Store, clk *clock) {
	ctx := t.Context()
	now := clk.Now().Unix()
	it := store.Item{PK: "TTL", SK: "a", Version: 1, ExpiresAt: now + 60, Data: []byte("soon")}
	forever := store.Item{PK: "TTL", SK: "b", Version: 1, Data: []byte("forever")}
	mustPut(t, s, it)
	mustPut(t, s, forever)
	wantItem(t, s, it)

	clk.Advance(59e9)
	wantItem(t, s, it)
	clk.Advance(1e9) // now == ExpiresAt: expired
	wantAbsent(t, s, it.Key())
	wantItem(t, s, forever)
	p, err := s.Query(ctx, store.Query{PK: "TTL"})
	wantNoErr(t, "Query", err)
	if got := sks(p.Items); !equalStrings(got, []string{"b"}) || p.Cursor != "" {
		t.Errorf("Query after expiry: %q cursor %q, want [b]", got, p.Cursor)
	}
	p, err = s.Query(ctx, store.Query{PK: "TTL", Limit: 1})
	wantNoErr(t, "Query", err)
	if got := sks(p.Items); !equalStrings(got, []string{"b"}) || p.Cursor != "" {
		t.Errorf("Query limit 1 after expiry: %q cursor %q, want [b] and no cursor", got, p.Cursor)
	}

	key := it.Key()
	wantErr(t, "Put IfExists on expired", s.Put(ctx, it, store.IfExists()), store.ErrConditionFailed)
	wantErr(t, "Put IfVersion on expired", s.Put(ctx, it, store.IfVersion(1)), store.ErrConditionFailed)
	wantErr(t, "Delete IfExists on expired", s.Delete(ctx, key, store.IfExists()), store.ErrConditionFailed)
	wantErr(t, "Check IfExists on expired", s.Transact(ctx, []store.WriteOp{{Check: &key, Cond: store.IfExists()}}), store.ErrConditionFailed)
	wantNoErr(t, "Check IfAbsent on expired", s.Transact(ctx, []store.WriteOp{{Check: &key, Cond: store.IfAbsent()}}))

	fresh := store.Item{PK: "TTL", SK: "a", Version: 1, Data: []byte("fresh")}
	wantNoErr(t, "Put IfAbsent on expired", s.Put(ctx, fresh, store.IfAbsent()))
	wantItem(t, s, fresh)

	// An item written already expired is never visible.
	past := store.Item{PK: "TTL", SK: "c", Version: 1, ExpiresAt: clk.Now().Unix() - 1}
	mustPut(t, s, past)
	wantAbsent(t, s, past.Key())
}

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
