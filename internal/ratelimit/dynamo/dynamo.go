// Package dynamo is the DynamoDB ratelimit.Store. Its items live in the
// main single table, in partitions of their own (PK "RL#<key>", never a
// tenant's configuration partition): SK "W#<window index>" holds a window's
// count C, SK "TB" a bucket's TAT and revision V; TTL expires both.
//
// Fixed window: one conditional UpdateItem (ADD C if C <= limit-n).
// Sliding window: one strongly consistent GetItem of the previous window,
// then the same conditional UpdateItem with the weighted allowance.
// Token bucket: GetItem, then an UpdateItem conditioned on V (optimistic;
// retried on conflict). Rejections write nothing.
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

	"github.com/portico/portico/internal/ratelimit"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// Config configures New.
type Config struct {
	Client API
	// Table is the single table (store/dynamo's schema: PK, SK, TTL).
	Table string
	// Retries bounds optimistic retries of a token-bucket write; default 50.
	Retries int
}

// Store is a ratelimit.Store on DynamoDB. It is safe for concurrent use.
type Store struct {
	c       API
	table   string
	retries int
}

var _ ratelimit.Store = (*Store)(nil)

// New returns a Store on cfg.Table.
func New(cfg Config) (*Store, error) {
	if cfg.Client == nil || cfg.Table == "" {
		return nil, errors.New("ratelimit/dynamo: Client and Table are required")
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 50
	}
	return &Store{c: cfg.Client, table: cfg.Table, retries: cfg.Retries}, nil
}

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func getNum(item map[string]types.AttributeValue, name string) (int64, float64, error) {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, 0, nil
	}
	f, err := strconv.ParseFloat(v.Value, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("attribute %s=%q: %w", name, v.Value, err)
	}
	i, _ := strconv.ParseInt(v.Value, 10, 64)
	return i, f, nil
}

func unavailable(err error) error {
	return fmt.Errorf("%w: dynamodb: %w", ratelimit.ErrUnavailable, err)
}

// Take implements ratelimit.Store.
func (s *Store) Take(ctx context.Context, key string, l ratelimit.Limit, now time.Time, n int64) (ratelimit.Decision, error) {
	if err := l.Validate(); err != nil {
		return ratelimit.Decision{}, err
	}
	pk := "RL#" + key
	if l.Algorithm == ratelimit.TokenBucket {
		return s.bucket(ctx, pk, l, now, n)
	}
	idx, e := ratelimit.WindowIndex(l.Window, now)
	st := ratelimit.State{Index: idx}
	allowance := l.Limit - n
	if l.Algorithm == ratelimit.SlidingWindow {
		out, err := s.c.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: &s.table, ConsistentRead: aws.Bool(true),
			Key:                  map[string]types.AttributeValue{"PK": str(pk), "SK": str("W#" + strconv.FormatInt(idx-1, 10))},
			ProjectionExpression: aws.String("C"),
		})
		if err != nil {
			return ratelimit.Decision{}, unavailable(err)
		}
		if st.Prev, _, err = getNum(out.Item, "C"); err != nil {
			return ratelimit.Decision{}, unavailable(err)
		}
		allowance -= ratelimit.Weighted(st.Prev, l.Window.Milliseconds(), e)
	}
	expires := now.Add(ratelimit.Expiry(l, now, st) + time.Second).Unix()
	out, err := s.c.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      map[string]types.AttributeValue{"PK": str(pk), "SK": str("W#" + strconv.FormatInt(idx, 10))},
		UpdateExpression:         aws.String("ADD C :n SET #ttl = :ttl"),
		ConditionExpression:      aws.String("(attribute_not_exists(C) AND :zero <= :max) OR C <= :max"),
		ExpressionAttributeNames: map[string]string{"#ttl": "TTL"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":n": num(n), ":ttl": num(expires), ":max": num(allowance), ":zero": num(0),
		},
		ReturnValues:                        types.ReturnValueUpdatedNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		if st.Count, _, err = getNum(ccf.Item, "C"); err != nil {
			return ratelimit.Decision{}, unavailable(err)
		}
	case err != nil:
		return ratelimit.Decision{}, unavailable(err)
	default:
		c, _, err := getNum(out.Attributes, "C")
		if err != nil {
			return ratelimit.Decision{}, unavailable(err)
		}
		st.Count = c - n
	}
	d, _ := ratelimit.Evaluate(l, now, st, n)
	if d.Allowed != (err == nil && ccf == nil) {
		return ratelimit.Decision{}, unavailable(fmt.Errorf("condition and Evaluate disagree on %+v", st))
	}
	return d, nil
}

// bucket is GCRA with an optimistic write conditioned on the revision read.
func (s *Store) bucket(ctx context.Context, pk string, l ratelimit.Limit, now time.Time, n int64) (ratelimit.Decision, error) {
	key := map[string]types.AttributeValue{"PK": str(pk), "SK": str("TB")}
	for attempt := 0; ; attempt++ {
		out, err := s.c.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return ratelimit.Decision{}, unavailable(err)
		}
		var st ratelimit.State
		rev, _, err := getNum(out.Item, "V")
		if err == nil {
			_, st.TAT, err = getNum(out.Item, "TAT")
		}
		if err != nil {
			return ratelimit.Decision{}, unavailable(err)
		}
		d, next := ratelimit.Evaluate(l, now, st, n)
		if !d.Allowed {
			return d, nil
		}
		vals := map[string]types.AttributeValue{
			":tat": &types.AttributeValueMemberN{Value: strconv.FormatFloat(next.TAT, 'g', -1, 64)},
			":nv":  num(rev + 1),
			":ttl": num(now.Add(ratelimit.Expiry(l, now, next) + time.Second).Unix()),
		}
		cond := "attribute_not_exists(V)"
		if out.Item != nil {
			cond, vals[":v"] = "V = :v", num(rev)
		}
		_, err = s.c.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 &s.table,
			Key:                       key,
			UpdateExpression:          aws.String("SET TAT = :tat, V = :nv, #ttl = :ttl"),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeNames:  map[string]string{"#ttl": "TTL"},
			ExpressionAttributeValues: vals,
		})
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			return d, nil
		case !errors.As(err, &ccf):
			return ratelimit.Decision{}, unavailable(err)
		case attempt >= s.retries:
			return ratelimit.Decision{}, unavailable(fmt.Errorf("bucket %s: %d write conflicts", pk, attempt+1))
		}
		backoff := time.Duration(rand.Int64N(int64(min(attempt+1, 10)) * int64(2*time.Millisecond)))
		select {
		case <-ctx.Done():
			return ratelimit.Decision{}, unavailable(ctx.Err())
		case <-time.After(backoff):
		}
	}
}
