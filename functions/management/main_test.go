package main

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/lambdahttp/lambdatest"
)

// TestBootstrapServesConsoleAPI builds the management function's real
// binary and drives it through the fake Lambda Runtime API: a platform
// operator creates a tenant, its owner creates an API, and a token signed
// by another key is refused.
func TestBootstrapServesConsoleAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bootstrap")
	}
	dataDir := t.TempDir()
	// The function verifies tokens with the dev-login key in its data dir
	// (local mode); the test signs with the same key.
	signer, err := identity.LoadOrCreateSigner(dataDir, "portico-local")
	if err != nil {
		t.Fatal(err)
	}
	token := func(tenant string, role identity.Role) string {
		tok, err := signer.Issue(identity.Principal{Subject: "t", Email: "t@x.test", Tenant: tenant, Role: role}, time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}
	base, err := os.ReadFile("../../internal/lambdahttp/testdata/apigw-v2-request-no-authorizer.json")
	if err != nil {
		t.Fatal(err)
	}
	fn := lambdatest.StartFunction(t, ".", "PORTICO_DATA_DIR="+dataDir, "PORTICO_SEED_DEMO=false")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	steps := []struct {
		method, path, auth, body string
		want                     int
	}{
		{"POST", "/admin/v1/tenants", token("_platform", identity.RoleAdmin), `{"id":"acme","name":"Acme"}`, 201},
		{"POST", "/admin/v1/apis", token("acme", identity.RoleDeveloper), `{"slug":"orders","name":"Orders"}`, 201},
		{"POST", "/admin/v1/apis", token("acme", identity.RoleViewer), `{"slug":"other","name":"Other"}`, 403},
		{"GET", "/admin/v1/apis/orders", token("acme", identity.RoleViewer), "", 200},
		{"GET", "/admin/v1/apis", "Bearer not-a-token", "", 401},
		{"POST", "/admin/v1/apis", token("acme", identity.RoleOwner), `{"slug":"Bad Slug"}`, 400},
	}
	for _, s := range steps {
		resp, err := fn.HTTP(ctx, base, s.method, s.path, map[string]string{"Authorization": s.auth, "Content-Type": "application/json"}, s.body)
		if err != nil {
			t.Fatalf("%s %s: %v", s.method, s.path, err)
		}
		if resp.StatusCode != s.want {
			t.Fatalf("%s %s: status %d, want %d; body %s", s.method, s.path, resp.StatusCode, s.want, resp.Body)
		}
		if s.want >= 400 {
			var p struct{ Status int }
			if err := json.Unmarshal([]byte(resp.Body), &p); err != nil || p.Status != s.want {
				t.Fatalf("%s %s: body %s is not a problem document with status %d", s.method, s.path, resp.Body, s.want)
			}
		}
	}
	t.Logf("cold start to first response: %v", fn.ColdStart)
}
