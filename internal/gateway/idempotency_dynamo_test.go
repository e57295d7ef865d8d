package gateway

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/store/dynamo"
	"github.com/portico/portico/internal/testenv/dynamolocal"
)

var idemTableSeq atomic.Int64

// dynamoIdemStores returns an opener of fresh DynamoDB Local tables (the
// emulator started once for t), or nil under -short.
func dynamoIdemStores(t *testing.T) func(*testing.T, func() time.Time) IdempotencyStore {
	t.Helper()
	if testing.Short() {
		return nil
	}
	endpoint := dynamolocal.Start(t)
	return func(t *testing.T, now func() time.Time) IdempotencyStore {
		client := dynamolocal.NewClient(endpoint)
		table := "idem" + strconv.FormatInt(idemTableSeq.Add(1), 10)
		if err := dynamo.CreateTable(context.Background(), client, table); err != nil {
			t.Fatal(err)
		}
		s, err := dynamo.New(client, dynamo.Config{Table: table, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}
