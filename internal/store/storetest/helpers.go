package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/portico/portico/internal/store"
)

func item(pk, sk string, version int64, data string) store.Item {
	return store.Item{PK: pk, SK: sk, Version: version, Data: []byte(data)}
}

func mustPut(t *testing.T, s store.Store, it store.Item) {
	t.Helper()
	if err := s.Put(t.Context(), it, store.Cond{}); err != nil {
		t.Fatalf("Put(%s/%s): %v", it.PK, it.SK, err)
	}
}

// mustPutAll writes items in transactions of store.MaxTxOps.
func mustPutAll(t *testing.T, s store.Store, items []store.Item) {
	t.Helper()
	for len(items) > 0 {
		n := min(len(items), store.MaxTxOps)
		ops := make([]store.WriteOp, n)
		for i := range n {
			ops[i] = store.WriteOp{Put: &items[i]}
		}
		if err := s.Transact(t.Context(), ops); err != nil {
			t.Fatalf("Transact(%d puts): %v", n, err)
		}
		items = items[n:]
	}
}

func equalItem(a, b store.Item) bool {
	return a.PK == b.PK && a.SK == b.SK && a.GSI1PK == b.GSI1PK && a.GSI1SK == b.GSI1SK &&
		a.Version == b.Version && a.ExpiresAt == b.ExpiresAt && bytes.Equal(a.Data, b.Data)
}

func show(it store.Item) string {
	d := it.Data
	if len(d) > 32 {
		d = d[:32]
	}
	return fmt.Sprintf("{%q %q gsi1=%q/%q v%d exp%d data[%d]=%q}", it.PK, it.SK, it.GSI1PK, it.GSI1SK, it.Version, it.ExpiresAt, len(it.Data), d)
}

// wantItem asserts that key holds exactly want.
func wantItem(t *testing.T, s store.Store, want store.Item) {
	t.Helper()
	got, err := s.Get(t.Context(), want.Key())
	if err != nil {
		t.Fatalf("Get(%s/%s): %v", want.PK, want.SK, err)
	}
	if !equalItem(got, want) {
		t.Fatalf("Get(%s/%s) = %s, want %s", want.PK, want.SK, show(got), show(want))
	}
}

// wantAbsent asserts that Get(key) reports store.ErrNotFound.
func wantAbsent(t *testing.T, s store.Store, key store.Key) {
	t.Helper()
	got, err := s.Get(t.Context(), key)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%s/%s) = %s, %v; want ErrNotFound", key.PK, key.SK, show(got), err)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want %v", what, err, target)
	}
}

func wantNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func sks(items []store.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.SK
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type queryFunc func(context.Context, store.Query) (store.Page, error)

// drain follows cursors to the end and returns every item and the page
// sizes; it fails on an empty page or an item returned twice.
func drain(t *testing.T, query queryFunc, q store.Query) ([]store.Item, []int) {
	t.Helper()
	var all []store.Item
	var sizes []int
	seen := make(map[store.Key]bool)
	for {
		p, err := query(t.Context(), q)
		if err != nil {
			t.Fatalf("query %+v: %v", q, err)
		}
		for _, it := range p.Items {
			if seen[it.Key()] {
				t.Fatalf("query %+v: item %s returned twice", q, show(it))
			}
			seen[it.Key()] = true
		}
		all = append(all, p.Items...)
		sizes = append(sizes, len(p.Items))
		if p.Cursor == "" {
			return all, sizes
		}
		if len(p.Items) == 0 {
			t.Fatalf("query %+v: empty page with a cursor", q)
		}
		q.Cursor = p.Cursor
	}
}
