// Package dynamo is the DynamoDB ratelimit.Store. Its items live in the
// main single table, in partitions of their own (PK "RL#<key>", never a
// tenant's configuration partition): SK "W#<window index>" holds a window's
// count C, SK "TB" a bucket's TAT and revision V; TTL expires both.
//
// Fixed window: one conditional UpdateItem (ADD C if C <= limit-n).
// Sliding window: one strongly consistent GetItem of the previous window,
// then the same conditional UpdateItem with the weighted allowance.
// Token bucket: one conditional UpdateItem on TAT, no read (see bucket).
// Rejections write nothing.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math"
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
	// Retries bounds token-bucket writes retried because the bucket
	// switched between draining and full meanwhile; default 50.
	Retries int
	// Lease, when Lease.Size > 0, turns on token leasing for every key:
	// each write takes Lease.Size units, spent locally by this Store
	// (ratelimit.Leasing; the over-admission bound is in docs/ratelimit.md).
	Lease ratelimit.LeaseConfig
}

// Store is a ratelimit.Store on DynamoDB. It is safe for concurrent use.
type Store struct {
	c       API
	table   string
	retries int
	leasing *ratelimit.Leasing
}

// direct is the Store without leasing, the Leasing's backend.
type direct struct{ s *Store }

func (d direct) Take(ctx context.Context, key string, l ratelimit.Limit, now time.Time, n int64) (ratelimit.Decision, error) {
	return d.s.take(ctx, key, l, now, n)
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
	s := &Store{c: cfg.Client, table: cfg.Table, retries: cfg.Retries}
	if cfg.Lease.Size > 0 {
		if cfg.Lease.Size < 2 {
			return nil, errors.New("ratelimit/dynamo: Lease.Size must be at least 2")
		}
		s.leasing = ratelimit.NewLeasing(direct{s}, cfg.Lease)
	}
	return s, nil
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
	if s.leasing != nil {
		return s.leasing.Take(ctx, key, l, now, n)
	}
	return s.take(ctx, key, l, now, n)
}

func (s *Store) take(ctx context.Context, key string, l ratelimit.Limit, now time.Time, n int64) (ratelimit.Decision, error) {
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

// bucket is GCRA in one conditional UpdateItem, no read: GCRA's
// max(TAT, now) is split into its two cases, each an atomic conditional
// update. While the bucket is draining (TAT > now, a hot key's usual
// state) it adds n emission intervals if TAT stays within the burst; once
// it is full (TAT <= now, or no item) it sets TAT to now plus n intervals.
// A failed condition returns the item, which tells the case to try next or
// the rejection; the decision is Evaluate on the TAT the write replaced.
func (s *Store) bucket(ctx context.Context, pk string, l ratelimit.Limit, now time.Time, n int64) (ratelimit.Decision, error) {
	key := map[string]types.AttributeValue{"PK": str(pk), "SK": str("TB")}
	t := float64(l.Window.Microseconds()) / float64(l.Limit)
	bt := float64(l.Capacity()) * t
	nowUs := ratelimit.Micros(now)
	// The most TAT may be for n more to pass, as Evaluate computes it.
	maxTAT := nowUs + bt + t*1e-3 - float64(n)*t
	ttl := num(now.Add(time.Duration(bt+t)*time.Microsecond + time.Second).Unix())
	f := func(v float64) types.AttributeValue {
		return &types.AttributeValueMemberN{Value: strconv.FormatFloat(v, 'g', -1, 64)}
	}
	var known *float64 // the TAT last seen, if any
	for attempt := 0; attempt <= s.retries; attempt++ {
		in := &dynamodb.UpdateItemInput{
			TableName:                           &s.table,
			Key:                                 key,
			ExpressionAttributeNames:            map[string]string{"#ttl": "TTL"},
			ReturnValues:                        types.ReturnValueUpdatedOld,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}
		draining := known == nil || *known > nowUs
		if draining {
			in.UpdateExpression = aws.String("SET TAT = TAT + :nt, #ttl = :ttl")
			in.ConditionExpression = aws.String("TAT > :now AND TAT <= :max")
			in.ExpressionAttributeValues = map[string]types.AttributeValue{
				":nt": f(float64(n) * t), ":now": f(nowUs), ":max": f(maxTAT), ":ttl": ttl,
			}
		} else {
			if d, _ := ratelimit.Evaluate(l, now, ratelimit.State{TAT: *known}, n); !d.Allowed {
				return d, nil // n is more than the burst
			}
			in.UpdateExpression = aws.String("SET TAT = :next, #ttl = :ttl")
			in.ConditionExpression = aws.String("attribute_not_exists(TAT) OR TAT <= :now")
			in.ExpressionAttributeValues = map[string]types.AttributeValue{
				":next": f(nowUs + float64(n)*t), ":now": f(nowUs), ":ttl": ttl,
			}
		}
		out, err := s.c.UpdateItem(ctx, in)
		var ccf *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			var st ratelimit.State
			if _, st.TAT, err = getNum(out.Attributes, "TAT"); err != nil {
				return ratelimit.Decision{}, unavailable(err)
			}
			if out.Attributes["TAT"] == nil {
				st.TAT = nowUs
			}
			d, _ := ratelimit.Evaluate(l, now, st, n)
			if !d.Allowed {
				return ratelimit.Decision{}, unavailable(fmt.Errorf("bucket %s: condition and Evaluate disagree on %+v", pk, st))
			}
			return d, nil
		case !errors.As(err, &ccf):
			return ratelimit.Decision{}, unavailable(err)
		}
		old := math.Inf(-1)
		if ccf.Item["TAT"] != nil {
			if _, old, err = getNum(ccf.Item, "TAT"); err != nil {
				return ratelimit.Decision{}, unavailable(err)
			}
		}
		if draining && old > nowUs {
			// Still draining, so TAT > max: rejected.
			d, _ := ratelimit.Evaluate(l, now, ratelimit.State{TAT: old}, n)
			if d.Allowed {
				return ratelimit.Decision{}, unavailable(fmt.Errorf("bucket %s: condition and Evaluate disagree on TAT %v", pk, old))
			}
			return d, nil
		}
		known = &old
	}
	return ratelimit.Decision{}, unavailable(fmt.Errorf("bucket %s: the bucket changed state %d times in a row", pk, s.retries+1))
}
