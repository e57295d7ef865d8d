package rotation_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/portico/portico/internal/rotation"
	"github.com/portico/portico/internal/rotation/rotationtest"
)

// sdkClient returns the real SDK client reaching f through
// AWS_ENDPOINT_URL_SECRETS_MANAGER, as a deployed function would reach the
// service, and the X-Amz-Target of every request.
func sdkClient(t *testing.T, f *rotationtest.Fake) (*secretsmanager.Client, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var targets []string
	h := rotationtest.Handler(f)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		targets = append(targets, r.Header.Get("X-Amz-Target"))
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return secretsmanager.NewFromConfig(cfg), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(targets)
	}
}

// TestRotateThroughSDK runs a full rotation, with a retried step and an
// error case, through the real SDK client and the JSON 1.1 protocol: the
// wire shapes, the error mapping (ResourceNotFoundException) and the
// staging labels end to end.
func TestRotateThroughSDK(t *testing.T) {
	var client *secretsmanager.Client
	var targets func() []string
	e := newEnv(t, func(f *rotationtest.Fake) rotation.SecretsManager {
		client, targets = sdkClient(t, f)
		return client
	}, map[string]string{rotation.TagCharset: "hex", rotation.TagLength: "48"})

	// testSecret before createSecret: the pending version has no value,
	// which the service reports as ResourceNotFoundException.
	if err := e.step(t.Context(), rotation.StepTest); !errors.Is(err, rotation.ErrNoPendingVersion) {
		t.Fatalf("testSecret first: err = %v, want ErrNoPendingVersion", err)
	}
	for _, s := range []string{"createSecret", "createSecret", "setSecret", "testSecret", "finishSecret", "finishSecret"} {
		if err := e.step(t.Context(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	e.checkRotated(t, 48, hex)

	got := targets()
	for _, op := range []string{"DescribeSecret", "GetSecretValue", "GetRandomPassword", "PutSecretValue", "UpdateSecretVersionStage"} {
		if !slices.Contains(got, "secretsmanager."+op) {
			t.Errorf("no %s request reached the server (%v)", op, got)
		}
	}
	if n := e.fake.Count("PutSecretValue"); n != 1 {
		t.Fatalf("PutSecretValue called %d times, want 1", n)
	}
	// What the management function reads at cold start is now the new key.
	cur, err := client.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: &e.arn})
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := e.fake.Value(e.arn, token); *cur.SecretString != want || *cur.VersionId != token {
		t.Fatalf("AWSCURRENT is version %s, want %s", *cur.VersionId, token)
	}
}
