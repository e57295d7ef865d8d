// Package sealed is the embedded adapter of the secrets port: each value
// is encrypted with AES-256-GCM under a local key and kept in the
// single-table store, in a partition of its own per tenant
// (PK "SECRET#<tenant>", SK the name). The tenant and the name are the
// additional authenticated data, so a ciphertext copied to another tenant
// or name does not decrypt. The key comes from a file created 0600 in the
// data dir, or from PORTICO_SECRETS_KEY (LoadKey).
package sealed

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/portico/portico/internal/secrets"
	"github.com/portico/portico/internal/store"
)

// KeySize is the AES-256 key length.
const KeySize = 32

// ErrKey means a stored value was sealed under another key, or was
// tampered with, or was moved to another tenant or name.
var ErrKey = errors.New("sealed: the value does not open with this key")

// Config configures a Store.
type Config struct {
	Store store.Store // required
	Key   []byte      // required, KeySize bytes
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Store keeps secrets sealed in a store.Store.
type Store struct {
	st    store.Store
	aead  cipher.AEAD
	keyID string
	now   func() time.Time
}

// New returns a Store.
func New(cfg Config) (*Store, error) {
	if cfg.Store == nil {
		return nil, errors.New("sealed: Config.Store is required")
	}
	if len(cfg.Key) != KeySize {
		return nil, fmt.Errorf("sealed: Config.Key is %d bytes, want %d", len(cfg.Key), KeySize)
	}
	block, err := aes.NewCipher(cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("sealed: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealed: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	sum := sha256.Sum256(cfg.Key)
	return &Store{st: cfg.Store, aead: aead, keyID: hex.EncodeToString(sum[:4]), now: cfg.Now}, nil
}

// PK is the partition of a tenant's sealed secrets.
func PK(tenant string) string { return "SECRET#" + tenant }

// sealedValue is the stored document. KeyID (the first 4 bytes of the
// key's SHA-256) tells a value sealed under another key from a tampered
// one in errors; it is not secret.
type sealedValue struct {
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updatedAt"`
	KeyID     string    `json:"kid"`
	Sealed    []byte    `json:"sealed"` // nonce || ciphertext || tag
}

func additionalData(tenant, name string) []byte {
	return []byte("portico/secret/v1\x00" + tenant + "\x00" + name)
}

// Get opens the value of (tenant, name).
func (s *Store) Get(ctx context.Context, tenant, name string) (string, error) {
	sv, _, err := s.read(ctx, tenant, name)
	if err != nil {
		return "", err
	}
	n := s.aead.NonceSize()
	if len(sv.Sealed) < n+s.aead.Overhead() {
		return "", fmt.Errorf("secret %q: %w", name, ErrKey)
	}
	plain, err := s.aead.Open(nil, sv.Sealed[:n], sv.Sealed[n:], additionalData(tenant, name))
	if err != nil {
		if sv.KeyID != s.keyID {
			return "", fmt.Errorf("secret %q sealed under key %s, not %s: %w", name, sv.KeyID, s.keyID, ErrKey)
		}
		return "", fmt.Errorf("secret %q: %w", name, ErrKey)
	}
	return string(plain), nil
}

func (s *Store) read(ctx context.Context, tenant, name string) (*sealedValue, store.Item, error) {
	if err := secrets.CheckName(tenant, name); err != nil {
		return nil, store.Item{}, err
	}
	it, err := s.st.Get(ctx, store.Key{PK: PK(tenant), SK: name})
	if errors.Is(err, store.ErrNotFound) {
		return nil, it, fmt.Errorf("secret %q: %w", name, secrets.ErrNotFound)
	}
	if err != nil {
		return nil, it, fmt.Errorf("read secret %q: %w", name, err)
	}
	var sv sealedValue
	if err := json.Unmarshal(it.Data, &sv); err != nil {
		return nil, it, fmt.Errorf("decode secret %q: %w", name, err)
	}
	return &sv, it, nil
}

// Put seals value under a fresh random nonce and stores it, one version
// after the stored one (a concurrent Put of the same name is retried).
func (s *Store) Put(ctx context.Context, tenant, name, value string) (secrets.Metadata, error) {
	if err := secrets.CheckName(tenant, name); err != nil {
		return secrets.Metadata{}, err
	}
	if err := secrets.CheckValue(value); err != nil {
		return secrets.Metadata{}, err
	}
	for range 8 {
		old, it, err := s.read(ctx, tenant, name)
		cond := store.IfAbsent()
		var version int64 = 1
		switch {
		case errors.Is(err, secrets.ErrNotFound):
		case err != nil:
			return secrets.Metadata{}, err
		default:
			cond, version = store.IfVersion(it.Version), old.Version+1
		}
		nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(value)+s.aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return secrets.Metadata{}, fmt.Errorf("sealed: nonce: %w", err)
		}
		sv := sealedValue{Version: version, UpdatedAt: s.now().UTC(), KeyID: s.keyID,
			Sealed: s.aead.Seal(nonce, nonce, []byte(value), additionalData(tenant, name))}
		data, err := json.Marshal(&sv)
		if err != nil {
			return secrets.Metadata{}, fmt.Errorf("encode secret %q: %w", name, err)
		}
		err = s.st.Put(ctx, store.Item{PK: PK(tenant), SK: name, Version: version, Data: data}, cond)
		switch {
		case errors.Is(err, store.ErrConditionFailed):
			continue // another writer got in first: go one version after it
		case err != nil:
			return secrets.Metadata{}, fmt.Errorf("write secret %q: %w", name, err)
		}
		return meta(name, &sv), nil
	}
	return secrets.Metadata{}, fmt.Errorf("write secret %q: too many concurrent writers", name)
}

func meta(name string, sv *sealedValue) secrets.Metadata {
	return secrets.Metadata{Name: name, Version: strconv.FormatInt(sv.Version, 10), UpdatedAt: sv.UpdatedAt}
}

// Delete removes the secret.
func (s *Store) Delete(ctx context.Context, tenant, name string) error {
	if err := secrets.CheckName(tenant, name); err != nil {
		return err
	}
	err := s.st.Delete(ctx, store.Key{PK: PK(tenant), SK: name}, store.IfExists())
	switch {
	case errors.Is(err, store.ErrConditionFailed), errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("secret %q: %w", name, secrets.ErrNotFound)
	case err != nil:
		return fmt.Errorf("delete secret %q: %w", name, err)
	}
	return nil
}

// List returns the metadata of the tenant's secrets, by name.
func (s *Store) List(ctx context.Context, tenant string) ([]secrets.Metadata, error) {
	if err := secrets.CheckName(tenant, "x"); err != nil {
		return nil, err
	}
	var out []secrets.Metadata
	q := store.Query{PK: PK(tenant), Limit: store.MaxQueryLimit}
	for {
		page, err := s.st.Query(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("list secrets: %w", err)
		}
		for _, it := range page.Items {
			var sv sealedValue
			if err := json.Unmarshal(it.Data, &sv); err != nil {
				return nil, fmt.Errorf("decode secret %q: %w", it.SK, err)
			}
			out = append(out, meta(it.SK, &sv))
		}
		if page.Cursor == "" {
			return out, nil
		}
		q.Cursor = page.Cursor
	}
}

var _ secrets.Store = (*Store)(nil)
