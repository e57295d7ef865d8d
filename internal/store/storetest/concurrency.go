package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/portico/portico/internal/store"
)

func testConcurrentPuts(t *testing.T, s store.Store, _ *clock) {
	const workers = 16
	ctx := t.Context()
	key := store.Key{PK: "RACE", SK: "one"}
	run := func(put func(i int) error) (winner int) {
		t.Helper()
		start := make(chan struct{})
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				<-start
				errs[i] = put(i)
			})
		}
		close(start)
		wg.Wait()
		winner = -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("workers %d and %d both won", winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, store.ErrConditionFailed):
				t.Fatalf("worker %d: %v, want ErrConditionFailed", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no worker won")
		}
		return winner
	}

	data := func(i int) []byte { return []byte{byte(i)} }
	w := run(func(i int) error {
		return s.Put(ctx, store.Item{PK: key.PK, SK: key.SK, Version: 1, Data: data(i)}, store.IfAbsent())
	})
	wantItem(t, s, store.Item{PK: key.PK, SK: key.SK, Version: 1, Data: data(w)})

	w = run(func(i int) error {
		return s.Put(ctx, store.Item{PK: key.PK, SK: key.SK, Version: 2, Data: data(i)}, store.IfVersion(1))
	})
	wantItem(t, s, store.Item{PK: key.PK, SK: key.SK, Version: 2, Data: data(w)})

	w = run(func(i int) error {
		it := store.Item{PK: key.PK, SK: key.SK, Version: 3, Data: data(i)}
		other := store.Item{PK: key.PK, SK: "other" + string(rune('a'+i)), Version: 1}
		return s.Transact(ctx, []store.WriteOp{{Put: &other, Cond: store.IfAbsent()}, {Put: &it, Cond: store.IfVersion(2)}})
	})
	wantItem(t, s, store.Item{PK: key.PK, SK: key.SK, Version: 3, Data: data(w)})
	p, err := s.Query(ctx, store.Query{PK: key.PK, SKPrefix: "other"})
	wantNoErr(t, "Query", err)
	if len(p.Items) != 1 || p.Items[0].SK != "other"+string(rune('a'+w)) {
		t.Fatalf("after racing transactions: %q, want only the winner's", sks(p.Items))
	}
}
