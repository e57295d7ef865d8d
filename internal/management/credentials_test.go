package management

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/portico/portico/internal/auth/apikey"
	"github.com/portico/portico/internal/auth/oauth2"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
)

const jwtIssuerBody = `{"slug":"idp-%d","issuer":"https://idp.example.com","jwksUrl":"https://idp.example.com/jwks.json","audiences":["orders"]}`

// addKey issues a key to tenantA's consumer mobile and returns its id.
func (e *env) addKey(t *testing.T) string {
	t.Helper()
	_, pfx, hash := apikey.Generate()
	k, err := e.cat.CreateAPIKey(context.Background(), tenantA, seedActor, "mobile", &model.APIKey{}, pfx, hash.String())
	if err != nil {
		t.Fatal(err)
	}
	return k.ID
}

// addClient issues an OAuth2 client to tenantA's consumer mobile.
func (e *env) addClient(t *testing.T) string {
	t.Helper()
	_, hash := oauth2.GenerateSecret()
	c, err := e.cat.CreateOAuthClient(context.Background(), tenantA, seedActor, "mobile", &model.OAuthClient{}, hash)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// addJWTIssuer creates issuer idp-<n> in tenantA.
func (e *env) addJWTIssuer(t *testing.T, n int) string {
	t.Helper()
	var v model.JWTIssuer
	if err := json.Unmarshal([]byte(fmt.Sprintf(jwtIssuerBody, n)), &v); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cat.CreateJWTIssuer(context.Background(), tenantA, seedActor, &v); err != nil {
		t.Fatal(err)
	}
	return v.Slug
}

func TestAPIKeyLifecycle(t *testing.T) {
	e := newEnv(t)
	var revoked []string
	e.cat.OnKeyRevoked(func(hash string) { revoked = append(revoked, hash) })
	tok := e.token(tenantA, identity.RoleDeveloper)

	rec := e.do("POST", prefix+"/consumers/mobile/keys", tok, `{"name":"ci","scopes":["orders:read"],"plan":"gold","expiresAt":"2030-01-01T00:00:00Z"}`)
	wantStatus(t, rec, http.StatusCreated)
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control = %q", cc)
	}
	var issued struct {
		model.APIKey
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &issued); err != nil {
		t.Fatal(err)
	}
	if !apikey.WellFormed(issued.Secret) || !strings.HasPrefix(issued.Secret, issued.Prefix) || issued.Status != model.KeyActive || issued.Plan != "gold" {
		t.Fatalf("issued = %+v", issued)
	}

	// The catalog finds it by hash, with its tenant; nothing returns the secret or the hash again.
	m, err := e.cat.FindAPIKey(context.Background(), apikey.HashOf(issued.Secret).String())
	if err != nil || m.Tenant != tenantA || m.Key.ID != issued.ID {
		t.Fatalf("find = %+v, %v", m, err)
	}
	for _, path := range []string{"/consumers/mobile/keys", "/consumers/mobile/keys/" + issued.ID, "/audit"} {
		rec := e.do("GET", prefix+path, e.token(tenantA, identity.RoleOwner), "")
		wantStatus(t, rec, http.StatusOK)
		body := rec.Body.String()
		if strings.Contains(body, issued.Secret) || strings.Contains(body, apikey.HashOf(issued.Secret).String()) || strings.Contains(body, `"secret"`) {
			t.Fatalf("%s leaks the secret or its hash: %s", path, body)
		}
	}

	rec = e.do("POST", prefix+"/consumers/mobile/keys/"+issued.ID+"/revoke", tok, "")
	wantStatus(t, rec, http.StatusOK)
	if len(revoked) != 1 || revoked[0] != apikey.HashOf(issued.Secret).String() {
		t.Fatalf("OnKeyRevoked hook got %v", revoked)
	}
	m, err = e.cat.FindAPIKey(context.Background(), apikey.HashOf(issued.Secret).String())
	if err != nil || m.Key.Status != model.KeyRevoked || m.Key.RevokedAt == nil {
		t.Fatalf("after revoke: %+v, %v", m, err)
	}
	wantProblem(t, e.do("POST", prefix+"/consumers/mobile/keys/"+issued.ID+"/revoke", tok, ""), http.StatusConflict)

	t.Run("validation", func(t *testing.T) {
		for _, body := range []string{`{"expiresAt":"2001-01-01T00:00:00Z"}`, `{"scopes":["a b"]}`, `{"plan":"Gold Plan"}`} {
			wantProblem(t, e.do("POST", prefix+"/consumers/mobile/keys", tok, body), http.StatusBadRequest)
		}
	})
	t.Run("unknown consumer", func(t *testing.T) {
		wantProblem(t, e.do("POST", prefix+"/consumers/nobody/keys", tok, `{}`), http.StatusNotFound)
		wantProblem(t, e.do("GET", prefix+"/consumers/nobody/keys", tok, ""), http.StatusNotFound)
	})
}

func TestDeletedConsumerKeysStopWorking(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.cat.CreateConsumer(ctx, tenantA, seedActor, &model.Consumer{Slug: "temp", Name: "Temp"}); err != nil {
		t.Fatal(err)
	}
	_, pfx, hash := apikey.Generate()
	if _, err := e.cat.CreateAPIKey(ctx, tenantA, seedActor, "temp", &model.APIKey{}, pfx, hash.String()); err != nil {
		t.Fatal(err)
	}
	_, chash := oauth2.GenerateSecret()
	cl, err := e.cat.CreateOAuthClient(ctx, tenantA, seedActor, "temp", &model.OAuthClient{}, chash)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cat.FindAPIKey(ctx, hash.String()); err != nil {
		t.Fatal(err)
	}
	if err := e.cat.DeleteConsumer(ctx, tenantA, seedActor, "temp", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cat.FindAPIKey(ctx, hash.String()); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("key of a deleted consumer: %v", err)
	}
	if _, _, err := e.cat.OAuthClient(ctx, tenantA, cl.ID); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("client of a deleted consumer: %v", err)
	}
}

func TestRecordSecurityEvent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	before, err := e.cat.ConfigVersion(ctx, tenantA)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.cat.RecordSecurityEvent(ctx, tenantA, model.AuditEntry{Actor: "gateway", Action: "auth-failures", Resource: "ip/203.0.113.9"}); err != nil {
		t.Fatal(err)
	}
	after, _ := e.cat.ConfigVersion(ctx, tenantA)
	if after != before {
		t.Fatal("a security event changed the config version (gateways would reload)")
	}
	entries, _, err := e.cat.ListAudit(ctx, tenantA, catalog.AuditFilter{ResourceType: "security"})
	if err != nil || len(entries) != 1 || entries[0].Action != "auth-failures" {
		t.Fatalf("audit = %+v, %v", entries, err)
	}
}
