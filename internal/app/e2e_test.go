package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/echo"
	"github.com/portico/portico/internal/testenv/dynamolocal"
)

// stack is the whole product wired from an Env, served by httptest.
type stack struct {
	t      *testing.T
	srv    *httptest.Server
	shared *Shared // the process's shared parts (the workflow engine)
}

// parts is what a main builds before its handlers: the environment, the
// store and catalog on it, the console verifier and the shared parts.
type parts struct {
	e   Env
	cat *catalog.Catalog
	con *Console
	sh  *Shared
	log *slog.Logger
}

// newParts builds them from getenv (httptest upstreams, on random loopback
// ports, are allowed unless getenv says otherwise).
func newParts(t *testing.T, getenv func(string) string) *parts {
	t.Helper()
	e, err := LoadEnv(func(k string) string {
		if v := getenv(k); v != "" || k != "PORTICO_UPSTREAM_ALLOW" {
			return v
		}
		return "127.0.0.1/32"
	})
	if err != nil {
		t.Fatalf("LoadEnv: %v", err)
	}
	st, closeStore, err := OpenStore(context.Background(), e)
	if err != nil {
		t.Fatalf("OpenStore: %v", err)
	}
	t.Cleanup(func() { _ = closeStore() })
	p := &parts{e: e, log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	if p.cat, err = NewCatalog(e, st); err != nil {
		t.Fatal(err)
	}
	if p.con, err = NewConsole(e, nil); err != nil {
		t.Fatal(err)
	}
	if p.sh, err = NewShared(e, p.log); err != nil {
		t.Fatal(err)
	}
	return p
}

// serve wires the management API and the gateway and serves them.
func (p *parts) serve(t *testing.T) *stack {
	t.Helper()
	mgmt, err := NewManagement(context.Background(), p.e, p.cat, p.con, p.sh, p.log)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := NewGateway(p.e, p.cat, p.sh, p.log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Mux(mgmt, gw))
	t.Cleanup(srv.Close)
	return &stack{t: t, srv: srv, shared: p.sh}
}

func newStack(t *testing.T, getenv func(string) string) *stack {
	t.Helper()
	return newParts(t, getenv).serve(t)
}

// call sends a JSON request and decodes a JSON response into out (if not nil).
func (s *stack) call(method, path, token string, body any, wantStatus int, out any) http.Header {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		s.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, resp.StatusCode, wantStatus, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.Header
}

func (s *stack) login(tenant, role string) string {
	var out struct{ Token string }
	s.call("POST", "/admin/v1/auth/dev-login", "", map[string]string{"tenant": tenant, "email": role + "@" + strings.TrimPrefix(tenant, "_") + ".test", "role": role}, 200, &out)
	return out.Token
}

// TestTourOnEveryStore is the README's five-minute tour as a test, on the
// embedded store and on DynamoDB (AWS's DynamoDB Local, reached through
// AWS_ENDPOINT_URL_DYNAMODB exactly as a deployment would be).
func TestTourOnEveryStore(t *testing.T) {
	upstream := httptest.NewServer(echo.New(echo.Config{}))
	t.Cleanup(upstream.Close)

	cases := []struct {
		name string
		env  func(t *testing.T) map[string]string
	}{
		{"embedded", func(t *testing.T) map[string]string {
			return map[string]string{"PORTICO_DATA_DIR": t.TempDir()}
		}},
		{"dynamodb", func(t *testing.T) map[string]string {
			if testing.Short() {
				t.Skip("starts DynamoDB Local")
			}
			endpoint := dynamolocal.Start(t)
			t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
			t.Setenv("AWS_ACCESS_KEY_ID", "local")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
			t.Setenv("AWS_REGION", "us-east-1")
			t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			return map[string]string{"PORTICO_DATA_DIR": t.TempDir(), "PORTICO_STORE": "dynamodb", "PORTICO_TABLE": "portico-e2e", "PORTICO_CREATE_TABLE": "true"}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env(t)
			// Revalidate on every request: a change must be visible to the very next
			// call, however fast it comes (a 1ms interval made this test flaky).
			env["PORTICO_REFRESH_INTERVAL"] = "1ns"
			s := newStack(t, func(k string) string { return env[k] })

			op := s.login("_platform", "owner")
			s.call("POST", "/admin/v1/tenants", op, map[string]any{"id": "acme", "name": "Acme"}, 201, nil)
			tok := s.login("acme", "owner")

			s.call("POST", "/admin/v1/integrations", tok, map[string]any{"slug": "catalog", "name": "Catalog service", "type": "http", "url": upstream.URL}, 201, nil)
			s.call("POST", "/admin/v1/apis", tok, map[string]any{"slug": "shop", "name": "Shop", "basePath": "/shop"}, 201, nil)
			s.call("POST", "/admin/v1/apis/shop/versions", tok, map[string]any{"name": "v1"}, 201, nil)
			s.call("POST", "/admin/v1/apis/shop/versions/v1/endpoints", tok, map[string]any{
				"method": "GET", "path": "/products/{id}",
				"target": map[string]any{"type": "integration", "integration": "catalog", "path": "/items/{id}"},
			}, 201, nil)

			// Not routed while the version is a draft.
			s.call("GET", "/t/acme/v1/shop/products/7", "", nil, 404, nil)
			s.call("POST", "/admin/v1/apis/shop/versions/v1/publish", tok, nil, 200, nil)

			var item echo.Item
			h := s.call("GET", "/t/acme/v1/shop/products/7", "", nil, 200, &item)
			if item != echo.NewItem("7") {
				t.Fatalf("item = %+v, want %+v", item, echo.NewItem("7"))
			}
			if h.Get("X-Request-Id") == "" {
				t.Error("gateway response has no X-Request-Id")
			}
			// Canonical forms reach the same route.
			s.call("GET", "/t/acme//v1/shop/x/../products/7/", "", nil, 200, &item)

			// Another tenant cannot see acme's API or config.
			s.call("POST", "/admin/v1/tenants", op, map[string]any{"id": "globex", "name": "Globex"}, 201, nil)
			other := s.login("globex", "owner")
			s.call("GET", "/admin/v1/apis/shop", other, nil, 404, nil)
			s.call("GET", "/t/globex/v1/shop/products/7", "", nil, 404, nil)

			// Every change is in the audit trail.
			var audit struct {
				Items []struct{ Action, ResourceType, Actor string }
			}
			s.call("GET", "/admin/v1/audit?limit=100", tok, nil, 200, &audit)
			if len(audit.Items) != 6 { // tenant, integration, api, version, endpoint, publish
				t.Fatalf("audit has %d entries, want 6: %+v", len(audit.Items), audit.Items)
			}
			if a := audit.Items[0]; a.Action != "publish" || a.Actor != "owner@acme.test" {
				t.Errorf("newest audit entry = %+v, want publish by owner@acme.test", a)
			}
		})
	}
}
