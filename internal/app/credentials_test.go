package app

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/portico/portico/internal/auth/oauth2"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/rotation"
	"github.com/portico/portico/internal/rotation/rotationtest"
)

const seedSecret = "portico/dev/oauth2-seed"

// fakeSecretsManager serves f over the Secrets Manager JSON protocol and
// points the SDK at it, as AWS_ENDPOINT_URL_SECRETS_MANAGER would in a
// deployment against LocalStack.
func fakeSecretsManager(t *testing.T, f *rotationtest.Fake) {
	t.Helper()
	srv := httptest.NewServer(rotationtest.Handler(f))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
}

// rotate runs the key-rotation function's four steps on the secret, as
// Secrets Manager does on schedule: AWSCURRENT moves to a new random seed.
func rotate(t *testing.T, f *rotationtest.Fake, arn, token string) {
	t.Helper()
	rot, err := rotation.New(rotation.Config{Client: f})
	if err != nil {
		t.Fatal(err)
	}
	f.StartRotation(arn, token)
	for _, step := range []string{rotation.StepCreate, rotation.StepSet, rotation.StepTest, rotation.StepFinish} {
		if err := rot.Rotate(t.Context(), rotation.Request{SecretID: arn, Token: token, Step: step}); err != nil {
			t.Fatal(err)
		}
	}
}

func kidOf(t *testing.T, seed string) string {
	t.Helper()
	k, err := oauth2.DeriveKey([]byte(seed))
	if err != nil {
		t.Fatal(err)
	}
	tp, err := (&jose.JSONWebKey{Key: &k.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// TestSeedKeysFromSecretsManager: the gateway's key source reads the seed
// through the real SDK client; after the key-rotation function moves
// AWSCURRENT, a warm instance signs with the new key once the refresh
// interval has passed, and a token issued before the rotation still
// verifies.
func TestSeedKeysFromSecretsManager(t *testing.T) {
	f := rotationtest.New()
	seed := strings.Repeat("s", 64)
	arn := f.CreateSecret(seedSecret, seed, nil)
	f.EnableRotation(arn)
	fakeSecretsManager(t, f)
	client, err := newSecretsClient(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	keys, err := seedKeys(t.Context(), client, arn, func() time.Time { return clock }, log)
	if err != nil {
		t.Fatal(err)
	}
	hash := oauth2.HashSecret("pcs_x")
	srv, err := oauth2.New(oauth2.Config{Keys: keys, Now: func() time.Time { return clock },
		Clients: func(context.Context, string, string) (*model.OAuthClient, string, error) {
			return &model.OAuthClient{ID: "c1", Status: model.KeyActive}, hash, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := srv.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	issue := func() string {
		r := httptest.NewRequest("POST", "/t/acme"+oauth2.TokenPath, strings.NewReader("grant_type=client_credentials"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetBasicAuth("c1", "pcs_x")
		w := httptest.NewRecorder()
		srv.ServeTenant(w, r, "acme", oauth2.TokenPath)
		var body struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.AccessToken == "" {
			t.Fatalf("token: %d %s", w.Code, w.Body)
		}
		return body.AccessToken
	}
	kids := func() []string {
		w := httptest.NewRecorder()
		srv.ServeTenant(w, httptest.NewRequest("GET", "/t/acme"+oauth2.JWKSPath, nil), "acme", oauth2.JWKSPath)
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(w.Body.Bytes(), &set); err != nil {
			t.Fatalf("jwks: %s", w.Body)
		}
		var out []string
		for _, k := range set.Keys {
			out = append(out, k.KeyID)
		}
		return out
	}
	signedBy := func(tok string) string {
		jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			t.Fatal(err)
		}
		return jws.Signatures[0].Header.KeyID
	}

	before := issue()
	if got, want := kids(), []string{kidOf(t, seed)}; !slices.Equal(got, want) {
		t.Fatalf("before the rotation: kids %v, want %v", got, want)
	}

	clock = clock.Add(time.Minute)
	const token = "11111111-2222-4333-8444-555555555555"
	if n := f.Count("GetSecretValue"); n != 2 {
		t.Fatalf("GetSecretValue %d times at cold start, want 2 (AWSCURRENT, AWSPREVIOUS)", n)
	}
	rotate(t, f, arn, token)
	reads := f.Count("GetSecretValue") // the rotation's own
	next, _ := f.Value(arn, token)
	if len(next) != 64 || next == seed {
		t.Fatalf("rotated seed %q", next)
	}
	clock = clock.Add(3 * time.Minute)
	if got := signedBy(issue()); got != kidOf(t, seed) {
		t.Fatalf("signed with %s within the refresh interval, want the old key", got)
	}
	clock = clock.Add(time.Minute)
	if got, want := kids(), []string{kidOf(t, next), kidOf(t, seed)}; !slices.Equal(got, want) {
		t.Fatalf("after the refresh interval: kids %v, want %v", got, want)
	}
	if got := signedBy(issue()); got != kidOf(t, next) {
		t.Fatalf("signed with %s after the refresh, want the new key", got)
	}
	if _, err := verifier.Verify(t.Context(), "acme", before); err != nil {
		t.Fatalf("a token issued before the rotation: %v", err)
	}
	if n := f.Count("GetSecretValue") - reads; n != 2 {
		t.Fatalf("GetSecretValue %d times since the rotation, want 2 (one refresh)", n)
	}
}

// TestGatewayOAuth2KeyFromSeed: with PORTICO_OAUTH2_SEED_SECRET_ARN the
// gateway publishes (and signs with) the key derived from the secret, so
// every instance does; aws mode without it fails fast.
func TestGatewayOAuth2KeyFromSeed(t *testing.T) {
	f := rotationtest.New()
	seed := strings.Repeat("q", 64)
	arn := f.CreateSecret(seedSecret, seed, nil)
	fakeSecretsManager(t, f)
	env := map[string]string{"PORTICO_DATA_DIR": t.TempDir(), "PORTICO_OAUTH2_SEED_SECRET_ARN": arn}
	s := newStack(t, func(k string) string { return env[k] })
	op := s.login("_platform", "owner")
	s.call("POST", "/admin/v1/tenants", op, map[string]any{"id": "acme", "name": "Acme"}, 201, nil)

	resp, err := s.srv.Client().Get(s.srv.URL + "/t/acme" + oauth2.JWKSPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("jwks: %d %v", resp.StatusCode, err)
	}
	if len(set.Keys) != 1 || set.Keys[0].KeyID != kidOf(t, seed) {
		t.Fatalf("jwks keys %+v, want the key derived from the seed", set.Keys)
	}

	e, err := LoadEnv(func(k string) string {
		return map[string]string{"PORTICO_MODE": "aws", "PORTICO_DEV_LOGIN": "false", "PORTICO_STORE": "bolt", "PORTICO_DATA_DIR": t.TempDir(), "PORTICO_SECRETS_PREFIX": "portico/dev/tenants/"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	st, closeStore, err := OpenStore(t.Context(), e)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeStore() })
	cat, err := NewCatalog(e, st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newCredentials(t.Context(), e, cat, slog.New(slog.NewJSONHandler(io.Discard, nil))); err == nil || !strings.Contains(err.Error(), "PORTICO_OAUTH2_SEED_SECRET_ARN") {
		t.Fatalf("aws mode without the seed secret: %v", err)
	}
}
