package management

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico/portico/internal/identity"
)

func TestUnknownRoute(t *testing.T) {
	e := newEnv(t)
	tok := e.token(tenantA, identity.RoleOwner)
	for _, tt := range []struct{ name, method, path, token string }{
		{"unknown admin path", "GET", prefix + "/nope", tok},
		{"unknown admin path without token", "GET", prefix + "/nope", ""},
		{"outside the prefix", "GET", "/elsewhere", tok},
		{"too deep", "GET", prefix + "/apis/orders/versions/v1/endpoints/x/y", tok},
		{"unknown path, unusual method", "PATCH", prefix + "/nope", tok},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(tt.method, tt.path, tt.token, "")
			wantProblem(t, rec, http.StatusNotFound)
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	tok := e.token(tenantA, identity.RoleOwner)
	for _, tt := range []struct {
		name, method, path string
		allow              []string
	}{
		{"collection", "PATCH", prefix + "/apis", []string{"GET", "POST"}},
		{"item", "POST", prefix + "/apis/orders", []string{"GET", "PUT", "DELETE"}},
		{"action", "GET", prefix + "/apis/orders/versions/v1/publish", []string{"POST"}},
		{"me", "DELETE", prefix + "/me", []string{"GET"}},
		{"platform route", "PUT", prefix + "/tenants", []string{"GET", "POST"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(tt.method, tt.path, tok, "")
			wantProblem(t, rec, http.StatusMethodNotAllowed)
			allow := rec.Header().Get("Allow")
			for _, m := range tt.allow {
				if !strings.Contains(allow, m) {
					t.Errorf("Allow = %q, want it to list %s", allow, m)
				}
			}
			if strings.Contains(allow, tt.method) {
				t.Errorf("Allow = %q lists the refused method %s", allow, tt.method)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	e := newEnv(t)
	rec := e.serve(req{method: "GET", path: prefix + "/me", token: e.token(tenantA, identity.RoleViewer), header: map[string]string{"X-Request-Id": "req-123"}})
	wantStatus(t, rec, http.StatusOK)
	if got := rec.Header().Get("X-Request-Id"); got != "req-123" {
		t.Errorf("X-Request-Id = %q, want the caller's", got)
	}
	rec = e.serve(req{method: "GET", path: prefix + "/me", header: map[string]string{"X-Request-Id": strings.Repeat("x", 200)}})
	if got := rec.Header().Get("X-Request-Id"); len(got) == 0 || len(got) > 128 {
		t.Errorf("oversize X-Request-Id not replaced: %q", got)
	}
}

func TestMe(t *testing.T) {
	e := newEnv(t)
	rec := e.do("GET", prefix+"/me", e.token(tenantA, identity.RoleDeveloper), "")
	wantStatus(t, rec, http.StatusOK)
	me := decodeJSON[map[string]any](t, rec)
	if me["tenant"] != tenantA || me["role"] != "developer" || me["email"] != "developer@acme.test" || me["subject"] != "sub-developer@acme.test" {
		t.Errorf("me = %v", me)
	}
}

func TestDevLogin(t *testing.T) {
	e := newEnv(t)
	t.Run("token works on /me", func(t *testing.T) {
		rec := e.do("POST", prefix+"/auth/dev-login", "", `{"tenant":"acme","email":"Dana@Acme.test","role":"admin"}`)
		wantStatus(t, rec, http.StatusOK)
		out := decodeJSON[struct {
			Token     string `json:"token"`
			TokenType string `json:"tokenType"`
		}](t, rec)
		if out.Token == "" || out.TokenType != "Bearer" {
			t.Fatalf("dev-login = %s", rec.Body)
		}
		rec = e.do("GET", prefix+"/me", out.Token, "")
		wantStatus(t, rec, http.StatusOK)
		me := decodeJSON[map[string]any](t, rec)
		if me["tenant"] != tenantA || me["role"] != "admin" || me["email"] != "Dana@Acme.test" || me["subject"] != "dev:dana@acme.test" {
			t.Errorf("me = %v", me)
		}
		// The token carries the role: admin may read the audit, not edit the tenant.
		wantStatus(t, e.do("GET", prefix+"/audit", out.Token, ""), http.StatusOK)
		wantProblem(t, e.do("PUT", prefix+"/tenants/acme", out.Token, `{"name":"x"}`), http.StatusForbidden)
	})
	t.Run("platform operator", func(t *testing.T) {
		rec := e.do("POST", prefix+"/auth/dev-login", "", `{"tenant":"_platform","email":"ops@portico.test","role":"viewer"}`)
		wantStatus(t, rec, http.StatusOK)
		tok := decodeJSON[map[string]any](t, rec)["token"].(string)
		wantStatus(t, e.do("GET", prefix+"/tenants", tok, ""), http.StatusOK)
		wantProblem(t, e.do("GET", prefix+"/apis", tok, ""), http.StatusForbidden)
	})
	for _, tt := range []struct {
		name, body string
		pointers   []string
	}{
		{"bad role", `{"tenant":"acme","email":"a@acme.test","role":"root"}`, []string{"/role"}},
		{"role is case sensitive", `{"tenant":"acme","email":"a@acme.test","role":"Owner"}`, []string{"/role"}},
		{"bad tenant", `{"tenant":"Not_A_Slug","email":"a@acme.test","role":"owner"}`, []string{"/tenant"}},
		{"bad email", `{"tenant":"acme","email":"nope","role":"owner"}`, []string{"/email"}},
		{"everything wrong", `{"tenant":"","email":"","role":""}`, []string{"/tenant", "/email", "/role"}},
		{"unknown tenant", `{"tenant":"nosuch","email":"a@acme.test","role":"owner"}`, []string{"/tenant"}},
		{"unknown field", `{"tenant":"acme","email":"a@acme.test","role":"owner","admin":true}`, []string{"/admin"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do("POST", prefix+"/auth/dev-login", "", tt.body)
			wantProblem(t, rec, http.StatusBadRequest, tt.pointers...)
			if strings.Contains(rec.Body.String(), `"token"`) {
				t.Fatalf("a refused dev-login returned a token: %s", rec.Body)
			}
		})
	}
}

func TestDevLoginDisabled(t *testing.T) {
	e := newEnv(t)
	h, err := New(Config{Catalog: e.cat, Verifier: e.h.cfg.Verifier, CursorKey: e.h.cfg.CursorKey, Logger: e.h.log})
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	wantProblem(t, e.do("POST", prefix+"/auth/dev-login", "", `{"tenant":"acme","email":"a@acme.test","role":"owner"}`), http.StatusNotFound)
	wantProblem(t, e.do("GET", prefix+"/.well-known/jwks.json", "", ""), http.StatusNotFound)
	for _, rt := range h.Routes() {
		if rt.Access == "public" {
			t.Errorf("public route %s without DevLogin/JWKS", rt.Pattern)
		}
	}
}

func TestNewValidatesConfig(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		name string
		cfg  Config
	}{
		{"no catalog", Config{Verifier: e.h.cfg.Verifier, CursorKey: e.h.cfg.CursorKey}},
		{"no verifier", Config{Catalog: e.cat, CursorKey: e.h.cfg.CursorKey}},
		{"short cursor key", Config{Catalog: e.cat, Verifier: e.h.cfg.Verifier, CursorKey: []byte("short")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err == nil {
				t.Fatal("New accepted an invalid config")
			}
		})
	}
}
