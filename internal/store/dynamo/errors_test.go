package dynamo

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portico/portico/internal/store"
)

// fakeAPI answers writes with the errors queued in errs, in order.
type fakeAPI struct {
	API
	errs  []error
	calls int
}

func (f *fakeAPI) next() error {
	f.calls++
	if len(f.errs) == 0 {
		return nil
	}
	err := f.errs[0]
	f.errs = f.errs[1:]
	return err
}

func (f *fakeAPI) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return &dynamodb.PutItemOutput{}, f.next()
}

func (f *fakeAPI) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return &dynamodb.TransactWriteItemsOutput{}, f.next()
}

func canceled(codes ...string) error {
	e := &types.TransactionCanceledException{Message: aws.String("Transaction cancelled")}
	for _, c := range codes {
		e.CancellationReasons = append(e.CancellationReasons, types.CancellationReason{Code: aws.String(c)})
	}
	return e
}

func TestErrorMapping(t *testing.T) {
	it := store.Item{PK: "P", SK: "S"}
	ops := []store.WriteOp{{Put: &it}, {Put: &store.Item{PK: "P", SK: "T"}}, {Put: &store.Item{PK: "P", SK: "U"}}}
	tests := []struct {
		name      string
		tx        bool
		errs      []error
		wantIndex int // -1: not a TxError
		want      error
		calls     int
	}{
		{"put condition", false, []error{&types.ConditionalCheckFailedException{}}, -1, store.ErrConditionFailed, 1},
		{"put conflict then ok", false, []error{&types.TransactionConflictException{}, &types.TransactionConflictException{}}, -1, nil, 3},
		{"tx condition", true, []error{canceled("None", "None", "ConditionalCheckFailed")}, 2, store.ErrConditionFailed, 1},
		{"tx first condition wins", true, []error{canceled("None", "ConditionalCheckFailed", "ConditionalCheckFailed")}, 1, store.ErrConditionFailed, 1},
		{"tx conflict retried into condition", true, []error{canceled("TransactionConflict", "None", "None"), canceled("ConditionalCheckFailed", "None", "None")}, 0, store.ErrConditionFailed, 2},
		{"tx conflict then ok", true, []error{canceled("None", "TransactionConflict", "None")}, -1, nil, 2},
		{"tx other reason", true, []error{canceled("None", "ItemCollectionSizeLimitExceeded", "None")}, -1, nil, 1},
		{"tx conflicts exhausted", true, []error{canceled("TransactionConflict"), canceled("TransactionConflict"), canceled("TransactionConflict")}, -1, nil, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeAPI{errs: tt.errs}
			s, err := New(api, Config{Table: "t", ConflictRetries: 2, Now: func() time.Time { return time.Unix(100, 0) }})
			if err != nil {
				t.Fatal(err)
			}
			if tt.tx {
				err = s.Transact(t.Context(), ops)
			} else {
				err = s.Put(t.Context(), it, store.IfAbsent())
			}
			if api.calls != tt.calls {
				t.Errorf("%d calls, want %d", api.calls, tt.calls)
			}
			var txErr *store.TxError
			switch {
			case tt.wantIndex >= 0:
				if !errors.As(err, &txErr) || txErr.Index != tt.wantIndex {
					t.Fatalf("err = %v, want TxError{Index: %d}", err, tt.wantIndex)
				}
			case errors.As(err, &txErr):
				t.Fatalf("err = %v, want no TxError", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if wantOK := len(tt.errs) < tt.calls; wantOK != (err == nil) {
				t.Fatalf("err = %v, want success: %v", err, wantOK)
			}
		})
	}
}

func TestConditionExpressions(t *testing.T) {
	tests := []struct {
		cond store.Cond
		expr string
	}{
		{store.Cond{}, ""},
		{store.IfAbsent(), "attribute_not_exists(#pk) OR #ttl <= :now"},
		{store.IfExists(), "attribute_exists(#pk) AND (attribute_not_exists(#ttl) OR #ttl > :now)"},
		{store.IfVersion(7), "#v = :v AND (attribute_not_exists(#ttl) OR #ttl > :now)"},
	}
	for _, tt := range tests {
		c := condition(tt.cond, 42)
		if got := aws.ToString(c.expr); got != tt.expr {
			t.Errorf("%v: %q, want %q", tt.cond, got, tt.expr)
		}
		if tt.expr == "" {
			continue
		}
		if n, ok := c.values[":now"].(*types.AttributeValueMemberN); !ok || n.Value != "42" {
			t.Errorf("%v: :now = %v", tt.cond, c.values[":now"])
		}
	}
}
