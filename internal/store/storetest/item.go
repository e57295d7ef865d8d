package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/store"
)

func testGetPutDelete(t *testing.T, s store.Store, _ *clock) {
	ctx := t.Context()
	key := store.Key{PK: "TENANT#a", SK: "API#1"}
	wantAbsent(t, s, key)

	it := store.Item{PK: key.PK, SK: key.SK, GSI1PK: "G#1", GSI1SK: "S#1", Version: 1, ExpiresAt: 4102444800, Data: []byte(`{"a":1}`)}
	wantNoErr(t, "Put", s.Put(ctx, it, store.Cond{}))
	wantItem(t, s, it)

	it2 := store.Item{PK: key.PK, SK: key.SK, Version: 2, Data: []byte(`{"a":2}`)}
	wantNoErr(t, "Put overwrite", s.Put(ctx, it2, store.Cond{}))
	wantItem(t, s, it2)

	wantNoErr(t, "Delete", s.Delete(ctx, key, store.Cond{}))
	wantAbsent(t, s, key)
	wantNoErr(t, "Delete missing", s.Delete(ctx, key, store.Cond{}))

	// Negative versions and an empty Data round trip.
	it3 := store.Item{PK: key.PK, SK: key.SK, Version: -7}
	wantNoErr(t, "Put empty data", s.Put(ctx, it3, store.Cond{}))
	wantItem(t, s, it3)
}

// state is what a key holds before a conditional write.
type state int

const (
	missing state = iota
	live          // Version 3
	expired       // Version 3, ExpiresAt in the past
)

func (st state) String() string { return [...]string{"missing", "live", "expired"}[st] }

func testConditions(t *testing.T, s store.Store, clk *clock) {
	conds := []struct {
		cond store.Cond
		ok   [3]bool // indexed by state
	}{
		{store.Cond{}, [3]bool{true, true, true}},
		{store.IfAbsent(), [3]bool{true, false, true}},
		{store.IfExists(), [3]bool{false, true, false}},
		{store.IfVersion(3), [3]bool{false, true, false}},
		{store.IfVersion(4), [3]bool{false, false, false}},
		{store.IfVersion(0), [3]bool{false, false, false}},
	}
	now := clk.Now().Unix()
	n := 0
	for _, op := range []string{"Put", "Delete"} {
		for _, c := range conds {
			for st := missing; st <= expired; st++ {
				n++
				key := store.Key{PK: "COND", SK: strings.Repeat("x", n)}
				before := store.Item{PK: key.PK, SK: key.SK, Version: 3, Data: []byte("before")}
				if st == expired {
					before.ExpiresAt = now - 1
				}
				if st != missing {
					mustPut(t, s, before)
				}
				after := store.Item{PK: key.PK, SK: key.SK, Version: 9, Data: []byte("after")}
				var err error
				if op == "Put" {
					err = s.Put(t.Context(), after, c.cond)
				} else {
					err = s.Delete(t.Context(), key, c.cond)
				}
				what := op + " " + c.cond.String() + " on " + st.String()
				ok := c.ok[st]
				switch {
				case ok && err != nil:
					t.Errorf("%s: %v, want success", what, err)
				case !ok && !errors.Is(err, store.ErrConditionFailed):
					t.Errorf("%s: %v, want ErrConditionFailed", what, err)
				case !ok:
					var txErr *store.TxError
					if errors.As(err, &txErr) {
						t.Errorf("%s: single write returned %v, want plain ErrConditionFailed", what, err)
					}
				}
				switch {
				case ok && op == "Put":
					wantItem(t, s, after)
				case ok && op == "Delete", st != live:
					wantAbsent(t, s, key)
				default: // failed write changed nothing
					wantItem(t, s, before)
				}
			}
		}
	}
}

func testInvalidRequests(t *testing.T, s store.Store, _ *clock) {
	ctx := t.Context()
	bad := []struct {
		name string
		item store.Item
	}{
		{"empty PK", store.Item{SK: "s"}},
		{"empty SK", store.Item{PK: "p"}},
		{"NUL in PK", store.Item{PK: "p\x00q", SK: "s"}},
		{"NUL in SK", store.Item{PK: "p", SK: "s\x00"}},
		{"invalid UTF-8 in SK", store.Item{PK: "p", SK: "s\xff"}},
		{"invalid UTF-8 in GSI1SK", store.Item{PK: "p", SK: "s", GSI1PK: "g", GSI1SK: "\xc3("}},
		{"GSI1PK without GSI1SK", store.Item{PK: "p", SK: "s", GSI1PK: "g"}},
		{"GSI1SK without GSI1PK", store.Item{PK: "p", SK: "s", GSI1SK: "g"}},
		{"long PK", store.Item{PK: strings.Repeat("p", store.MaxPKBytes+1), SK: "s"}},
		{"long SK", store.Item{PK: "p", SK: strings.Repeat("s", store.MaxSKBytes+1)}},
		{"negative ExpiresAt", store.Item{PK: "p", SK: "s", ExpiresAt: -1}},
		{"data too large", store.Item{PK: "p", SK: "s", Data: make([]byte, store.MaxDataBytes+1)}},
	}
	for _, b := range bad {
		wantErr(t, "Put "+b.name, s.Put(ctx, b.item, store.Cond{}), store.ErrInvalidRequest)
		wantErr(t, "Transact Put "+b.name, s.Transact(ctx, []store.WriteOp{{Put: &b.item}}), store.ErrInvalidRequest)
	}
	_, err := s.Get(ctx, store.Key{PK: "p"})
	wantErr(t, "Get empty SK", err, store.ErrInvalidRequest)
	wantErr(t, "Delete empty PK", s.Delete(ctx, store.Key{SK: "s"}, store.Cond{}), store.ErrInvalidRequest)
	_, err = s.Query(ctx, store.Query{})
	wantErr(t, "Query empty PK", err, store.ErrInvalidRequest)
	_, err = s.QueryIndex(ctx, store.Query{})
	wantErr(t, "QueryIndex empty PK", err, store.ErrInvalidRequest)
	// The largest allowed item is accepted.
	maxItem := store.Item{
		PK: strings.Repeat("p", store.MaxPKBytes), SK: strings.Repeat("s", store.MaxSKBytes),
		GSI1PK: strings.Repeat("g", store.MaxPKBytes), GSI1SK: strings.Repeat("h", store.MaxSKBytes),
		Version: 1 << 62, ExpiresAt: 1 << 40, Data: make([]byte, store.MaxDataBytes),
	}
	wantNoErr(t, "Put largest item", s.Put(ctx, maxItem, store.Cond{}))
	wantItem(t, s, maxItem)
}

func testBinaryData(t *testing.T, s store.Store, _ *clock) {
	all := make([]byte, 0, 512)
	for i := range 256 {
		all = append(all, byte(i), byte(255-i))
	}
	cases := map[string][]byte{
		"every byte":    all,
		"invalid utf8":  {0xff, 0xfe, 0xc3, 0x28},
		"nul only":      {0},
		"json":          []byte(`{"k":"v","n":[1,2,3]}`),
		"single byte":   {'x'},
		"leading zeros": {0, 0, 0, 1},
	}
	for name, data := range cases {
		it := store.Item{PK: "BIN", SK: name, Version: 1, GSI1PK: "BIN", GSI1SK: name, Data: data}
		mustPut(t, s, it)
		wantItem(t, s, it)
	}
	p, err := s.Query(t.Context(), store.Query{PK: "BIN"})
	wantNoErr(t, "Query", err)
	pi, err := s.QueryIndex(t.Context(), store.Query{PK: "BIN"})
	wantNoErr(t, "QueryIndex", err)
	for _, items := range [][]store.Item{p.Items, pi.Items} {
		if len(items) != len(cases) {
			t.Fatalf("query returned %d items, want %d", len(items), len(cases))
		}
		for _, got := range items {
			if want := cases[got.SK]; string(got.Data) != string(want) {
				t.Errorf("query %s: data %q, want %q", got.SK, got.Data, want)
			}
		}
	}
}

func testLargeItem(t *testing.T, s store.Store, _ *clock) {
	data := make([]byte, 300<<10)
	x := uint32(2463534242)
	for i := range data { // xorshift: incompressible and reproducible
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		data[i] = byte(x)
	}
	it := store.Item{PK: "BIG", SK: "one", GSI1PK: "BIG", GSI1SK: "one", Version: 1, Data: data}
	mustPut(t, s, it)
	wantItem(t, s, it)
	for _, q := range []queryFunc{s.Query, s.QueryIndex} {
		p, err := q(t.Context(), store.Query{PK: "BIG"})
		wantNoErr(t, "query", err)
		if len(p.Items) != 1 || !equalItem(p.Items[0], it) {
			t.Fatalf("query returned %d items, want the large item", len(p.Items))
		}
	}
}

func testCanceledContext(t *testing.T, s store.Store, _ *clock) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	key := store.Key{PK: "CTX", SK: "x"}
	it := store.Item{PK: key.PK, SK: key.SK}
	_, err := s.Get(ctx, key)
	wantErr(t, "Get", err, context.Canceled)
	wantErr(t, "Put", s.Put(ctx, it, store.Cond{}), context.Canceled)
	wantErr(t, "Delete", s.Delete(ctx, key, store.Cond{}), context.Canceled)
	wantErr(t, "Transact", s.Transact(ctx, []store.WriteOp{{Put: &it}}), context.Canceled)
	_, err = s.Query(ctx, store.Query{PK: "CTX"})
	wantErr(t, "Query", err, context.Canceled)
	_, err = s.QueryIndex(ctx, store.Query{PK: "CTX"})
	wantErr(t, "QueryIndex", err, context.Canceled)
	wantAbsent(t, s, key)

	ctx, cancel = context.WithDeadline(t.Context(), time.Unix(0, 0))
	defer cancel()
	_, err = s.Get(ctx, key)
	wantErr(t, "Get after deadline", err, context.DeadlineExceeded)
}
