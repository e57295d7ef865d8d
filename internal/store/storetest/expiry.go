package storetest

import (
	"testing"

	"github.com/portico/portico/internal/store"
)

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
