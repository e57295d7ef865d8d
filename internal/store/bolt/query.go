package bolt

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/portico/portico/internal/store"
)

// Query returns live items of q.PK whose SK starts with q.SKPrefix.
func (s *Store) Query(ctx context.Context, q store.Query) (store.Page, error) {
	p, err := s.query(ctx, q, false)
	if err != nil {
		return store.Page{}, fmt.Errorf("bolt: query %q: %w", q.PK, err)
	}
	return p, nil
}

// QueryIndex returns live items whose GSI1PK is q.PK and whose GSI1SK starts
// with q.SKPrefix.
func (s *Store) QueryIndex(ctx context.Context, q store.IndexQuery) (store.Page, error) {
	p, err := s.query(ctx, q, true)
	if err != nil {
		return store.Page{}, fmt.Errorf("bolt: query index %q: %w", q.PK, err)
	}
	return p, nil
}

func (s *Store) query(ctx context.Context, q store.Query, onIndex bool) (store.Page, error) {
	if err := ctx.Err(); err != nil {
		return store.Page{}, err
	}
	limit, err := q.PageLimit()
	if err != nil {
		return store.Page{}, err
	}
	prefix := tableKey(q.PK, q.SKPrefix)
	var after []byte
	if q.Cursor != "" {
		if after, err = decodeCursor(q.Cursor, onIndex, prefix); err != nil {
			return store.Page{}, err
		}
	}
	now := s.now().Unix()
	page := store.Page{Items: make([]store.Item, 0, min(limit, 64))}
	err = s.db.View(func(tx *bbolt.Tx) error {
		table := tx.Bucket([]byte(tableBucket))
		bucket := table
		if onIndex {
			bucket = tx.Bucket([]byte(indexBucket))
		}
		c := bucket.Cursor()
		k, v := first(c, prefix, after, q.Reverse)
		var last []byte
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = step(c, q.Reverse) {
			it, ok, err := load(table, k, v, onIndex, now)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if len(page.Items) == limit {
				// A further live item exists: this page is not the last.
				page.Cursor = encodeCursor(last, onIndex)
				return nil
			}
			page.Items = append(page.Items, it)
			last = bytes.Clone(k)
		}
		return nil
	})
	if err != nil {
		return store.Page{}, err
	}
	return page, nil
}

// first positions c on the first key to visit: the first (or, reversed, the
// last) key with prefix, or the one just past after.
func first(c *bbolt.Cursor, prefix, after []byte, reverse bool) (k, v []byte) {
	switch {
	case !reverse && after == nil:
		return c.Seek(prefix)
	case !reverse:
		k, v = c.Seek(after)
		if bytes.Equal(k, after) {
			k, v = c.Next()
		}
		return k, v
	}
	bound := after
	if bound == nil {
		bound = successor(prefix)
	}
	if bound == nil {
		return c.Last()
	}
	if k, _ := c.Seek(bound); k == nil {
		return c.Last()
	}
	return c.Prev()
}

func step(c *bbolt.Cursor, reverse bool) (k, v []byte) {
	if reverse {
		return c.Prev()
	}
	return c.Next()
}

// successor returns the smallest key greater than every key with prefix p,
// or nil if there is none.
func successor(p []byte) []byte {
	s := bytes.Clone(p)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] < 0xff {
			s[i]++
			return s[:i+1]
		}
	}
	return nil
}

// load returns the item at table key k with value v, or the one index key k
// points at.
func load(table *bbolt.Bucket, k, v []byte, onIndex bool, now int64) (store.Item, bool, error) {
	if onIndex {
		parts, ok := splitKey(k, 4)
		if !ok {
			return store.Item{}, false, errCorrupt
		}
		return getLive(table, store.Key{PK: parts[2], SK: parts[3]}, now)
	}
	parts, ok := splitKey(k, 2)
	if !ok {
		return store.Item{}, false, errCorrupt
	}
	it, err := decodeItem(store.Key{PK: parts[0], SK: parts[1]}, v)
	if err != nil || expired(it, now) {
		return store.Item{}, false, err
	}
	return it, true, nil
}

// Cursors are base64url (unpadded) of a tag byte ('t' table, 'i' index) and
// the last key returned.
const (
	tagTable = 't'
	tagIndex = 'i'
)

func encodeCursor(k []byte, onIndex bool) string {
	tag := byte(tagTable)
	if onIndex {
		tag = tagIndex
	}
	return base64.RawURLEncoding.EncodeToString(append([]byte{tag}, k...))
}

// decodeCursor returns the key a cursor resumes after; it must lie within
// the queried prefix and have the shape of a key of the queried bucket.
func decodeCursor(cur string, onIndex bool, prefix []byte) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cur)
	if err != nil || len(raw) < 2 {
		return nil, store.ErrInvalidCursor
	}
	tag, parts := byte(tagTable), 2
	if onIndex {
		tag, parts = tagIndex, 4
	}
	k := raw[1:]
	if raw[0] != tag || !bytes.HasPrefix(k, prefix) {
		return nil, store.ErrInvalidCursor
	}
	ps, ok := splitKey(k, parts)
	if !ok {
		return nil, store.ErrInvalidCursor
	}
	for _, p := range ps {
		if p == "" {
			return nil, store.ErrInvalidCursor
		}
	}
	return k, nil
}
