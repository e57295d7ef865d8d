package storetest

import (
	"encoding/base64"
	"fmt"
	"slices"
	"testing"

	"github.com/portico/portico/internal/store"
)

func testQuery(t *testing.T, s store.Store, _ *clock) {
	ctx := t.Context()
	var items []store.Item
	for i := range 12 {
		items = append(items, item("Q", fmt.Sprintf("API#%02d", i), int64(i), fmt.Sprint(i)))
	}
	items = append(items,
		item("Q", "API", 1, "no hash"),
		item("Q", "APIX#01", 1, "other prefix"),
		item("Q", "AP", 1, "shorter"),
		item("Q", "KEY#01", 1, "key"),
		item("Q", "\U0010FFFF", 1, "high bytes"),
		item("Q2", "API#00", 1, "other partition"),
		item("P", "API#00", 1, "lower partition"),
	)
	// Write in shuffled order; reads come back sorted.
	shuffled := slices.Clone(items)
	for i := range shuffled {
		j := (i * 7) % len(shuffled)
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	}
	mustPutAll(t, s, shuffled)

	apis := make([]string, 12)
	for i := range apis {
		apis[i] = fmt.Sprintf("API#%02d", i)
	}
	cases := []struct {
		name string
		q    store.Query
		want []string
		more bool // a cursor is expected
	}{
		{"prefix", store.Query{PK: "Q", SKPrefix: "API#"}, apis, false},
		{"reverse", store.Query{PK: "Q", SKPrefix: "API#", Reverse: true}, reversed(apis), false},
		{"limit", store.Query{PK: "Q", SKPrefix: "API#", Limit: 3}, apis[:3], true},
		{"reverse limit", store.Query{PK: "Q", SKPrefix: "API#", Limit: 3, Reverse: true}, reversed(apis)[:3], true},
		{"bare prefix", store.Query{PK: "Q", SKPrefix: "API"}, append(append([]string{"API"}, apis...), "APIX#01"), false},
		{"whole partition", store.Query{PK: "Q"}, append(append([]string{"AP", "API"}, apis...), "APIX#01", "KEY#01", "\U0010FFFF"), false},
		{"whole partition reverse", store.Query{PK: "Q", Reverse: true}, reversed(append(append([]string{"AP", "API"}, apis...), "APIX#01", "KEY#01", "\U0010FFFF")), false},
		{"exact SK as prefix", store.Query{PK: "Q", SKPrefix: "KEY#01"}, []string{"KEY#01"}, false},
		{"high byte prefix", store.Query{PK: "Q", SKPrefix: "\U0010FFFF", Reverse: true}, []string{"\U0010FFFF"}, false},
		{"no match", store.Query{PK: "Q", SKPrefix: "ZZZ"}, nil, false},
		{"no match reverse", store.Query{PK: "Q", SKPrefix: "ZZZ", Reverse: true}, nil, false},
		{"missing partition", store.Query{PK: "NOPE"}, nil, false},
	}
	for _, c := range cases {
		p, err := s.Query(ctx, c.q)
		wantNoErr(t, c.name, err)
		if got := sks(p.Items); !equalStrings(got, c.want) {
			t.Errorf("%s: SKs %q, want %q", c.name, got, c.want)
		}
		if c.more != (p.Cursor != "") {
			t.Errorf("%s: cursor %q, want one: %v", c.name, p.Cursor, c.more)
		}
		for _, it := range p.Items {
			var want store.Item
			for _, w := range items {
				if w.PK == it.PK && w.SK == it.SK {
					want = w
				}
			}
			if !equalItem(it, want) {
				t.Errorf("%s: item %s, want %s", c.name, show(it), show(want))
			}
		}
	}
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

func testQueryPagination(t *testing.T, s store.Store, clk *clock) {
	var items []store.Item
	var want []string
	for i := range 25 {
		it := item("PG", fmt.Sprintf("ITEM#%03d", i), 1, "x")
		it.GSI1PK, it.GSI1SK = "PGI", fmt.Sprintf("ITEM#%03d", i)
		if i%4 == 1 { // expired items are skipped without leaving short pages
			it.ExpiresAt = clk.Now().Unix()
		} else {
			want = append(want, it.SK)
		}
		items = append(items, it)
	}
	items = append(items, item("PG", "OTHER", 1, "x"), item("PGX", "ITEM#000", 1, "x"))
	mustPutAll(t, s, items)

	for _, onIndex := range []bool{false, true} {
		query, pk := queryFunc(s.Query), "PG"
		if onIndex {
			query, pk = s.QueryIndex, "PGI"
		}
		for _, limit := range []int{1, 2, 3, 6, 18, 19, 100} {
			for _, rev := range []bool{false, true} {
				name := fmt.Sprintf("index=%v limit=%d reverse=%v", onIndex, limit, rev)
				got, sizes := drain(t, query, store.Query{PK: pk, SKPrefix: "ITEM#", Limit: limit, Reverse: rev})
				w := want
				if rev {
					w = reversed(want)
				}
				if !equalStrings(sks(got), w) {
					t.Errorf("%s: SKs %q, want %q", name, sks(got), w)
				}
				for i, n := range sizes {
					last := i == len(sizes)-1
					if (!last && n != limit) || (last && (n == 0 && len(want) > 0 || n > limit)) {
						t.Errorf("%s: page sizes %v: want full pages and a non-empty last page", name, sizes)
						break
					}
				}
			}
		}
	}
}

func testQueryLimits(t *testing.T, s store.Store, _ *clock) {
	if testing.Short() {
		t.Skip("writes 1001 items")
	}
	items := make([]store.Item, store.MaxQueryLimit+1)
	for i := range items {
		items[i] = item("LIMITS", fmt.Sprintf("%04d", i), 1, "")
	}
	mustPutAll(t, s, items)
	for _, c := range []struct {
		limit, want int
	}{
		{0, store.DefaultQueryLimit},
		{-1, store.DefaultQueryLimit},
		{store.MaxQueryLimit + 500, store.MaxQueryLimit},
		{store.MaxQueryLimit, store.MaxQueryLimit},
	} {
		p, err := s.Query(t.Context(), store.Query{PK: "LIMITS", Limit: c.limit})
		wantNoErr(t, "Query", err)
		if len(p.Items) != c.want || p.Cursor == "" {
			t.Errorf("Limit %d: %d items, cursor %q; want %d and a cursor", c.limit, len(p.Items), p.Cursor, c.want)
		}
	}
	got, _ := drain(t, s.Query, store.Query{PK: "LIMITS", Limit: store.MaxQueryLimit})
	if len(got) != len(items) {
		t.Errorf("drained %d items, want %d", len(got), len(items))
	}
}

func testInvalidCursor(t *testing.T, s store.Store, _ *clock) {
	ctx := t.Context()
	for i := range 4 {
		it := item("CUR", fmt.Sprintf("A#%d", i), 1, "x")
		it.GSI1PK, it.GSI1SK = "CURI", it.SK
		mustPut(t, s, it)
		it = item("CUR2", fmt.Sprintf("A#%d", i), 1, "x")
		it.GSI1PK, it.GSI1SK = "CURI2", it.SK
		mustPut(t, s, it)
	}
	valid, err := s.Query(ctx, store.Query{PK: "CUR", Limit: 1})
	wantNoErr(t, "Query", err)
	validIdx, err := s.QueryIndex(ctx, store.Query{PK: "CURI", Limit: 1})
	wantNoErr(t, "QueryIndex", err)
	if valid.Cursor == "" || validIdx.Cursor == "" {
		t.Fatal("no cursor on a first page")
	}
	garbage := []string{
		"!", "not a cursor", "====", "%%%", "\x00", "e30", "bnVsbA", "W10",
		base64.RawURLEncoding.EncodeToString([]byte(`{"PK":"CUR"}`)),
		base64.RawURLEncoding.EncodeToString([]byte(`{"PK":"CUR","SK":1}`)),
		base64.RawURLEncoding.EncodeToString([]byte("CUR\x00A#1")),
		valid.Cursor[:len(valid.Cursor)-1] + "!", valid.Cursor + "=",
	}
	for _, g := range garbage {
		_, err := s.Query(ctx, store.Query{PK: "CUR", Cursor: g})
		wantErr(t, fmt.Sprintf("Query cursor %q", g), err, store.ErrInvalidCursor)
		_, err = s.QueryIndex(ctx, store.Query{PK: "CURI", Cursor: g})
		wantErr(t, fmt.Sprintf("QueryIndex cursor %q", g), err, store.ErrInvalidCursor)
	}
	misused := []struct {
		name string
		q    queryFunc
		qq   store.Query
	}{
		{"table cursor on another partition", s.Query, store.Query{PK: "CUR2", Cursor: valid.Cursor}},
		{"table cursor outside the prefix", s.Query, store.Query{PK: "CUR", SKPrefix: "B", Cursor: valid.Cursor}},
		{"table cursor on the index", s.QueryIndex, store.Query{PK: "CURI", Cursor: valid.Cursor}},
		{"index cursor on the table", s.Query, store.Query{PK: "CUR", Cursor: validIdx.Cursor}},
		{"index cursor on another index partition", s.QueryIndex, store.Query{PK: "CURI2", Cursor: validIdx.Cursor}},
	}
	for _, m := range misused {
		_, err := m.q(ctx, m.qq)
		wantErr(t, m.name, err, store.ErrInvalidCursor)
	}
	// A cursor still works after the item it points at is deleted.
	wantNoErr(t, "Delete", s.Delete(ctx, valid.Items[0].Key(), store.Cond{}))
	p, err := s.Query(ctx, store.Query{PK: "CUR", Cursor: valid.Cursor})
	wantNoErr(t, "Query after delete", err)
	if got := sks(p.Items); !equalStrings(got, []string{"A#1", "A#2", "A#3"}) {
		t.Errorf("after delete: %q", got)
	}
}
