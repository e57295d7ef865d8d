package sealed_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico/portico/internal/secrets"
	"github.com/portico/portico/internal/secrets/sealed"
	"github.com/portico/portico/internal/secrets/secretstest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
	"github.com/portico/portico/internal/store/dynamo"
	"github.com/portico/portico/internal/testenv/dynamolocal"
)

func boltStore(t *testing.T) store.Store {
	t.Helper()
	s, err := bolt.Open(t.Context(), bolt.Config{Path: filepath.Join(t.TempDir(), "portico.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newSealed(t *testing.T, st store.Store, key []byte) *sealed.Store {
	t.Helper()
	s, err := sealed.New(sealed.Config{Store: st, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func key() []byte { k := make([]byte, sealed.KeySize); _, _ = rand.Read(k); return k }

func TestConformanceBolt(t *testing.T) {
	secretstest.Run(t, func(t *testing.T) secrets.Store { return newSealed(t, boltStore(t), key()) })
}

// TestConformanceDynamoDB runs the suite over DynamoDB Local: one emulator,
// a fresh table per subtest.
func TestConformanceDynamoDB(t *testing.T) {
	if testing.Short() {
		t.Skip("starts DynamoDB Local")
	}
	client := dynamolocal.NewClient(dynamolocal.Start(t))
	secretstest.Run(t, func(t *testing.T) secrets.Store {
		table := "portico-secrets-" + rand.Text()
		if err := dynamo.CreateTable(t.Context(), client, table); err != nil {
			t.Fatal(err)
		}
		st, err := dynamo.New(client, dynamo.Config{Table: table})
		if err != nil {
			t.Fatal(err)
		}
		return newSealed(t, st, key())
	})
}

// TestAtRest checks what lands in the store: no plaintext, a random nonce
// per write, and a ciphertext that opens only for its own tenant and name
// under its own key.
func TestAtRest(t *testing.T) {
	st, k := boltStore(t), key()
	s := newSealed(t, st, k)
	ctx := t.Context()
	const value = "super-secret-value-123"
	if _, err := s.Put(ctx, "acme", "db", value); err != nil {
		t.Fatal(err)
	}
	it, err := st.Get(ctx, store.Key{PK: sealed.PK("acme"), SK: "db"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(it.Data, []byte(value)) {
		t.Fatal("the stored item contains the plaintext")
	}
	if _, err := s.Put(ctx, "acme", "db", value); err != nil {
		t.Fatal(err)
	}
	it2, _ := st.Get(ctx, store.Key{PK: sealed.PK("acme"), SK: "db"})
	var a, b struct{ Sealed []byte }
	_ = json.Unmarshal(it.Data, &a)
	_ = json.Unmarshal(it2.Data, &b)
	if bytes.Equal(a.Sealed[:12], b.Sealed[:12]) {
		t.Error("two writes used the same nonce")
	}

	tests := []struct {
		name         string
		pk, sk       string
		key          []byte
		tenant, item string
	}{
		{"moved to another tenant", sealed.PK("globex"), "db", k, "globex", "db"},
		{"moved to another name", sealed.PK("acme"), "other", k, "acme", "other"},
		{"opened with another key", sealed.PK("acme"), "db", key(), "acme", "db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			moved := it2
			moved.PK, moved.SK = tt.pk, tt.sk
			if err := st.Put(ctx, moved, store.Cond{}); err != nil {
				t.Fatal(err)
			}
			_, err := newSealed(t, st, tt.key).Get(ctx, tt.tenant, tt.item)
			if !errors.Is(err, sealed.ErrKey) {
				t.Fatalf("Get error = %v, want ErrKey", err)
			}
			if strings.Contains(err.Error(), value) {
				t.Error("error contains the value")
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := sealed.New(sealed.Config{Key: key()}); err == nil {
		t.Error("New without a store succeeded")
	}
	if _, err := sealed.New(sealed.Config{Store: boltStore(t), Key: make([]byte, 16)}); err == nil {
		t.Error("New with a 16-byte key succeeded")
	}
}

func TestLoadKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k1, err := sealed.LoadKey("", dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, sealed.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	k2, err := sealed.LoadKey("", dir)
	if err != nil || !bytes.Equal(k1, k2) || len(k1) != sealed.KeySize {
		t.Fatalf("second LoadKey = %x, %v; want the first key %x", k2, err, k1)
	}

	envKey := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	k3, err := sealed.LoadKey(envKey, dir)
	if err != nil || k3[31] != 31 {
		t.Fatalf("LoadKey(env) = %x, %v", k3, err)
	}
	if _, err := sealed.LoadKey("c2hvcnQ=", dir); err == nil {
		t.Error("a short env key was accepted")
	}

	if err := os.Chmod(filepath.Join(dir, sealed.KeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sealed.LoadKey("", dir); err == nil || !strings.Contains(err.Error(), "0600") {
		t.Errorf("a world-readable key file: error = %v, want a refusal naming 0600", err)
	}
}

func TestParseKeyForms(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb}, sealed.KeySize)
	for _, s := range []string{
		"+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s=",
		"-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s",
		" +/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s=\n",
	} {
		k, err := sealed.ParseKey(s)
		if err != nil || !bytes.Equal(k, raw) {
			t.Errorf("ParseKey(%q) = %x, %v", s, k, err)
		}
	}
	if _, err := sealed.ParseKey("not base64!"); err == nil || strings.Contains(err.Error(), "base64!") {
		t.Errorf("ParseKey(garbage) error = %v", err)
	}
}
