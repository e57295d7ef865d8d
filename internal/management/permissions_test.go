package management

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/model"
)

var update = flag.Bool("update", false, "rewrite golden files (docs/permissions.md)")

// matrixCall builds the request a route is exercised with: n is unique per
// call, so a case can create the resource it deletes or name a fresh one,
// and every allowed call by a tenantA principal is expected to succeed.
type matrixCall func(t *testing.T, e *env, n int) (path, body string)

func fixed(path, body string) matrixCall {
	return func(*testing.T, *env, int) (string, string) { return prefix + path, body }
}

// freshVersion creates version v<n+100> of orders in tenantA with one
// endpoint and moves it to status, returning its path.
func freshVersion(t *testing.T, e *env, n int, status model.VersionStatus) string {
	t.Helper()
	ver := fmt.Sprintf("v%d", n+100)
	must(t, "version", e.addVersion(tenantA, "orders", ver))
	if status == model.StatusDraft {
		return prefix + "/apis/orders/versions/" + ver
	}
	if _, err := e.addEndpoint(tenantA, "orders", ver, "GET", "/items"); err != nil {
		t.Fatalf("endpoint: %v", err)
	}
	e.setStatus(tenantA, "orders", ver, model.StatusPublished)
	if status == model.StatusDeprecated {
		e.setStatus(tenantA, "orders", ver, model.StatusDeprecated)
	}
	return prefix + "/apis/orders/versions/" + ver
}

const endpointBody = `{"method":"GET","path":"/e%d","target":{"type":"integration","integration":"backend"}}`

// matrixCalls has one entry per route of the permission table. A route added
// to routes() without an entry here fails TestRoleMatrix.
func matrixCalls() map[string]matrixCall {
	return map[string]matrixCall{
		"GET /admin/v1/me": fixed("/me", ""),

		"GET /admin/v1/tenants": fixed("/tenants", ""),
		"POST /admin/v1/tenants": func(_ *testing.T, _ *env, n int) (string, string) {
			return prefix + "/tenants", fmt.Sprintf(`{"id":"new-%d","name":"New"}`, n)
		},
		"DELETE /admin/v1/tenants/{tenant}": func(t *testing.T, e *env, n int) (string, string) {
			id := fmt.Sprintf("gone-%d", n)
			if _, err := e.cat.CreateTenant(context.Background(), seedActor, &model.Tenant{ID: id, Name: "Gone"}); err != nil {
				t.Fatal(err)
			}
			return prefix + "/tenants/" + id, ""
		},
		"GET /admin/v1/tenants/{tenant}": fixed("/tenants/"+tenantA, ""),
		"PUT /admin/v1/tenants/{tenant}": func(_ *testing.T, _ *env, n int) (string, string) {
			return prefix + "/tenants/" + tenantA, fmt.Sprintf(`{"name":"Acme %d"}`, n)
		},

		"GET /admin/v1/apis": fixed("/apis", ""),
		"POST /admin/v1/apis": func(_ *testing.T, _ *env, n int) (string, string) {
			return prefix + "/apis", fmt.Sprintf(`{"slug":"api-%d","name":"API","basePath":"/api-%d"}`, n, n)
		},
		"GET /admin/v1/apis/{api}": fixed("/apis/orders", ""),
		"PUT /admin/v1/apis/{api}": fixed("/apis/orders", `{"name":"Orders","basePath":"/orders"}`),
		"DELETE /admin/v1/apis/{api}": func(t *testing.T, e *env, n int) (string, string) {
			slug := fmt.Sprintf("gone-%d", n)
			must(t, "api", e.addAPI(tenantA, slug, "/"+slug))
			return prefix + "/apis/" + slug, ""
		},

		"GET /admin/v1/apis/{api}/versions": fixed("/apis/orders/versions", ""),
		"POST /admin/v1/apis/{api}/versions": func(_ *testing.T, _ *env, n int) (string, string) {
			return prefix + "/apis/orders/versions", fmt.Sprintf(`{"name":"v%d"}`, n+100)
		},
		"GET /admin/v1/apis/{api}/versions/{version}":   fixed("/apis/orders/versions/v1", ""),
		"PATCH /admin/v1/apis/{api}/versions/{version}": fixed("/apis/orders/versions/v1", `{"description":"first"}`),
		"DELETE /admin/v1/apis/{api}/versions/{version}": func(t *testing.T, e *env, n int) (string, string) {
			return freshVersion(t, e, n, model.StatusDraft), ""
		},
		"POST /admin/v1/apis/{api}/versions/{version}/publish": func(t *testing.T, e *env, n int) (string, string) {
			p := freshVersion(t, e, n, model.StatusDraft)
			if _, err := e.addEndpoint(tenantA, "orders", strings.TrimPrefix(p, prefix+"/apis/orders/versions/"), "GET", "/items"); err != nil {
				t.Fatal(err)
			}
			return p + "/publish", ""
		},
		"POST /admin/v1/apis/{api}/versions/{version}/deprecate": func(t *testing.T, e *env, n int) (string, string) {
			return freshVersion(t, e, n, model.StatusPublished) + "/deprecate", `{"sunsetAt":"2027-01-01T00:00:00Z"}`
		},
		"POST /admin/v1/apis/{api}/versions/{version}/retire": func(t *testing.T, e *env, n int) (string, string) {
			return freshVersion(t, e, n, model.StatusDeprecated) + "/retire", ""
		},
		"POST /admin/v1/apis/{api}/versions/{version}/cache/purge": fixed("/apis/orders/versions/v1/cache/purge", `{"path":"/orders/items"}`),
		"POST /admin/v1/cache/purge":                               fixed("/cache/purge", `{"tag":"orders"}`),
		"GET /admin/v1/cache/stats":                                fixed("/cache/stats", ""),

		"GET /admin/v1/apis/{api}/versions/{version}/endpoints": fixed("/apis/orders/versions/v1/endpoints", ""),
		"POST /admin/v1/apis/{api}/versions/{version}/endpoints": func(_ *testing.T, _ *env, n int) (string, string) {
			return prefix + "/apis/orders/versions/v1/endpoints", fmt.Sprintf(endpointBody, n)
		},
		"GET /admin/v1/apis/{api}/versions/{version}/endpoints/{endpoint}": func(_ *testing.T, e *env, _ int) (string, string) {
			return prefix + "/apis/orders/versions/v1/endpoints/" + e.epID, ""
		},
		"PUT /admin/v1/apis/{api}/versions/{version}/endpoints/{endpoint}": func(_ *testing.T, e *env, _ int) (string, string) {
			return prefix + "/apis/orders/versions/v1/endpoints/" + e.epID,
				`{"method":"GET","path":"/items","summary":"items","target":{"type":"integration","integration":"backend"}}`
		},
		"DELETE /admin/v1/apis/{api}/versions/{version}/endpoints/{endpoint}": func(t *testing.T, e *env, n int) (string, string) {
			ep, err := e.addEndpoint(tenantA, "orders", "v1", "POST", fmt.Sprintf("/d%d", n))
			if err != nil {
				t.Fatal(err)
			}
			return prefix + "/apis/orders/versions/v1/endpoints/" + ep.ID, ""
		},

		"GET /admin/v1/integrations": fixed("/integrations", ""),
		"POST /admin/v1/integrations": func(_ *testing.T, _ *env, n int) (string, string) {
			return prefix + "/integrations", fmt.Sprintf(`{"slug":"int-%d","name":"I","type":"http","url":"https://i.example.com"}`, n)
		},
		"GET /admin/v1/integrations/{integration}": fixed("/integrations/backend", ""),
		"PUT /admin/v1/integrations/{integration}": fixed("/integrations/backend", `{"name":"Backend","type":"http","url":"https://backend.example.com","timeoutMs":5000}`),
		"DELETE /admin/v1/integrations/{integration}": func(t *testing.T, e *env, n int) (string, string) {
			slug := fmt.Sprintf("gone-%d", n)
			must(t, "integration", e.addIntegration(tenantA, slug))
			return prefix + "/integrations/" + slug, ""
		},

		"GET /admin/v1/integrations/{integration}/health": fixed("/integrations/backend/health", ""),
		"POST /admin/v1/integrations/{integration}/test":  probeMatrixCall,

		"GET /admin/v1/plans": fixed("/plans", ""),
		"POST /admin/v1/plans": func(_ *testing.T, _ *env, n int) (string, string) {
			return prefix + "/plans", fmt.Sprintf(`{"slug":"plan-%d","name":"P","limits":[{"algorithm":"fixedWindow","limit":10,"windowSeconds":60}]}`, n)
		},
		"GET /admin/v1/plans/{plan}": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/plans/" + addPlan(t, e, n), ""
		},
		"PUT /admin/v1/plans/{plan}": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/plans/" + addPlan(t, e, n), `{"name":"P2","limits":[{"algorithm":"tokenBucket","limit":5,"windowSeconds":1}]}`
		},
		"DELETE /admin/v1/plans/{plan}": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/plans/" + addPlan(t, e, n), ""
		},
		"GET /admin/v1/webhooks":  fixed("/webhooks", ""),
		"POST /admin/v1/webhooks": fixed("/webhooks", `{"url":"https://hooks.example.com/in","events":["config.changed"]}`),
		"GET /admin/v1/webhooks/{webhook}": func(t *testing.T, e *env, _ int) (string, string) {
			return prefix + "/webhooks/" + addWebhook(t, e), ""
		},
		"DELETE /admin/v1/webhooks/{webhook}": func(t *testing.T, e *env, _ int) (string, string) {
			return prefix + "/webhooks/" + addWebhook(t, e), ""
		},
		"PATCH /admin/v1/webhooks/{webhook}": func(t *testing.T, e *env, _ int) (string, string) {
			return prefix + "/webhooks/" + addWebhook(t, e), `{"description":"patched"}`
		},
		"POST /admin/v1/webhooks/{webhook}/rotate-secret": func(t *testing.T, e *env, _ int) (string, string) {
			return prefix + "/webhooks/" + addWebhook(t, e) + "/rotate-secret", ""
		},
		"POST /admin/v1/webhooks/{webhook}/test": func(t *testing.T, e *env, _ int) (string, string) {
			e.h.cfg.WebhookTests = failingTester{}
			return prefix + "/webhooks/" + addWebhook(t, e) + "/test", ""
		},
		"GET /admin/v1/webhooks/{webhook}/deliveries": func(t *testing.T, e *env, _ int) (string, string) {
			return prefix + "/webhooks/" + addWebhook(t, e) + "/deliveries", ""
		},
		"POST /admin/v1/webhooks/{webhook}/deliveries/{delivery}/retry": func(t *testing.T, e *env, _ int) (string, string) {
			e.h.cfg.Webhooks = &fakeRedeliverer{d: webhook.Delivery{ID: "msg_1", State: webhook.StateDelivered}}
			return prefix + "/webhooks/" + addWebhook(t, e) + "/deliveries/msg_1/retry", ""
		},

		"GET /admin/v1/secrets": fixed("/secrets", ""),
		"GET /admin/v1/secrets/{name}": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/secrets/" + addSecret(t, e, n), ""
		},
		"PUT /admin/v1/secrets/{name}": func(_ *testing.T, _ *env, n int) (string, string) {
			return prefix + fmt.Sprintf("/secrets/put-%d", n), `{"value":"s3cr3t"}`
		},
		"DELETE /admin/v1/secrets/{name}": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/secrets/" + addSecret(t, e, n), ""
		},

		"GET /admin/v1/consumers": fixed("/consumers", ""),
		"POST /admin/v1/consumers": func(_ *testing.T, _ *env, n int) (string, string) {
			return prefix + "/consumers", fmt.Sprintf(`{"slug":"con-%d","name":"C"}`, n)
		},
		"GET /admin/v1/consumers/{consumer}": fixed("/consumers/mobile", ""),
		"PUT /admin/v1/consumers/{consumer}": fixed("/consumers/mobile", `{"name":"Mobile","metadata":{"team":"apps"}}`),
		"DELETE /admin/v1/consumers/{consumer}": func(t *testing.T, e *env, n int) (string, string) {
			slug := fmt.Sprintf("gone-%d", n)
			if _, err := e.cat.CreateConsumer(context.Background(), tenantA, seedActor, &model.Consumer{Slug: slug, Name: "Gone"}); err != nil {
				t.Fatal(err)
			}
			return prefix + "/consumers/" + slug, ""
		},

		"GET /admin/v1/consumers/{consumer}/keys":  fixed("/consumers/mobile/keys", ""),
		"POST /admin/v1/consumers/{consumer}/keys": fixed("/consumers/mobile/keys", `{"name":"ci","scopes":["orders:read"],"plan":"gold"}`),
		"GET /admin/v1/consumers/{consumer}/keys/{key}": func(t *testing.T, e *env, _ int) (string, string) {
			return prefix + "/consumers/mobile/keys/" + e.addKey(t), ""
		},
		"POST /admin/v1/consumers/{consumer}/keys/{key}/revoke": func(t *testing.T, e *env, _ int) (string, string) {
			return prefix + "/consumers/mobile/keys/" + e.addKey(t) + "/revoke", ""
		},

		"GET /admin/v1/consumers/{consumer}/clients":  fixed("/consumers/mobile/clients", ""),
		"POST /admin/v1/consumers/{consumer}/clients": fixed("/consumers/mobile/clients", `{"name":"backend","scopes":["orders:read"]}`),
		"POST /admin/v1/consumers/{consumer}/clients/{client}/revoke": func(t *testing.T, e *env, _ int) (string, string) {
			return prefix + "/consumers/mobile/clients/" + e.addClient(t) + "/revoke", ""
		},

		"GET /admin/v1/jwt-issuers": fixed("/jwt-issuers", ""),
		"POST /admin/v1/jwt-issuers": func(_ *testing.T, _ *env, n int) (string, string) {
			return prefix + "/jwt-issuers", fmt.Sprintf(jwtIssuerBody, n)
		},
		"GET /admin/v1/jwt-issuers/{issuer}": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/jwt-issuers/" + e.addJWTIssuer(t, n), ""
		},
		"PUT /admin/v1/jwt-issuers/{issuer}": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/jwt-issuers/" + e.addJWTIssuer(t, n), fmt.Sprintf(jwtIssuerBody, n)
		},
		"DELETE /admin/v1/jwt-issuers/{issuer}": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/jwt-issuers/" + e.addJWTIssuer(t, n), ""
		},

		"GET /admin/v1/members": fixed("/members", ""),
		"PUT /admin/v1/members/{email}": func(_ *testing.T, _ *env, n int) (string, string) {
			return prefix + fmt.Sprintf("/members/m%d@acme.test", n), `{"role":"viewer"}`
		},
		"DELETE /admin/v1/members/{email}": func(t *testing.T, e *env, n int) (string, string) {
			email := fmt.Sprintf("gone%d@acme.test", n)
			if _, err := e.cat.PutMember(context.Background(), tenantA, seedActor, &model.Member{Email: email, Role: "viewer"}); err != nil {
				t.Fatal(err)
			}
			return prefix + "/members/" + email, ""
		},

		"GET /admin/v1/audit": fixed("/audit", ""),

		"POST /admin/v1/validate/api":         fixed("/validate/api", `{"slug":"x","name":"X"}`),
		"POST /admin/v1/validate/version":     fixed("/validate/version", `{"name":"v1"}`),
		"POST /admin/v1/validate/endpoint":    fixed("/validate/endpoint", `{"method":"GET","path":"/x/{id}","target":{"type":"integration","integration":"backend"}}`),
		"POST /admin/v1/validate/integration": fixed("/validate/integration", `{"slug":"x","name":"X","type":"http","url":"http://127.0.0.1:1"}`),
		"POST /admin/v1/validate/consumer":    fixed("/validate/consumer", `{"slug":"x","name":"X"}`),
		"POST /admin/v1/validate/member":      fixed("/validate/member", `{"email":"a@b.test","role":"viewer"}`),
		"POST /admin/v1/validate/workflow":    fixed("/validate/workflow", `{"slug":"x","steps":[{"name":"a","type":"set","set":{"value":1}}]}`),
		"POST /admin/v1/transforms:preview":   fixed("/transforms:preview", `{"transform":{"steps":[{"status":{"set":201}}]},"input":{"status":200}}`),

		"GET /admin/v1/transforms":                    transformMatrix()["GET /admin/v1/transforms"],
		"POST /admin/v1/transforms":                   transformMatrix()["POST /admin/v1/transforms"],
		"GET /admin/v1/transforms/{transform}":        transformMatrix()["GET /admin/v1/transforms/{transform}"],
		"PUT /admin/v1/transforms/{transform}":        transformMatrix()["PUT /admin/v1/transforms/{transform}"],
		"DELETE /admin/v1/transforms/{transform}":     transformMatrix()["DELETE /admin/v1/transforms/{transform}"],
		"PUT /admin/v1/transforms/{transform}/module": transformMatrix()["PUT /admin/v1/transforms/{transform}/module"],
		"GET /admin/v1/transform-modules":             fixed("/transform-modules", ""),
		"POST /admin/v1/transform-modules:sweep":      fixed("/transform-modules:sweep", `{"dryRun":true}`),
		"POST /admin/v1/apis/{api}/versions/{version}/import-openapi": fixed("/apis/orders/versions/v1/import-openapi",
			`{"dryRun":true,"document":{"openapi":"3.1.0","info":{"title":"x","version":"1"},"paths":{}}}`),

		"GET /admin/v1/workflows": fixed("/workflows", ""),
		"POST /admin/v1/workflows": func(_ *testing.T, _ *env, n int) (string, string) {
			return prefix + "/workflows", fmt.Sprintf(setWorkflowBody, n)
		},
		"GET /admin/v1/workflows/{workflow}": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/workflows/" + e.addWorkflow(t, n, false), ""
		},
		"PUT /admin/v1/workflows/{workflow}": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/workflows/" + e.addWorkflow(t, n, false), fmt.Sprintf(setWorkflowBody, n)
		},
		"DELETE /admin/v1/workflows/{workflow}": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/workflows/" + e.addWorkflow(t, n, false), ""
		},
		"GET /admin/v1/workflows/{workflow}/definition": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/workflows/" + e.addWorkflow(t, n, false) + "/definition", ""
		},
		"POST /admin/v1/workflows/{workflow}/publish": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/workflows/" + e.addWorkflow(t, n, false) + "/publish", ""
		},
		"POST /admin/v1/workflows/{workflow}/executions": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/workflows/" + e.addWorkflow(t, n, true) + "/executions", `{"body":{"a":1}}`
		},
		"GET /admin/v1/workflows/{workflow}/executions": func(t *testing.T, e *env, n int) (string, string) {
			return prefix + "/workflows/" + e.addWorkflow(t, n, false) + "/executions?status=FAILED", ""
		},
		"GET /admin/v1/workflows/{workflow}/executions/{execution}": func(t *testing.T, e *env, n int) (string, string) {
			slug := e.addWorkflow(t, n, false)
			return prefix + "/workflows/" + slug + "/executions/" + e.addExecution(t, slug), ""
		},
		"POST /admin/v1/workflows/{workflow}/executions/{execution}/redrive": func(t *testing.T, e *env, n int) (string, string) {
			return e.failedStandardExecution(t, n), ""
		},

		"POST /admin/v1/auth/dev-login":       fixed("/auth/dev-login", `{"tenant":"acme","email":"dev@acme.test","role":"viewer"}`),
		"GET /admin/v1/.well-known/jwks.json": fixed("/.well-known/jwks.json", ""),
	}
}

type callerKind int

const (
	anonymous    callerKind = iota // no token, or one that does not verify
	tenantMember                   // a member of tenantA
	operator                       // a platform operator
	foreign                        // an owner of tenantB
)

type caller struct {
	name  string
	kind  callerKind
	role  identity.Role
	token func(e *env) string
}

func callers() []caller {
	member := func(r identity.Role) caller {
		return caller{name: string(r), kind: tenantMember, role: r, token: func(e *env) string { return e.token(tenantA, r) }}
	}
	return []caller{
		member(identity.RoleOwner),
		member(identity.RoleAdmin),
		member(identity.RoleDeveloper),
		member(identity.RoleViewer),
		{name: "platform-operator", kind: operator, role: identity.RoleOwner, token: func(e *env) string { return e.token(PlatformTenant, identity.RoleOwner) }},
		{name: "platform-viewer", kind: operator, role: identity.RoleViewer, token: func(e *env) string { return e.token(PlatformTenant, identity.RoleViewer) }},
		{name: "no-token", kind: anonymous, token: func(*env) string { return "" }},
		{name: "expired-token", kind: anonymous, token: func(e *env) string {
			return e.issue(e.signer, tenantA, identity.RoleOwner, baseTime.Add(-3*time.Hour), time.Hour)
		}},
		{name: "foreign-key-token", kind: anonymous, token: func(e *env) string {
			other, err := identity.LoadOrCreateSigner(e.t.TempDir(), "test-issuer")
			if err != nil {
				e.t.Fatal(err)
			}
			return e.issue(other, tenantA, identity.RoleOwner, baseTime, time.Hour)
		}},
		{name: "other-tenant-owner", kind: foreign, role: identity.RoleOwner, token: func(e *env) string { return e.token(tenantB, identity.RoleOwner) }},
	}
}

// Expected outcomes of the matrix.
type outcome int

const (
	allowed    outcome = iota // 2xx
	wantUnauth                // 401 with WWW-Authenticate: Bearer
	wantForbid                // 403
	hidden                    // 404: another tenant's resource, indistinguishable from a missing one
)

func (o outcome) String() string {
	return [...]string{"allowed", "401", "403", "404"}[o]
}

// expect is the permission model stated independently of authorize().
func expect(rt Route, c caller) outcome {
	if rt.Access == "public" {
		return allowed
	}
	if c.kind == anonymous {
		return wantUnauth
	}
	switch rt.Access {
	case "authenticated":
		return allowed
	case "platform":
		if c.kind != operator {
			return wantForbid
		}
	case "self":
		if c.kind == foreign {
			return hidden
		}
	case "member":
		switch c.kind {
		case operator:
			return wantForbid
		case foreign:
			// An owner of tenantB acts on tenantB: collections are its
			// own; named tenantA resources do not exist there. PUT member
			// and PUT secret are upserts, so they create in tenantB.
			if strings.Contains(rt.Pattern, "{") && rt.Pattern != "PUT "+prefix+"/members/{email}" && rt.Pattern != "PUT "+prefix+"/secrets/{name}" {
				return hidden
			}
			return allowed
		}
	default:
		panic("unknown access " + rt.Access)
	}
	if !c.role.AtLeast(rt.MinRole) {
		return wantForbid
	}
	return allowed
}

func TestRoleMatrix(t *testing.T) {
	routes := newEnv(t).h.Routes()
	calls := matrixCalls()
	seen := map[string]bool{}
	for _, rt := range routes {
		seen[rt.Pattern] = true
		call, ok := calls[rt.Pattern]
		if !ok {
			t.Errorf("route %q has no entry in matrixCalls: add one so its permissions are tested", rt.Pattern)
			continue
		}
		t.Run(rt.Pattern, func(t *testing.T) {
			e := newEnv(t)
			method, _, _ := strings.Cut(rt.Pattern, " ")
			for i, c := range callers() {
				t.Run(c.name, func(t *testing.T) {
					path, body := call(t, e, i)
					rec := e.do(method, path, c.token(e), body)
					want := expect(rt, c)
					checkOutcome(t, rec, want)
				})
			}
		})
	}
	for p := range calls {
		if !seen[p] {
			t.Errorf("matrixCalls has %q, which is not a route", p)
		}
	}
}

func checkOutcome(t *testing.T, rec interface {
	Result() *http.Response
}, want outcome) {
	t.Helper()
	res := rec.Result()
	body := new(bytes.Buffer)
	_, _ = body.ReadFrom(res.Body)
	got := res.StatusCode
	isProb := res.Header.Get("Content-Type") == "application/problem+json"
	switch want {
	case allowed:
		if got < 200 || got > 299 {
			t.Fatalf("status = %d, want 2xx; body: %s", got, body)
		}
		return
	case wantUnauth:
		if got != http.StatusUnauthorized {
			t.Fatalf("status = %d, want 401; body: %s", got, body)
		}
		if wa := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(wa, "Bearer") {
			t.Fatalf("WWW-Authenticate = %q, want a Bearer challenge", wa)
		}
	case wantForbid:
		if got != http.StatusForbidden {
			t.Fatalf("status = %d, want 403; body: %s", got, body)
		}
	case hidden:
		if got != http.StatusNotFound {
			t.Fatalf("status = %d, want 404; body: %s", got, body)
		}
	}
	if !isProb {
		t.Fatalf("Content-Type = %q, want problem+json", res.Header.Get("Content-Type"))
	}
}

// TestAuthorizationHeader covers malformed credentials the matrix does not.
func TestAuthorizationHeader(t *testing.T) {
	e := newEnv(t)
	good := e.token(tenantA, identity.RoleViewer)
	tests := []struct {
		name, header string
		want         int
	}{
		{"bearer", "Bearer " + good, http.StatusOK},
		{"lowercase scheme", "bearer " + good, http.StatusOK},
		{"basic scheme", "Basic dXNlcjpwYXNz", http.StatusUnauthorized},
		{"scheme only", "Bearer", http.StatusUnauthorized},
		{"empty token", "Bearer ", http.StatusUnauthorized},
		{"blank token", "Bearer    ", http.StatusUnauthorized},
		{"garbage token", "Bearer not.a.jwt", http.StatusUnauthorized},
		{"token without scheme", good, http.StatusUnauthorized},
		{"truncated signature", "Bearer " + good[:len(good)-4], http.StatusUnauthorized},
		{"wrong audience is not reachable with Issue; wrong issuer", "Bearer " + otherIssuerToken(t), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.serve(req{method: "GET", path: prefix + "/me", header: map[string]string{"Authorization": tt.header}})
			if tt.want == http.StatusOK {
				wantStatus(t, rec, http.StatusOK)
				return
			}
			wantProblem(t, rec, http.StatusUnauthorized)
			if wa := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(wa, "Bearer") {
				t.Fatalf("WWW-Authenticate = %q", wa)
			}
		})
	}
}

func otherIssuerToken(t *testing.T) string {
	s, err := identity.LoadOrCreateSigner(t.TempDir(), "someone-else")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Issue(identity.Principal{Subject: "x", Tenant: tenantA, Role: identity.RoleOwner}, time.Hour, baseTime)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestPermissionsDoc keeps docs/permissions.md in step with routes():
// go test ./internal/management -run TestPermissionsDoc -update rewrites it.
func TestPermissionsDoc(t *testing.T) {
	got := renderPermissions(newEnv(t).h.Routes())
	path := filepath.Join("..", "..", "docs", "permissions.md")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date with routes(); run go test ./internal/management -run TestPermissionsDoc -update\n--- got ---\n%s", path, got)
	}
}

func renderPermissions(routes []Route) []byte {
	var b bytes.Buffer
	b.WriteString(`# Console API permissions

<!-- Generated from routes() in internal/management/routes.go by
     go test ./internal/management -run TestPermissionsDoc -update
     Do not edit by hand: TestPermissionsDoc fails when this file and the table differ. -->

Every route of the console API (` + "`" + prefix + "`" + `) and who may call it. The tenant a
call acts on always comes from the verified bearer token, never from the URL or
the body. Roles are ordered owner > admin > developer > viewer; a route open to
a role is open to every role above it.

| Access | Who may call |
|---|---|
| public | anyone; no token is needed (a token, valid or not, is ignored) |
| authenticated | any valid console token, of a tenant member or a platform operator |
| member | a member of the token's tenant with at least the least role; platform operators get 403 |
| platform | a platform operator (tenant claim ` + "`" + PlatformTenant + "`" + `) with at least the least role; tenant members get 403 |
| self | a platform operator, or a member of the tenant named in the path, with at least the least role; members of other tenants get 404 |

Without a token, or with an invalid or expired one, every non-public route
answers 401 with ` + "`WWW-Authenticate: Bearer`" + `; a valid token without enough
rights gets 403. Errors are ` + "`application/problem+json`" + `.

| Method | Path | Access | Least role |
|---|---|---|---|
`)
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		role := string(rt.MinRole)
		switch rt.Access {
		case "public":
			role = "-"
		case "authenticated":
			role = "any"
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", method, path, rt.Access, role)
	}
	b.WriteString(`
` + "`POST " + prefix + "/auth/dev-login` and `GET " + prefix + "/.well-known/jwks.json`" + ` exist only when
the handler is configured with a dev-login signer and a JWKS (local mode).
`)
	return b.Bytes()
}
