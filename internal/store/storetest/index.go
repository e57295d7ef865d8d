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
