package dynamo_test

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/dynamo"
	"github.com/portico/portico/internal/store/storetest"
	"github.com/portico/portico/internal/testenv/dynamolocal"
)

// TestConformance runs the suite against DynamoDB Local: one emulator for
// the whole run, a fresh table for every subtest.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts DynamoDB Local")
	}
	client := dynamolocal.NewClient(dynamolocal.Start(t))
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		table := "portico-test-" + rand.Text()
		if err := dynamo.CreateTable(t.Context(), client, table); err != nil {
			t.Fatal(err)
		}
		// CreateTable on an existing table only checks it.
		if err := dynamo.CreateTable(t.Context(), client, table); err != nil {
			t.Fatal(err)
		}
		s, err := dynamo.New(client, dynamo.Config{Table: table, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestNewErrors(t *testing.T) {
	if _, err := dynamo.New(nil, dynamo.Config{Table: "t"}); err == nil {
		t.Error("New with a nil client succeeded")
	}
	client := dynamolocal.NewClient("http://127.0.0.1:1")
	if _, err := dynamo.New(client, dynamo.Config{}); err == nil {
		t.Error("New without a table succeeded")
	}
}

func TestNewClientEndpointFromEnv(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "x")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "y")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "")
	tests := []struct {
		name, global, dynamo, want string
	}{
		{"service specific", "", "http://dynamo.local:4566", "http://dynamo.local:4566"},
		{"global", "http://localstack:4566", "", "http://localstack:4566"},
		{"service specific wins", "http://localstack:4566", "http://dynamo.local:8000", "http://dynamo.local:8000"},
		{"none", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_ENDPOINT_URL", tt.global)
			t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", tt.dynamo)
			c, err := dynamo.NewClient(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if p := c.Options().BaseEndpoint; p != nil {
				got = *p
			}
			if got != tt.want {
				t.Errorf("BaseEndpoint = %q, want %q", got, tt.want)
			}
		})
	}
}
