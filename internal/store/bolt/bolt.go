// Package bolt is the embedded adapter of the store port, on bbolt.
//
// It gives a single process the semantics of the DynamoDB adapter (used by
// the local gateway and by tests): one bucket holds the table, keyed by
// PK\x00SK; a second holds the sparse GSI1, keyed by
// GSI1PK\x00GSI1SK\x00PK\x00SK with an empty value (the item is read from the
// table). Keys never contain NUL (store.Key.Validate), so the encoding sorts
// like DynamoDB's byte-wise string order. Expired items stay on disk until
// overwritten or deleted, but are invisible to reads and absent for
// conditions.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/portico/portico/internal/store"
)

// Bucket names.
const (
	tableBucket = "table"
	indexBucket = "gsi1"
)

// Config configures Open.
type Config struct {
	// Path of the database file; created if missing.
	Path string
	// Now is the clock used for item expiry; nil means time.Now.
	Now func() time.Time
	// LockTimeout bounds the wait for the file lock held by another
	// process; 0 means 5 seconds.
	LockTimeout time.Duration
}

// Store is a store.Store on a bbolt file. It is safe for concurrent use.
type Store struct {
	db  *bbolt.DB
	now func() time.Time
}

// Open opens (creating if needed) the database at cfg.Path.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bolt: open: %w", err)
	}
	if cfg.Path == "" {
		return nil, errors.New("bolt: open: empty Path")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LockTimeout == 0 {
		cfg.LockTimeout = 5 * time.Second
	}
	db, err := bbolt.Open(cfg.Path, 0o600, &bbolt.Options{Timeout: cfg.LockTimeout})
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", cfg.Path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range []string{tableBucket, indexBucket} {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("bolt: open %s: %w", cfg.Path, err)
	}
	return &Store{db: db, now: cfg.Now}, nil
}

// Close closes the database file.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("bolt: close: %w", err)
	}
	return nil
}

// Get returns the live item with key, or store.ErrNotFound.
func (s *Store) Get(ctx context.Context, key store.Key) (store.Item, error) {
	if err := ctx.Err(); err != nil {
		return store.Item{}, fmt.Errorf("bolt: get: %w", err)
	}
	if err := key.Validate(); err != nil {
		return store.Item{}, fmt.Errorf("bolt: get: %w", err)
	}
	now := s.now().Unix()
	var it store.Item
	err := s.db.View(func(tx *bbolt.Tx) error {
		var ok bool
		var err error
		it, ok, err = getLive(tx.Bucket([]byte(tableBucket)), key, now)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return store.Item{}, fmt.Errorf("bolt: get %q/%q: %w", key.PK, key.SK, err)
	}
	return it, nil
}

// Put writes item if cond holds, else returns store.ErrConditionFailed.
func (s *Store) Put(ctx context.Context, item store.Item, cond store.Cond) error {
	if err := s.single(ctx, store.WriteOp{Put: &item, Cond: cond}); err != nil {
		return fmt.Errorf("bolt: put %q/%q: %w", item.PK, item.SK, err)
	}
	return nil
}

// Delete removes the item with key if cond holds, else returns
// store.ErrConditionFailed. Deleting a missing item with CondNone succeeds.
func (s *Store) Delete(ctx context.Context, key store.Key, cond store.Cond) error {
	if err := s.single(ctx, store.WriteOp{Delete: &key, Cond: cond}); err != nil {
		return fmt.Errorf("bolt: delete %q/%q: %w", key.PK, key.SK, err)
	}
	return nil
}

func (s *Store) single(ctx context.Context, op store.WriteOp) error {
	err := s.apply(ctx, []store.WriteOp{op})
	var txErr *store.TxError
	if errors.As(err, &txErr) {
		return store.ErrConditionFailed
	}
	return err
}

// Transact applies ops in one bbolt write transaction: every condition is
// checked against the state before the transaction, then every write is
// applied, or nothing is.
func (s *Store) Transact(ctx context.Context, ops []store.WriteOp) error {
	if err := s.apply(ctx, ops); err != nil {
		return fmt.Errorf("bolt: transact: %w", err)
	}
	return nil
}

func (s *Store) apply(ctx context.Context, ops []store.WriteOp) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := store.ValidateTx(ops); err != nil || len(ops) == 0 {
		return err
	}
	now := s.now().Unix()
	return s.db.Update(func(tx *bbolt.Tx) error {
		table, index := tx.Bucket([]byte(tableBucket)), tx.Bucket([]byte(indexBucket))
		keys := make([]store.Key, len(ops))
		for i, op := range ops {
			keys[i] = op.Key()
			old, ok, err := getLive(table, keys[i], now)
			if err != nil {
				return err
			}
			if !holds(op.Cond, old, ok) {
				return &store.TxError{Index: i}
			}
		}
		for i, op := range ops {
			if op.Check != nil {
				continue
			}
			tk := tableKey(keys[i].PK, keys[i].SK)
			// Remove the old index entry even if the item had expired.
			if raw := table.Get(tk); raw != nil {
				old, err := decodeItem(keys[i], raw)
				if err != nil {
					return err
				}
				if old.GSI1PK != "" {
					if err := index.Delete(indexKey(old)); err != nil {
						return fmt.Errorf("delete index entry: %w", err)
					}
				}
			}
			if op.Delete != nil {
				if err := table.Delete(tk); err != nil {
					return fmt.Errorf("delete item: %w", err)
				}
				continue
			}
			if err := table.Put(tk, encodeItem(*op.Put)); err != nil {
				return fmt.Errorf("put item: %w", err)
			}
			if op.Put.GSI1PK != "" {
				if err := index.Put(indexKey(*op.Put), nil); err != nil {
					return fmt.Errorf("put index entry: %w", err)
				}
			}
		}
		return nil
	})
}

func holds(c store.Cond, old store.Item, live bool) bool {
	switch c.Kind {
	case store.CondAbsent:
		return !live
	case store.CondExists:
		return live
	case store.CondVersion:
		return live && old.Version == c.Version
	default:
		return true
	}
}

func getLive(table *bbolt.Bucket, key store.Key, now int64) (store.Item, bool, error) {
	raw := table.Get(tableKey(key.PK, key.SK))
	if raw == nil {
		return store.Item{}, false, nil
	}
	it, err := decodeItem(key, raw)
	if err != nil {
		return store.Item{}, false, err
	}
	if expired(it, now) {
		return store.Item{}, false, nil
	}
	return it, true, nil
}

func expired(it store.Item, now int64) bool {
	return it.ExpiresAt != 0 && it.ExpiresAt <= now
}

func tableKey(pk, sk string) []byte {
	b := make([]byte, 0, len(pk)+1+len(sk))
	b = append(b, pk...)
	b = append(b, 0)
	return append(b, sk...)
}

func indexKey(it store.Item) []byte {
	b := make([]byte, 0, len(it.GSI1PK)+len(it.GSI1SK)+len(it.PK)+len(it.SK)+3)
	for i, part := range []string{it.GSI1PK, it.GSI1SK, it.PK, it.SK} {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, part...)
	}
	return b
}

// splitKey splits a table key into its PK and SK, or an index key into its
// four parts.
func splitKey(k []byte, parts int) ([]string, bool) {
	out := make([]string, 0, parts)
	for range parts - 1 {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			return nil, false
		}
		out = append(out, string(k[:i]))
		k = k[i+1:]
	}
	if bytes.IndexByte(k, 0) >= 0 {
		return nil, false
	}
	return append(out, string(k)), true
}

// Item values are: format byte, uvarint Version (zig-zag), uvarint ExpiresAt,
// uvarint-length-prefixed GSI1PK and GSI1SK, then Data to the end.
const formatV1 = 1

func encodeItem(it store.Item) []byte {
	b := make([]byte, 0, 1+3*binary.MaxVarintLen64+len(it.GSI1PK)+len(it.GSI1SK)+2*binary.MaxVarintLen64+len(it.Data))
	b = append(b, formatV1)
	b = binary.AppendVarint(b, it.Version)
	b = binary.AppendVarint(b, it.ExpiresAt)
	b = binary.AppendUvarint(b, uint64(len(it.GSI1PK)))
	b = append(b, it.GSI1PK...)
	b = binary.AppendUvarint(b, uint64(len(it.GSI1SK)))
	b = append(b, it.GSI1SK...)
	return append(b, it.Data...)
}

var errCorrupt = errors.New("corrupt item")

// decodeItem copies everything it returns out of raw, which bbolt owns.
func decodeItem(key store.Key, raw []byte) (store.Item, error) {
	it := store.Item{PK: key.PK, SK: key.SK}
	if len(raw) == 0 || raw[0] != formatV1 {
		return it, errCorrupt
	}
	raw = raw[1:]
	var n int
	if it.Version, n = binary.Varint(raw); n <= 0 {
		return it, errCorrupt
	}
	raw = raw[n:]
	if it.ExpiresAt, n = binary.Varint(raw); n <= 0 {
		return it, errCorrupt
	}
	raw = raw[n:]
	for _, dst := range []*string{&it.GSI1PK, &it.GSI1SK} {
		l, n := binary.Uvarint(raw)
		if n <= 0 || l > uint64(len(raw)-n) {
			return it, errCorrupt
		}
		*dst = string(raw[n : n+int(l)])
		raw = raw[n+int(l):]
	}
	if len(raw) > 0 {
		it.Data = bytes.Clone(raw)
	}
	return it, nil
}

var _ store.Store = (*Store)(nil)
