package dynamo_test

import (
	"context"
	"testing"

	"github.com/portico/portico/internal/ratelimit"
	"github.com/portico/portico/internal/ratelimit/dynamo"
	"github.com/portico/portico/internal/ratelimit/ratelimittest"
	storedynamo "github.com/portico/portico/internal/store/dynamo"
	"github.com/portico/portico/internal/testenv/dynamolocal"
)

func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts DynamoDB Local")
	}
	endpoint := dynamolocal.Start(t)
	client := dynamolocal.NewClient(endpoint)
	if err := storedynamo.CreateTable(context.Background(), client, "portico"); err != nil {
		t.Fatal(err)
	}
	ratelimittest.Run(t, func() ratelimit.Store {
		s, err := dynamo.New(dynamo.Config{Client: dynamolocal.NewClient(endpoint), Table: "portico"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
