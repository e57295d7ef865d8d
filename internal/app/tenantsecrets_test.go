package app

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/portico/portico/internal/rotation/rotationtest"
	"github.com/portico/portico/internal/secrets/sealed"
	"github.com/portico/portico/internal/store/bolt"
)

func TestSecretsEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"local default", map[string]string{}, "sealed", ""},
		{"aws default", map[string]string{"PORTICO_MODE": "aws", "PORTICO_SECRETS_PREFIX": "portico/dev/tenants/"}, "secretsmanager", ""},
		{"aws without a prefix", map[string]string{"PORTICO_MODE": "aws"}, "", "PORTICO_SECRETS_PREFIX"},
		{"prefix without a slash", map[string]string{"PORTICO_SECRETS": "secretsmanager", "PORTICO_SECRETS_PREFIX": "portico/dev"}, "", "PORTICO_SECRETS_PREFIX"},
		{"aws sealed without a key", map[string]string{"PORTICO_MODE": "aws", "PORTICO_SECRETS": "sealed"}, "", "PORTICO_SECRETS_KEY"},
		{"unknown", map[string]string{"PORTICO_SECRETS": "vault"}, "", "PORTICO_SECRETS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := LoadEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || e.Secrets != tt.want {
				t.Fatalf("Secrets = %q, %v; want %q", e.Secrets, err, tt.want)
			}
		})
	}
}

// TestSealedSecretsInDataDir: locally the key is created 0600 in the data
// dir and survives a restart.
func TestSealedSecretsInDataDir(t *testing.T) {
	dir := t.TempDir()
	e, err := LoadEnv(func(k string) string { return map[string]string{"PORTICO_DATA_DIR": dir}[k] })
	if err != nil {
		t.Fatal(err)
	}
	st, err := bolt.Open(t.Context(), bolt.Config{Path: filepath.Join(dir, "p.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	s1, err := newSecretStore(t.Context(), e, st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s1.Put(t.Context(), "acme", "k", "v"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, sealed.KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	s2, err := newSecretStore(t.Context(), e, st) // a restart
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s2.Get(t.Context(), "acme", "k"); v != "v" || err != nil {
		t.Fatalf("after restart Get = %q, %v", v, err)
	}
}

// TestSecretsManagerFromEnv: aws mode writes tenant secrets to Secrets
// Manager under the prefix, through AWS_ENDPOINT_URL_SECRETS_MANAGER.
func TestSecretsManagerFromEnv(t *testing.T) {
	f := rotationtest.New()
	fakeSecretsManager(t, f)
	e, err := LoadEnv(func(k string) string {
		return map[string]string{"PORTICO_MODE": "aws", "PORTICO_SECRETS_PREFIX": "portico/dev/tenants/"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSecretStore(t.Context(), e, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(t.Context(), "acme", "stripe", "sk"); err != nil {
		t.Fatal(err)
	}
	if tags := f.Tags("portico/dev/tenants/acme/stripe"); tags["portico:tenant"] != "acme" {
		t.Errorf("tags = %v", tags)
	}
}

func TestSecretSlotUnbound(t *testing.T) {
	var s secretSlot
	if _, err := s.Get(t.Context(), "acme", "k"); !errors.Is(err, errSecretsUnbound) {
		t.Errorf("unbound Get error = %v", err)
	}
	s.bind(nil) // nothing to bind: stays unbound
	if _, err := s.Get(t.Context(), "acme", "k"); !errors.Is(err, errSecretsUnbound) {
		t.Errorf("Get after bind(nil) error = %v", err)
	}
}

// TestUpstreamCredentialTour: a secret stored through the console API is
// what the gateway sends upstream, and appears in no API answer.
func TestUpstreamCredentialTour(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(upstream.Close)
	env := map[string]string{"PORTICO_DATA_DIR": t.TempDir(), "PORTICO_REFRESH_INTERVAL": "1ns"}
	s := newStack(t, func(k string) string { return env[k] })
	op := s.login("_platform", "owner")
	s.call("POST", "/admin/v1/tenants", op, map[string]any{"id": "acme", "name": "Acme"}, 201, nil)
	tok := s.login("acme", "owner")
	const value = "sk_live_tour_value"
	s.call("PUT", "/admin/v1/secrets/billing-token", tok, map[string]any{"value": value}, 201, nil)
	s.call("POST", "/admin/v1/integrations", tok, map[string]any{"slug": "billing", "name": "Billing", "type": "http", "url": upstream.URL,
		"auth": map[string]any{"type": "bearer", "secret": "billing-token"}}, 201, nil)
	s.call("POST", "/admin/v1/apis", tok, map[string]any{"slug": "pay", "name": "Pay", "basePath": "/pay"}, 201, nil)
	s.call("POST", "/admin/v1/apis/pay/versions", tok, map[string]any{"name": "v1"}, 201, nil)
	s.call("POST", "/admin/v1/apis/pay/versions/v1/endpoints", tok, map[string]any{
		"method": "GET", "path": "/invoices", "target": map[string]any{"type": "integration", "integration": "billing"}}, 201, nil)
	s.call("POST", "/admin/v1/apis/pay/versions/v1/publish", tok, nil, 200, nil)

	s.call("GET", "/t/acme/v1/pay/invoices", "", nil, 200, nil)
	// A rotation through the API is seen at once on this instance.
	s.call("PUT", "/admin/v1/secrets/billing-token", tok, map[string]any{"value": value + "_2"}, 200, nil)
	s.call("GET", "/t/acme/v1/pay/invoices", "", nil, 200, nil)
	mu.Lock()
	got := append([]string(nil), seen...)
	mu.Unlock()
	if len(got) != 2 || got[0] != "Bearer "+value || got[1] != "Bearer "+value+"_2" {
		t.Fatalf("upstream saw %q", got)
	}

	for _, path := range []string{"/admin/v1/secrets", "/admin/v1/integrations/billing", "/admin/v1/audit"} {
		var raw any
		s.call("GET", path, tok, nil, 200, &raw)
		if b := strings.Join(flatten(raw), " "); strings.Contains(b, "sk_live") {
			t.Errorf("%s carries the value: %s", path, b)
		}
	}
}

// flatten returns every string in a decoded JSON value.
func flatten(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, flatten(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for k, e := range x {
			out = append(out, k)
			out = append(out, flatten(e)...)
		}
		return out
	}
	return nil
}
