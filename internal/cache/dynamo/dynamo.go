// Package dynamo is the DynamoDB adapter of the cache's shared L2
// (cache.Store). Entries live in the main single table, in partitions of
// their own: PK "CACHE#<tenant>", SK "E#<key>", the encoded entry in D, its
// API, version and path in A, V and P and its tags in the string set T
// (for purges), when it stops being of use in X (unix
// ms: its expiry plus its stale-if-error window, Entry.Retain) and the
// table's TTL attribute (unix s) so DynamoDB deletes it.
// DynamoDB's TTL deletion is lazy, so Get also ignores entries past X.
//
// A purge queries the tenant's partition, filtered by A, V and P, and
// deletes what it finds in BatchWriteItem calls of 25: its cost grows with
// the tenant's live entries. Reads are strongly consistent, so a purge is
// seen by every instance's next L2 read. An item holds at most 400 KB, so
// larger entries are not written (they stay in the writing instance's L1).
// docs/cache.md gives the reasons.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portico/portico/internal/cache"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// MaxEntryBytes is the largest encoded entry written: DynamoDB's 400 KB
// item limit less room for the keys and the other attributes.
const MaxEntryBytes = 390_000

// Config configures New.
type Config struct {
	Client API
	// Table is the single table (store/dynamo's schema: PK, SK, TTL).
	Table string
	Now   func() time.Time
}

// Store is a cache.Store on DynamoDB. It is safe for concurrent use.
type Store struct {
	c     API
	table string
	now   func() time.Time
}

var _ cache.Store = (*Store)(nil)

// New validates cfg and returns a Store.
func New(cfg Config) (*Store, error) {
	if cfg.Client == nil || cfg.Table == "" {
		return nil, errors.New("cache/dynamo: Client and Table are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{c: cfg.Client, table: cfg.Table, now: cfg.Now}, nil
}

// ErrKey is returned for a key without its tenant ("<tenant>:<hash>",
// cache.Key's form).
var ErrKey = errors.New("cache/dynamo: key has no tenant")

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func pk(tenant string) string { return "CACHE#" + tenant }

// itemKey is the item key of a cache key.
func itemKey(key string) (map[string]types.AttributeValue, error) {
	for i := 0; i < len(key); i++ {
		if key[i] == ':' {
			if i == 0 {
				break
			}
			return map[string]types.AttributeValue{"PK": str(pk(key[:i])), "SK": str("E#" + key)}, nil
		}
	}
	return nil, ErrKey
}

// Get implements cache.Store.
func (s *Store) Get(ctx context.Context, key string) (*cache.Entry, error) {
	k, err := itemKey(key)
	if err != nil {
		return nil, err
	}
	out, err := s.c.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: k, ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("D, X")})
	if err != nil {
		return nil, fmt.Errorf("cache/dynamo: get: %w", err)
	}
	if out.Item == nil {
		return nil, nil
	}
	if x, ok := out.Item["X"].(*types.AttributeValueMemberN); ok {
		if ms, err := strconv.ParseInt(x.Value, 10, 64); err == nil && ms <= s.now().UnixMilli() {
			return nil, nil // expired, not yet deleted by TTL
		}
	}
	d, ok := out.Item["D"].(*types.AttributeValueMemberB)
	if !ok {
		return nil, fmt.Errorf("cache/dynamo: item %s has no data", key)
	}
	e, err := cache.Decode(d.Value)
	if err != nil {
		return nil, fmt.Errorf("cache/dynamo: %w", err)
	}
	return e, nil
}

// Set implements cache.Store. An entry that has expired, or that is larger
// than MaxEntryBytes encoded, is not written.
func (s *Store) Set(ctx context.Context, key string, e *cache.Entry) error {
	k, err := itemKey(key)
	if err != nil {
		return err
	}
	exp := e.Retain()
	if !exp.After(s.now()) {
		return nil
	}
	data := e.Encode()
	if len(data) > MaxEntryBytes {
		return nil
	}
	item := map[string]types.AttributeValue{
		"PK": k["PK"], "SK": k["SK"], "D": &types.AttributeValueMemberB{Value: data},
		"A": str(e.API), "V": str(e.Version), "P": str(e.Path),
		"X": num(exp.UnixMilli()), "TTL": num(exp.Unix() + 1),
	}
	if tags := uniq(e.Tags); len(tags) > 0 {
		item["T"] = &types.AttributeValueMemberSS{Value: tags}
	}
	if _, err := s.c.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item}); err != nil {
		return fmt.Errorf("cache/dynamo: set: %w", err)
	}
	return nil
}

// uniq returns tags without duplicates (a string set must not repeat).
func uniq(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// batch is BatchWriteItem's limit of requests per call.
const batch = 25

// Purge implements cache.Store.
func (s *Store) Purge(ctx context.Context, sel cache.Selector) (int, error) {
	if sel.Tenant == "" {
		return 0, cache.ErrNoTenant
	}
	if sel.Tag != "" && (sel.API != "" || sel.Version != "" || sel.Path != "") {
		return 0, cache.ErrSelector
	}
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :e)"),
		ProjectionExpression:      aws.String("PK, SK"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk(sel.Tenant)), ":e": str("E#")},
		ConsistentRead:            aws.Bool(true),
	}
	filter := ""
	for _, f := range []struct{ attr, val string }{{"A", sel.API}, {"V", sel.Version}, {"P", sel.Path}} {
		if f.val == "" {
			continue
		}
		if filter != "" {
			filter += " AND "
		}
		filter += f.attr + " = :" + f.attr
		in.ExpressionAttributeValues[":"+f.attr] = str(f.val)
	}
	if sel.Tag != "" {
		filter = "contains(T, :t)"
		in.ExpressionAttributeValues[":t"] = str(sel.Tag)
	}
	if filter != "" {
		in.FilterExpression = aws.String(filter)
	}
	n := 0
	var pending []types.WriteRequest
	for {
		out, err := s.c.Query(ctx, in)
		if err != nil {
			return n, fmt.Errorf("cache/dynamo: purge: %w", err)
		}
		for _, it := range out.Items {
			pending = append(pending, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: it}})
			if len(pending) == batch {
				if err := s.delete(ctx, pending); err != nil {
					return n, err
				}
				n += len(pending)
				pending = pending[:0]
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if len(pending) > 0 {
		if err := s.delete(ctx, pending); err != nil {
			return n, err
		}
		n += len(pending)
	}
	return n, nil
}

// delete runs one BatchWriteItem, resubmitting unprocessed requests with
// a short backoff (bounded by ctx).
func (s *Store) delete(ctx context.Context, reqs []types.WriteRequest) error {
	wait := 10 * time.Millisecond
	for {
		out, err := s.c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{s.table: reqs}})
		if err != nil {
			return fmt.Errorf("cache/dynamo: purge: %w", err)
		}
		reqs = out.UnprocessedItems[s.table]
		if len(reqs) == 0 {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("cache/dynamo: purge: %w", ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, time.Second)
	}
}
