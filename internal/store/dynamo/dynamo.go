// Package dynamo is the DynamoDB adapter of the store port.
//
// One table holds every item: PK and SK (strings) form the primary key, the
// sparse global secondary index "GSI1" is keyed by GSI1PK and GSI1SK (both
// omitted when the item is not indexed), V holds the version, TTL the expiry
// (Unix seconds, omitted when 0; the table's TTL attribute) and D the data
// (binary, omitted when empty).
// DynamoDB deletes expired items lazily, so the adapter treats an item whose
// TTL has passed (by Config.Now) as absent: conditions say so in their
// expressions and reads drop such items. Reads of the table are strongly
// consistent; reads of GSI1 are eventually consistent, as DynamoDB allows.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portico/portico/internal/store"
)

// Attribute and index names.
const (
	attrPK     = "PK"
	attrSK     = "SK"
	attrGSI1PK = "GSI1PK"
	attrGSI1SK = "GSI1SK"
	attrV      = "V"
	attrTTL    = "TTL"
	attrD      = "D"
	indexGSI1  = "GSI1"
)

// API is the part of the DynamoDB client the adapter uses; *dynamodb.Client
// implements it.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Config configures New.
type Config struct {
	// Table is the table's name (required).
	Table string
	// Now is the clock used for item expiry; nil means time.Now.
	Now func() time.Time
	// ConflictRetries is how many times a write that lost a race with a
	// concurrent transaction (TransactionConflict) is retried, with jittered
	// backoff; 0 means 8, negative means none.
	ConflictRetries int
}

// Store is a store.Store on one DynamoDB table. It is safe for concurrent use.
type Store struct {
	client  API
	table   string
	now     func() time.Time
	retries int
}

// New returns a Store on cfg.Table, which must exist with the schema that
// CreateTable makes.
func New(client API, cfg Config) (*Store, error) {
	if client == nil {
		return nil, errors.New("dynamo: nil client")
	}
	if cfg.Table == "" {
		return nil, errors.New("dynamo: empty Table")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch {
	case cfg.ConflictRetries == 0:
		cfg.ConflictRetries = 8
	case cfg.ConflictRetries < 0:
		cfg.ConflictRetries = 0
	}
	return &Store{client: client, table: cfg.Table, now: cfg.Now, retries: cfg.ConflictRetries}, nil
}

// Get returns the live item with key, or store.ErrNotFound.
func (s *Store) Get(ctx context.Context, key store.Key) (store.Item, error) {
	if err := key.Validate(); err != nil {
		return store.Item{}, fmt.Errorf("dynamo: get item: %w", err)
	}
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.table,
		Key:            keyAttrs(key),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return store.Item{}, fmt.Errorf("dynamo: get item %q/%q: %w", key.PK, key.SK, err)
	}
	if out.Item == nil {
		return store.Item{}, fmt.Errorf("dynamo: get item %q/%q: %w", key.PK, key.SK, store.ErrNotFound)
	}
	it, err := decodeItem(out.Item)
	if err != nil {
		return store.Item{}, fmt.Errorf("dynamo: get item %q/%q: %w", key.PK, key.SK, err)
	}
	if expired(it, s.now().Unix()) {
		return store.Item{}, fmt.Errorf("dynamo: get item %q/%q: %w", key.PK, key.SK, store.ErrNotFound)
	}
	return it, nil
}

// Put writes item if cond holds, else returns store.ErrConditionFailed.
func (s *Store) Put(ctx context.Context, item store.Item, cond store.Cond) error {
	if err := validCond(cond); err != nil {
		return fmt.Errorf("dynamo: put item: %w", err)
	}
	if err := item.Validate(); err != nil {
		return fmt.Errorf("dynamo: put item: %w", err)
	}
	c := condition(cond, s.now().Unix())
	err := s.retry(ctx, func() error {
		_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                 &s.table,
			Item:                      encodeItem(item),
			ConditionExpression:       c.expr,
			ExpressionAttributeNames:  c.names,
			ExpressionAttributeValues: c.values,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("dynamo: put item %q/%q: %w", item.PK, item.SK, mapCondErr(err))
	}
	return nil
}

// Delete removes the item with key if cond holds, else returns
// store.ErrConditionFailed. Deleting a missing item with CondNone succeeds.
func (s *Store) Delete(ctx context.Context, key store.Key, cond store.Cond) error {
	if err := validCond(cond); err != nil {
		return fmt.Errorf("dynamo: delete item: %w", err)
	}
	if err := key.Validate(); err != nil {
		return fmt.Errorf("dynamo: delete item: %w", err)
	}
	c := condition(cond, s.now().Unix())
	err := s.retry(ctx, func() error {
		_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName:                 &s.table,
			Key:                       keyAttrs(key),
			ConditionExpression:       c.expr,
			ExpressionAttributeNames:  c.names,
			ExpressionAttributeValues: c.values,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("dynamo: delete item %q/%q: %w", key.PK, key.SK, mapCondErr(err))
	}
	return nil
}

// Transact applies ops with one TransactWriteItems call.
func (s *Store) Transact(ctx context.Context, ops []store.WriteOp) error {
	if err := store.ValidateTx(ops); err != nil {
		return fmt.Errorf("dynamo: transact: %w", err)
	}
	if len(ops) == 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("dynamo: transact: %w", err)
		}
		return nil
	}
	now := s.now().Unix()
	items := make([]types.TransactWriteItem, len(ops))
	for i, op := range ops {
		c := condition(op.Cond, now)
		switch {
		case op.Put != nil:
			items[i].Put = &types.Put{
				TableName: &s.table, Item: encodeItem(*op.Put),
				ConditionExpression: c.expr, ExpressionAttributeNames: c.names, ExpressionAttributeValues: c.values,
			}
		case op.Delete != nil:
			items[i].Delete = &types.Delete{
				TableName: &s.table, Key: keyAttrs(*op.Delete),
				ConditionExpression: c.expr, ExpressionAttributeNames: c.names, ExpressionAttributeValues: c.values,
			}
		default:
			items[i].ConditionCheck = &types.ConditionCheck{
				TableName: &s.table, Key: keyAttrs(*op.Check),
				ConditionExpression: c.expr, ExpressionAttributeNames: c.names, ExpressionAttributeValues: c.values,
			}
		}
	}
	err := s.retry(ctx, func() error {
		_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		return err
	})
	if err != nil {
		return fmt.Errorf("dynamo: transact: %w", mapTxErr(err))
	}
	return nil
}

func validCond(c store.Cond) error {
	if c.Kind > store.CondVersion {
		return fmt.Errorf("%w: unknown %v", store.ErrInvalidRequest, c)
	}
	return nil
}

// cond is a condition expression with its placeholders.
type cond struct {
	expr   *string
	names  map[string]string
	values map[string]types.AttributeValue
}

// Expressions that treat an item whose TTL has passed as absent.
const (
	exprAbsent  = "attribute_not_exists(#pk) OR #ttl <= :now"
	exprLive    = "(attribute_not_exists(#ttl) OR #ttl > :now)"
	exprExists  = "attribute_exists(#pk) AND " + exprLive
	exprVersion = "#v = :v AND " + exprLive
)

func condition(c store.Cond, now int64) cond {
	var out cond
	switch c.Kind {
	case store.CondAbsent:
		out.expr = aws.String(exprAbsent)
		out.names = map[string]string{"#pk": attrPK, "#ttl": attrTTL}
	case store.CondExists:
		out.expr = aws.String(exprExists)
		out.names = map[string]string{"#pk": attrPK, "#ttl": attrTTL}
	case store.CondVersion:
		out.expr = aws.String(exprVersion)
		out.names = map[string]string{"#v": attrV, "#ttl": attrTTL}
		out.values = map[string]types.AttributeValue{":v": number(c.Version)}
	default:
		return out
	}
	if out.values == nil {
		out.values = make(map[string]types.AttributeValue, 1)
	}
	out.values[":now"] = number(now)
	return out
}

// retry runs op again while it loses to a concurrent transaction.
func (s *Store) retry(ctx context.Context, op func() error) error {
	backoff := 5 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := op()
		if err == nil || attempt >= s.retries || !isConflict(err) {
			return err
		}
		t := time.NewTimer(backoff/2 + rand.N(backoff))
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		backoff = min(2*backoff, 500*time.Millisecond)
	}
}

func isConflict(err error) bool {
	var tc *types.TransactionConflictException
	if errors.As(err, &tc) {
		return true
	}
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	conflict := false
	for _, r := range tce.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "TransactionConflict":
			conflict = true
		case "", "None":
		default:
			return false
		}
	}
	return conflict
}

func mapCondErr(err error) error {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return store.ErrConditionFailed
	}
	return err
}

// mapTxErr turns the first ConditionalCheckFailed cancellation reason into a
// *store.TxError.
func mapTxErr(err error) error {
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for i, r := range tce.CancellationReasons {
			if aws.ToString(r.Code) == "ConditionalCheckFailed" {
				return &store.TxError{Index: i}
			}
		}
	}
	return err
}

func number(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func keyAttrs(k store.Key) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: str(k.PK), attrSK: str(k.SK)}
}

func encodeItem(it store.Item) map[string]types.AttributeValue {
	m := make(map[string]types.AttributeValue, 7)
	m[attrPK] = str(it.PK)
	m[attrSK] = str(it.SK)
	if it.GSI1PK != "" {
		m[attrGSI1PK] = str(it.GSI1PK)
		m[attrGSI1SK] = str(it.GSI1SK)
	}
	m[attrV] = number(it.Version)
	if it.ExpiresAt != 0 {
		m[attrTTL] = number(it.ExpiresAt)
	}
	if len(it.Data) > 0 {
		m[attrD] = &types.AttributeValueMemberB{Value: it.Data}
	}
	return m
}

func decodeItem(m map[string]types.AttributeValue) (store.Item, error) {
	var it store.Item
	var err error
	strs := []struct {
		name     string
		dst      *string
		required bool
	}{
		{attrPK, &it.PK, true}, {attrSK, &it.SK, true},
		{attrGSI1PK, &it.GSI1PK, false}, {attrGSI1SK, &it.GSI1SK, false},
	}
	for _, f := range strs {
		switch v := m[f.name].(type) {
		case *types.AttributeValueMemberS:
			*f.dst = v.Value
		case nil:
			if f.required {
				return it, fmt.Errorf("decode item: missing %s", f.name)
			}
		default:
			return it, fmt.Errorf("decode item: %s is %T, want S", f.name, v)
		}
	}
	for _, f := range []struct {
		name string
		dst  *int64
	}{{attrV, &it.Version}, {attrTTL, &it.ExpiresAt}} {
		switch v := m[f.name].(type) {
		case *types.AttributeValueMemberN:
			if *f.dst, err = strconv.ParseInt(v.Value, 10, 64); err != nil {
				return it, fmt.Errorf("decode item: %s: %w", f.name, err)
			}
		case nil:
		default:
			return it, fmt.Errorf("decode item: %s is %T, want N", f.name, v)
		}
	}
	switch v := m[attrD].(type) {
	case *types.AttributeValueMemberB:
		if len(v.Value) > 0 {
			it.Data = v.Value
		}
	case nil:
	default:
		return it, fmt.Errorf("decode item: %s is %T, want B", attrD, v)
	}
	return it, nil
}

func expired(it store.Item, now int64) bool {
	return it.ExpiresAt != 0 && it.ExpiresAt <= now
}

var _ store.Store = (*Store)(nil)
