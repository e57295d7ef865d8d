package dynamolocal_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/portico/portico/internal/testenv/dynamolocal"
)

func TestStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM")
	}
	endpoint := dynamolocal.Start(t)
	client := dynamolocal.NewClient(endpoint)
	if _, err := client.ListTables(t.Context(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables on %s: %v", endpoint, err)
	}
}

func TestDirFromEnv(t *testing.T) {
	t.Setenv(dynamolocal.EnvDir, t.TempDir())
	if _, err := dynamolocal.Dir(); err == nil {
		t.Fatal("Dir accepted a directory without DynamoDBLocal.jar")
	}
}

func TestStartUsesGivenEndpoint(t *testing.T) {
	t.Setenv(dynamolocal.EnvEndpoint, "http://localhost:4566")
	if got := dynamolocal.Start(t); got != "http://localhost:4566" {
		t.Fatalf("Start = %q, want the endpoint from %s", got, dynamolocal.EnvEndpoint)
	}
}
