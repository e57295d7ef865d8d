package awssm_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/portico/portico/internal/rotation/rotationtest"
	"github.com/portico/portico/internal/secrets"
	"github.com/portico/portico/internal/secrets/awssm"
	"github.com/portico/portico/internal/secrets/secretstest"
)

const prefix = "portico/dev/tenants/"

// request is one SDK request the fake server saw.
type request struct {
	Target string
	Body   map[string]any
}

// serve starts the fake over Secrets Manager's JSON 1.1 protocol and
// records the SDK's requests.
func serve(t *testing.T, f *rotationtest.Fake) (url string, seen func() []request) {
	t.Helper()
	var mu sync.Mutex
	var reqs []request
	h := rotationtest.Handler(f)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		mu.Lock()
		reqs = append(reqs, request{Target: r.Header.Get("X-Amz-Target"), Body: body})
		mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []request { mu.Lock(); defer mu.Unlock(); return slices.Clone(reqs) }
}

// sdkStore is the adapter over the real SDK client pointed at url.
func sdkStore(t *testing.T, url string) *awssm.Store {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(t.Context(), config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	if err != nil {
		t.Fatal(err)
	}
	c := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(url) })
	s, err := awssm.New(c, awssm.Config{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	secretstest.Run(t, func(t *testing.T) secrets.Store {
		url, _ := serve(t, rotationtest.New())
		return sdkStore(t, url)
	})
}

// TestRequests checks the wire: one secret per tenant secret under the
// prefix, created with the tenant tag on first Put, a new version after,
// deleted without a recovery window.
func TestRequests(t *testing.T) {
	f := rotationtest.New()
	url, seen := serve(t, f)
	s := sdkStore(t, url)
	ctx := t.Context()
	if _, err := s.Put(ctx, "acme", "stripe", "sk_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "acme", "stripe", "sk_2"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(ctx, "acme", "stripe"); v != "sk_2" || err != nil {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if err := s.Delete(ctx, "acme", "stripe"); err != nil {
		t.Fatal(err)
	}
	const name = prefix + "acme/stripe"
	want := []struct {
		target string
		fields map[string]any
	}{
		{"secretsmanager.PutSecretValue", map[string]any{"SecretId": name}},
		{"secretsmanager.CreateSecret", map[string]any{"Name": name}},
		{"secretsmanager.PutSecretValue", map[string]any{"SecretId": name}},
		{"secretsmanager.GetSecretValue", map[string]any{"SecretId": name}},
		{"secretsmanager.DeleteSecret", map[string]any{"SecretId": name, "ForceDeleteWithoutRecovery": true}},
	}
	got := seen()
	if len(got) != len(want) {
		t.Fatalf("requests = %+v, want %d", got, len(want))
	}
	for i, w := range want {
		if got[i].Target != w.target {
			t.Errorf("request %d = %s, want %s", i, got[i].Target, w.target)
		}
		for k, v := range w.fields {
			if got[i].Body[k] != v {
				t.Errorf("request %d %s = %v, want %v", i, k, got[i].Body[k], v)
			}
		}
	}
	tags, _ := got[1].Body["Tags"].([]any)
	if len(tags) != 1 || tags[0].(map[string]any)["Key"] != awssm.TagTenant || tags[0].(map[string]any)["Value"] != "acme" {
		t.Errorf("CreateSecret tags = %v, want %s=acme", got[1].Body["Tags"], awssm.TagTenant)
	}
}

// TestListSkipsLongerTenantIDs: the name filter is a prefix match, so
// tenant "acme" must not list tenant "acme-2"'s secrets (whose names share
// the prefix "…/acme") nor secrets outside the prefix.
func TestListSkipsLongerTenantIDs(t *testing.T) {
	f := rotationtest.New()
	f.CreateSecret(prefix+"acme-2/x", "v", nil)
	f.CreateSecret("portico/dev/oauth2-seed", "v", nil)
	f.CreateSecret(prefix+"acme/a", "v", nil)
	url, _ := serve(t, f)
	l, err := sdkStore(t, url).List(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 1 || l[0].Name != "a" || l[0].Version == "" {
		t.Errorf("List = %+v, want only a with its version", l)
	}
}

func TestErrors(t *testing.T) {
	f := rotationtest.New()
	url, _ := serve(t, f)
	s := sdkStore(t, url)
	boom := errors.New("throttled")
	f.Fail = func(op string, _ any) error {
		if op == "GetSecretValue" {
			return boom
		}
		return nil
	}
	_, err := s.Get(t.Context(), "acme", "x")
	if err == nil || errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("Get with a failing service: error = %v, want a wrapped service error", err)
	}
	if _, err := awssm.New(nil, awssm.Config{Prefix: prefix}); err == nil {
		t.Error("New without a client succeeded")
	}
	if _, err := awssm.New(s2client(t), awssm.Config{Prefix: "portico/dev/tenants"}); err == nil {
		t.Error("New with a prefix not ending in / succeeded")
	}
}

func s2client(t *testing.T) awssm.Client {
	cfg, _ := config.LoadDefaultConfig(t.Context(), config.WithRegion("us-east-1"))
	return secretsmanager.NewFromConfig(cfg)
}

// TestEndpointFromEnv: a client from the default chain goes where
// AWS_ENDPOINT_URL points (LocalStack, the fake).
func TestEndpointFromEnv(t *testing.T) {
	f := rotationtest.New()
	url, seen := serve(t, f)
	t.Setenv("AWS_ENDPOINT_URL", url)
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
	s, _ := awssm.New(secretsmanager.NewFromConfig(cfg), awssm.Config{Prefix: prefix})
	if _, err := s.Put(t.Context(), "acme", "k", "v"); err != nil {
		t.Fatal(err)
	}
	if len(seen()) == 0 {
		t.Error("the fake saw no request")
	}
}
