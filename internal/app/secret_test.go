package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCursorKeyFromSecretsManager reads the key through the real SDK client
// against a fake of the Secrets Manager JSON protocol reached through
// AWS_ENDPOINT_URL_SECRETS_MANAGER, as a deployment would.
func TestCursorKeyFromSecretsManager(t *testing.T) {
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portico/dev/cursor-key-AbCdEf"
	key := strings.Repeat("k", 48)
	var target, asked string
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target = r.Header.Get("X-Amz-Target")
		var in struct{ SecretId string }
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &in)
		asked = in.SecretId
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]any{"ARN": arn, "Name": "portico/dev/cursor-key", "SecretString": key, "VersionStages": []string{"AWSCURRENT"}})
	}))
	t.Cleanup(fake.Close)
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", fake.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	e := Env{Mode: "aws", CursorKeySecretARN: arn}
	got, err := CursorKey(t.Context(), e)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != key || target != "secretsmanager.GetSecretValue" || asked != arn {
		t.Fatalf("key %q via %q for %q", got, target, asked)
	}
}

func TestCursorKeyRequiredInAWSMode(t *testing.T) {
	if _, err := CursorKey(t.Context(), Env{Mode: "aws", DataDir: t.TempDir()}); err == nil {
		t.Fatal("aws mode without a cursor key or secret ARN must fail")
	}
	if _, err := LoadEnv(func(k string) string {
		return map[string]string{"PORTICO_MODE": "aws", "PORTICO_DEV_LOGIN": "false", "PORTICO_CURSOR_KEY": "short"}[k]
	}); err == nil {
		t.Fatal("a short PORTICO_CURSOR_KEY must be refused")
	}
}
