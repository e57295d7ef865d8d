package bolt_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
	"github.com/portico/portico/internal/store/storetest"
)

func newStore(t *testing.T, now func() time.Time) store.Store {
	t.Helper()
	s, err := bolt.Open(t.Context(), bolt.Config{Path: filepath.Join(t.TempDir(), "portico.db"), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, newStore)
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portico.db")
	s, err := bolt.Open(t.Context(), bolt.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	it := store.Item{PK: "P", SK: "S", GSI1PK: "G", GSI1SK: "H", Version: 3, Data: []byte("d")}
	if err := s.Put(t.Context(), it, store.IfAbsent()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = bolt.Open(t.Context(), bolt.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Get(t.Context(), it.Key())
	if err != nil || got.Version != 3 || string(got.Data) != "d" || got.GSI1SK != "H" {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := bolt.Open(t.Context(), bolt.Config{}); err == nil {
		t.Error("Open with empty Path succeeded")
	}
	if _, err := bolt.Open(t.Context(), bolt.Config{Path: filepath.Join(t.TempDir(), "missing", "dir", "x.db")}); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
}
