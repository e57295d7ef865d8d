package bolt_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

func benchStore(b *testing.B, n int) *bolt.Store {
	b.Helper()
	s, err := bolt.Open(b.Context(), bolt.Config{Path: filepath.Join(b.TempDir(), "bench.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	data := []byte(`{"name":"orders","upstream":"https://orders.internal","timeout_ms":3000}`)
	for start := 0; start < n; start += store.MaxTxOps {
		var ops []store.WriteOp
		for i := start; i < min(n, start+store.MaxTxOps); i++ {
			it := store.Item{
				PK: "TENANT#acme", SK: fmt.Sprintf("API#%06d", i),
				GSI1PK: "APIS", GSI1SK: fmt.Sprintf("acme#%06d", i),
				Version: 1, Data: data,
			}
			ops = append(ops, store.WriteOp{Put: &it})
		}
		if err := s.Transact(b.Context(), ops); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func BenchmarkGet(b *testing.B) {
	s := benchStore(b, 1000)
	key := store.Key{PK: "TENANT#acme", SK: "API#000500"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Get(b.Context(), key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQuery(b *testing.B) {
	s := benchStore(b, 1000)
	for _, limit := range []int{10, 100} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
			q := store.Query{PK: "TENANT#acme", SKPrefix: "API#", Limit: limit}
			b.ReportAllocs()
			for b.Loop() {
				p, err := s.Query(b.Context(), q)
				if err != nil || len(p.Items) != limit {
					b.Fatal(len(p.Items), err)
				}
			}
		})
	}
}

func BenchmarkQueryIndex(b *testing.B) {
	s := benchStore(b, 1000)
	q := store.Query{PK: "APIS", SKPrefix: "acme#", Limit: 100}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.QueryIndex(b.Context(), q); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPut(b *testing.B) {
	s := benchStore(b, 0)
	it := store.Item{PK: "TENANT#acme", SK: "API#1", Version: 1, Data: []byte(`{"name":"orders"}`)}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Put(b.Context(), it, store.Cond{}); err != nil {
			b.Fatal(err)
		}
	}
}
