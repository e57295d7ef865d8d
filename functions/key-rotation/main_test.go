package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/portico/portico/internal/lambdahttp/lambdatest"
	"github.com/portico/portico/internal/rotation"
	"github.com/portico/portico/internal/rotation/rotationtest"
)

// TestBootstrapRotatesKey builds this function's real binary, runs it
// against a fake of the Lambda Runtime API and a Secrets Manager speaking
// the JSON 1.1 protocol, and drives one rotation with the raw events
// Secrets Manager sends: the whole Lambda path, from the event JSON through
// the SDK client to the staging labels.
func TestBootstrapRotatesKey(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bootstrap")
	}
	raw, err := os.ReadFile("testdata/rotation-event.json")
	if err != nil {
		t.Fatal(err)
	}
	var event map[string]string
	if err := json.Unmarshal(raw, &event); err != nil {
		t.Fatal(err)
	}
	const oldKey = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01"
	fake := rotationtest.New()
	arn := fake.CreateSecret("portico/dev/cursor-key", oldKey, nil)
	if arn != event["SecretId"] {
		t.Fatalf("fixture SecretId %s, fake ARN %s", event["SecretId"], arn)
	}
	fake.EnableRotation(arn)
	token := event["ClientRequestToken"]
	fake.StartRotation(arn, token)
	var rotationTokens []string // PutSecretValue's RotationToken, sent on from the event
	fake.Fail = func(op string, in any) error {
		if put, ok := in.(*secretsmanager.PutSecretValueInput); ok {
			rotationTokens = append(rotationTokens, aws.ToString(put.RotationToken))
		}
		return nil
	}
	sm := httptest.NewServer(rotationtest.Handler(fake))
	t.Cleanup(sm.Close)

	none := filepath.Join(t.TempDir(), "none")
	fn := lambdatest.StartFunction(t, ".",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER="+sm.URL,
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE="+none, "AWS_SHARED_CREDENTIALS_FILE="+none,
		"PORTICO_MODE=aws", "PORTICO_LOG_LEVEL=debug")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	invoke := func(step string) ([]byte, error) {
		event["Step"] = step
		payload, err := json.Marshal(event)
		if err != nil {
			t.Fatal(err)
		}
		return fn.Runtime.Invoke(ctx, payload)
	}

	// An unknown step fails the invocation, naming the secret and step.
	_, err = invoke("rotateSecret")
	var fe *lambdatest.FunctionError
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "unknown rotation step") || !strings.Contains(fe.Message, arn) {
		t.Fatalf("unknown step: err = %v, want a function error naming the step and secret", err)
	}

	// The four steps, with createSecret and finishSecret retried.
	for _, step := range []string{"createSecret", "createSecret", "setSecret", "testSecret", "finishSecret", "finishSecret"} {
		out, err := invoke(step)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if string(out) != "null" {
			t.Fatalf("%s: response %s, want null", step, out)
		}
	}
	stages := fake.Stages(arn)
	if !slices.Contains(stages[token], rotation.StageCurrent) {
		t.Fatalf("stages %v: the token's version is not AWSCURRENT", stages)
	}
	key, ok := fake.Value(arn, token)
	if !ok || len(key) != 64 || key == oldKey || strings.Trim(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != "" {
		t.Fatalf("new key: length %d, want 64 alphanumerics different from the old key", len(key))
	}
	if !slices.Equal(rotationTokens, []string{event["RotationToken"]}) {
		t.Fatalf("PutSecretValue calls with RotationToken %q, want one with the event's", rotationTokens)
	}
	if fe != nil && (strings.Contains(fe.Message, key) || strings.Contains(fe.Message, oldKey)) {
		t.Fatal("the error names a key")
	}
}
