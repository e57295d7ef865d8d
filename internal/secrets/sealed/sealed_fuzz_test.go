package sealed_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/portico/portico/internal/secrets"
	"github.com/portico/portico/internal/secrets/sealed"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

// FuzzSeal: whatever tenant, name and value a caller sends, the store
// either refuses them (ErrInvalid) or gives the value back exactly, and the
// stored item never holds it in clear.
func FuzzSeal(f *testing.F) {
	f.Add("acme", "stripe", "sk_live_1234567890")
	f.Add("acme", ".webhook.wh_1", "whsec_abc")
	f.Add("a", "n", "\x00\xff")
	f.Add("acme-2", "../x", "v")
	st, err := bolt.Open(f.Context(), bolt.Config{Path: filepath.Join(f.TempDir(), "fuzz.db")})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	s, err := sealed.New(sealed.Config{Store: st, Key: key()})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tenant, name, value string) {
		ctx := t.Context()
		if _, err := s.Put(ctx, tenant, name, value); err != nil {
			if !errors.Is(err, secrets.ErrInvalid) {
				t.Fatalf("Put(%q, %q): %v", tenant, name, err)
			}
			return
		}
		got, err := s.Get(ctx, tenant, name)
		if err != nil || got != value {
			t.Fatalf("Get(%q, %q) = %q, %v; want %q", tenant, name, got, err, value)
		}
		it, err := st.Get(ctx, store.Key{PK: sealed.PK(tenant), SK: name})
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Sealed []byte }
		if err := json.Unmarshal(it.Data, &doc); err != nil {
			t.Fatal(err)
		}
		// (Only the sealed bytes: the document's field names are text too.)
		if len(value) >= 8 && bytes.Contains(doc.Sealed, []byte(value)) {
			t.Fatalf("the stored item holds %q in clear", value)
		}
	})
}
