// Package store declares Portico's single-table storage port.
//
// Every persistent thing (tenants, APIs, endpoints, keys, audit entries,
// metrics) is an Item addressed by a partition key (PK) and a sort key (SK),
// optionally projected into one global secondary index (GSI1PK/GSI1SK). The
// model mirrors DynamoDB so that the AWS adapter is a thin translation and the
// embedded adapter (bbolt) has the same semantics. Adapters live in
// subpackages; the conformance suite in storetest runs against all of them.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sentinel errors returned (wrapped) by every adapter.
var (
	// ErrNotFound means no live item has the requested key.
	ErrNotFound = errors.New("store: item not found")
	// ErrConditionFailed means a write's condition did not hold; nothing was written.
	ErrConditionFailed = errors.New("store: condition failed")
	// ErrInvalidCursor means a pagination token was not produced by this store.
	ErrInvalidCursor = errors.New("store: invalid cursor")
	// ErrInvalidRequest means a key, item or transaction breaks the rules that
	// every adapter enforces alike (see Key.Validate, Item.Validate and
	// Transact); nothing was written.
	ErrInvalidRequest = errors.New("store: invalid request")
)

// Item is one stored record. Data is opaque to the store (JSON by convention).
type Item struct {
	PK string
	SK string
	// GSI1PK and GSI1SK project the item into the single secondary index.
	// An item with an empty GSI1PK is not indexed (sparse index).
	GSI1PK string
	GSI1SK string
	// Version is the optimistic-concurrency counter, compared by conditions.
	Version int64
	// ExpiresAt is a Unix time in seconds after which the item is treated as
	// absent (and eventually deleted); 0 means never.
	ExpiresAt int64
	Data      []byte
}

// Key addresses one item.
type Key struct {
	PK string
	SK string
}

// Key returns the item's primary key.
func (it Item) Key() Key { return Key{PK: it.PK, SK: it.SK} }

// CondKind selects the condition attached to a write.
type CondKind uint8

const (
	// CondNone writes unconditionally.
	CondNone CondKind = iota
	// CondAbsent requires that no live item has the key.
	CondAbsent
	// CondExists requires that a live item has the key.
	CondExists
	// CondVersion requires that a live item has the key and Version == Cond.Version.
	CondVersion
)

// Cond is a write condition.
type Cond struct {
	Kind    CondKind
	Version int64
}

// IfAbsent, IfExists and IfVersion build conditions.
func IfAbsent() Cond          { return Cond{Kind: CondAbsent} }
func IfExists() Cond          { return Cond{Kind: CondExists} }
func IfVersion(v int64) Cond  { return Cond{Kind: CondVersion, Version: v} }
func (c Cond) String() string { return fmt.Sprintf("cond(%d,%d)", c.Kind, c.Version) }

// WriteOp is one operation of a transaction: exactly one of Put, Delete or
// Check is set. Check asserts Cond on Key without writing.
type WriteOp struct {
	Put    *Item
	Delete *Key
	Check  *Key
	Cond   Cond
}

// Key returns the key the op addresses.
func (op WriteOp) Key() Key {
	switch {
	case op.Put != nil:
		return op.Put.Key()
	case op.Delete != nil:
		return *op.Delete
	case op.Check != nil:
		return *op.Check
	}
	return Key{}
}

// ValidateTx checks ops as DynamoDB's TransactWriteItems does, wrapping
// ErrInvalidRequest: at most MaxTxOps ops, each with exactly one of
// Put/Delete/Check and a valid key or item, a condition on every Check, and
// no two ops on the same key.
func ValidateTx(ops []WriteOp) error {
	if len(ops) > MaxTxOps {
		return fmt.Errorf("%w: %d operations, more than %d", ErrInvalidRequest, len(ops), MaxTxOps)
	}
	seen := make(map[Key]int, len(ops))
	for i, op := range ops {
		if err := op.validate(); err != nil {
			return fmt.Errorf("operation %d: %w", i, err)
		}
		k := op.Key()
		if j, dup := seen[k]; dup {
			return fmt.Errorf("%w: operations %d and %d on the same item", ErrInvalidRequest, j, i)
		}
		seen[k] = i
	}
	return nil
}

func (op WriteOp) validate() error {
	n := 0
	for _, set := range []bool{op.Put != nil, op.Delete != nil, op.Check != nil} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return fmt.Errorf("%w: want exactly one of Put, Delete, Check", ErrInvalidRequest)
	case op.Cond.Kind > CondVersion:
		return fmt.Errorf("%w: unknown %v", ErrInvalidRequest, op.Cond)
	case op.Check != nil && op.Cond.Kind == CondNone:
		return fmt.Errorf("%w: check without a condition", ErrInvalidRequest)
	case op.Put != nil:
		return op.Put.Validate()
	}
	return op.Key().Validate()
}

// TxError reports which operation of a transaction failed its condition. It
// wraps ErrConditionFailed.
type TxError struct {
	Index int
}

func (e *TxError) Error() string {
	return fmt.Sprintf("store: transaction operation %d: condition failed", e.Index)
}

// Unwrap returns ErrConditionFailed.
func (e *TxError) Unwrap() error { return ErrConditionFailed }

// Query selects items of one partition whose SK starts with SKPrefix, in SK
// order (descending when Reverse). Limit <= 0 means the adapter default (100);
// a Limit above MaxQueryLimit is capped. Cursor continues a previous page
// (with the same PK, SKPrefix and Reverse); it is opaque and adapter-specific.
// Every adapter fills a page up to Limit live items and returns an empty
// Cursor exactly when no more live items follow, so no page is empty unless
// the whole result is.
type Query struct {
	PK       string
	SKPrefix string
	Limit    int
	Reverse  bool
	Cursor   string
}

// IndexQuery is Query on GSI1: items whose GSI1PK equals PK and whose GSI1SK
// starts with SKPrefix, in GSI1SK order.
type IndexQuery = Query

// Page is one page of results; Cursor is empty on the last page.
type Page struct {
	Items  []Item
	Cursor string
}

// DefaultQueryLimit and MaxQueryLimit bound Query.Limit.
const (
	DefaultQueryLimit = 100
	MaxQueryLimit     = 1000
)

// MaxTxOps is the largest transaction every adapter accepts (DynamoDB's limit).
const MaxTxOps = 100

// Limits every adapter enforces, so that the embedded adapter accepts
// exactly what DynamoDB accepts (400 KB per item, 2048/1024 bytes per
// partition/sort key).
const (
	MaxPKBytes   = 2048
	MaxSKBytes   = 1024
	MaxDataBytes = 384 << 10
)

// Validate reports (wrapping ErrInvalidRequest) a key with an empty PK or SK,
// an over-long one, or one that is not UTF-8 (DynamoDB strings) or contains
// a NUL byte (the embedded adapter's separator). Keys sort byte-wise.
func (k Key) Validate() error {
	if err := validKeyPart("PK", k.PK, MaxPKBytes); err != nil {
		return err
	}
	return validKeyPart("SK", k.SK, MaxSKBytes)
}

// Validate checks the item's key, its GSI1 key (GSI1PK and GSI1SK are both
// set or both empty) and the size of Data, wrapping ErrInvalidRequest.
func (it Item) Validate() error {
	if err := it.Key().Validate(); err != nil {
		return err
	}
	if it.GSI1PK != "" || it.GSI1SK != "" {
		if err := validKeyPart("GSI1PK", it.GSI1PK, MaxPKBytes); err != nil {
			return err
		}
		if err := validKeyPart("GSI1SK", it.GSI1SK, MaxSKBytes); err != nil {
			return err
		}
	}
	if it.ExpiresAt < 0 {
		return fmt.Errorf("%w: negative ExpiresAt", ErrInvalidRequest)
	}
	if len(it.Data) > MaxDataBytes {
		return fmt.Errorf("%w: Data is %d bytes, more than %d", ErrInvalidRequest, len(it.Data), MaxDataBytes)
	}
	return nil
}

func validKeyPart(name, v string, max int) error {
	switch {
	case v == "":
		return fmt.Errorf("%w: empty %s", ErrInvalidRequest, name)
	case len(v) > max:
		return fmt.Errorf("%w: %s is %d bytes, more than %d", ErrInvalidRequest, name, len(v), max)
	case strings.IndexByte(v, 0) >= 0:
		return fmt.Errorf("%w: %s contains a NUL byte", ErrInvalidRequest, name)
	case !utf8.ValidString(v):
		return fmt.Errorf("%w: %s is not UTF-8", ErrInvalidRequest, name)
	}
	return nil
}

// Store is the single-table port.
type Store interface {
	Get(ctx context.Context, key Key) (Item, error)
	Put(ctx context.Context, item Item, cond Cond) error
	Delete(ctx context.Context, key Key, cond Cond) error
	// Transact applies every op or none. A failed condition returns *TxError.
	// It rejects (ErrInvalidRequest) more than MaxTxOps ops, two ops on the
	// same key, an op without exactly one of Put/Delete/Check, and a Check
	// with CondNone. No ops is a no-op.
	Transact(ctx context.Context, ops []WriteOp) error
	Query(ctx context.Context, q Query) (Page, error)
	QueryIndex(ctx context.Context, q IndexQuery) (Page, error)
}

// PageLimit validates q and returns its effective page size: Limit, or
// DefaultQueryLimit when Limit <= 0, capped at MaxQueryLimit. Adapters call
// it first so they agree on both.
func (q Query) PageLimit() (int, error) {
	if q.PK == "" {
		return 0, fmt.Errorf("%w: empty PK", ErrInvalidRequest)
	}
	switch {
	case q.Limit <= 0:
		return DefaultQueryLimit, nil
	case q.Limit > MaxQueryLimit:
		return MaxQueryLimit, nil
	}
	return q.Limit, nil
}
