package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/portico/portico/internal/store"
)

func testTransact(t *testing.T, s store.Store, clk *clock) {
	ctx := t.Context()
	a := item("TX", "a", 1, "a1")
	b := item("TX", "b", 1, "b1")
	c := item("TX", "c", 1, "c1")
	mustPut(t, s, a)
	mustPut(t, s, b)
	expiredItem := store.Item{PK: "TX", SK: "expired", Version: 1, ExpiresAt: clk.Now().Unix()}
	mustPut(t, s, expiredItem)

	a2 := item("TX", "a", 2, "a2")
	d := item("TX", "d", 1, "d1")
	cKey, bKey, eKey := c.Key(), b.Key(), expiredItem.Key()
	failing := []struct {
		name  string
		ops   []store.WriteOp
		index int
	}{
		{"last put fails", []store.WriteOp{
			{Put: &a2, Cond: store.IfVersion(1)},
			{Put: &d, Cond: store.IfAbsent()},
			{Put: &b, Cond: store.IfAbsent()},
		}, 2},
		{"first op fails", []store.WriteOp{
			{Put: &a2, Cond: store.IfVersion(5)},
			{Put: &d},
		}, 0},
		{"delete fails", []store.WriteOp{
			{Put: &d},
			{Delete: &cKey, Cond: store.IfExists()},
		}, 1},
		{"check fails", []store.WriteOp{
			{Put: &a2},
			{Check: &bKey, Cond: store.IfVersion(2)},
			{Put: &d},
		}, 1},
		{"check on expired fails", []store.WriteOp{
			{Put: &d},
			{Check: &eKey, Cond: store.IfExists()},
		}, 1},
	}
	for _, f := range failing {
		err := s.Transact(ctx, f.ops)
		var txErr *store.TxError
		if !errors.As(err, &txErr) {
			t.Fatalf("%s: Transact = %v, want *store.TxError", f.name, err)
		}
		if txErr.Index != f.index {
			t.Errorf("%s: TxError.Index = %d, want %d", f.name, txErr.Index, f.index)
		}
		if !errors.Is(err, store.ErrConditionFailed) {
			t.Errorf("%s: %v does not wrap ErrConditionFailed", f.name, err)
		}
		// Nothing changed.
		wantItem(t, s, a)
		wantItem(t, s, b)
		wantAbsent(t, s, c.Key())
		wantAbsent(t, s, d.Key())
	}

	// Success: conditions are checked against the state before the
	// transaction; puts, deletes and checks apply together.
	aKey := a.Key()
	ops := []store.WriteOp{
		{Put: &a2, Cond: store.IfVersion(1)},
		{Delete: &bKey, Cond: store.IfExists()},
		{Put: &c, Cond: store.IfAbsent()},
		{Check: &eKey, Cond: store.IfAbsent()},
	}
	wantNoErr(t, "Transact", s.Transact(ctx, ops))
	wantItem(t, s, a2)
	wantAbsent(t, s, bKey)
	wantItem(t, s, c)

	// A check that holds, with an unconditional delete.
	ops = []store.WriteOp{
		{Check: &aKey, Cond: store.IfVersion(2)},
		{Delete: &cKey},
		{Put: &d, Cond: store.IfAbsent()},
	}
	wantNoErr(t, "Transact with check", s.Transact(ctx, ops))
	wantAbsent(t, s, cKey)
	wantItem(t, s, d)

	wantNoErr(t, "empty Transact", s.Transact(ctx, nil))
}

func testTransactLimits(t *testing.T, s store.Store, _ *clock) {
	ctx := t.Context()
	build := func(n int, sk string) ([]store.WriteOp, []store.Item) {
		items := make([]store.Item, n)
		ops := make([]store.WriteOp, n)
		for i := range items {
			items[i] = item("LIM", fmt.Sprintf("%s%03d", sk, i), 1, "x")
			ops[i] = store.WriteOp{Put: &items[i], Cond: store.IfAbsent()}
		}
		return ops, items
	}

	ops, items := build(store.MaxTxOps+1, "over")
	wantErr(t, "Transact 101 ops", s.Transact(ctx, ops), store.ErrInvalidRequest)
	wantAbsent(t, s, items[0].Key())

	ops, items = build(store.MaxTxOps, "max")
	wantNoErr(t, "Transact 100 ops", s.Transact(ctx, ops))
	wantItem(t, s, items[0])
	wantItem(t, s, items[store.MaxTxOps-1])

	x := item("LIM", "dup", 1, "x")
	xKey := x.Key()
	other := item("LIM", "other", 1, "x")
	invalid := []struct {
		name string
		ops  []store.WriteOp
	}{
		{"put and delete same key", []store.WriteOp{{Put: &other}, {Put: &x}, {Delete: &xKey}}},
		{"put and check same key", []store.WriteOp{{Put: &x}, {Check: &xKey, Cond: store.IfAbsent()}}},
		{"check without condition", []store.WriteOp{{Put: &other}, {Check: &xKey}}},
		{"op with nothing", []store.WriteOp{{Put: &other}, {}}},
		{"op with two things", []store.WriteOp{{Put: &x, Delete: &xKey}}},
		{"invalid key", []store.WriteOp{{Put: &other}, {Delete: &store.Key{PK: "LIM"}}}},
	}
	for _, in := range invalid {
		err := s.Transact(ctx, in.ops)
		wantErr(t, in.name, err, store.ErrInvalidRequest)
		var txErr *store.TxError
		if errors.As(err, &txErr) {
			t.Errorf("%s: got a TxError for an invalid request: %v", in.name, err)
		}
		wantAbsent(t, s, other.Key())
		wantAbsent(t, s, xKey)
	}
}
