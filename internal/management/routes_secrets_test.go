package management

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/integration"
	"github.com/portico/portico/internal/integration/ssrf"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
)

// addSecret stores secret s-<n> in tenantA and returns its name.
func addSecret(t *testing.T, e *env, n int) string {
	t.Helper()
	name := fmt.Sprintf("s-%d", n)
	if _, _, err := e.cat.PutSecret(context.Background(), tenantA, seedActor, name, "seeded-value"); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestSecretRoutes(t *testing.T) {
	e := newEnv(t)
	admin := e.token(tenantA, identity.RoleAdmin)
	const value = "sk_live_do_not_show"

	rec := e.do("PUT", prefix+"/secrets/stripe", admin, `{"value":"`+value+`"}`)
	wantStatus(t, rec, http.StatusCreated)
	if rec.Header().Get("Location") != prefix+"/secrets/stripe" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("headers = %v", rec.Header())
	}
	rec = e.do("PUT", prefix+"/secrets/stripe", admin, `{"value":"`+value+`2"}`)
	wantStatus(t, rec, http.StatusOK)
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got["name"] != "stripe" || got["revision"] != float64(2) {
		t.Fatalf("PUT answer = %s", rec.Body)
	}

	// Nothing the API answers carries the value: the answers above, the
	// list, the record and the audit trail.
	answers := []string{rec.Body.String()}
	for _, path := range []string{"/secrets", "/secrets/stripe", "/audit"} {
		rec := e.do("GET", prefix+path, e.token(tenantA, identity.RoleOwner), "")
		wantStatus(t, rec, http.StatusOK)
		answers = append(answers, rec.Body.String())
	}
	for _, a := range answers {
		if strings.Contains(a, "sk_live") {
			t.Errorf("an answer carries the value: %s", a)
		}
	}
	if !strings.Contains(answers[3], `"resourceType":"secret"`) {
		t.Errorf("no secret audit entry in %s", answers[3])
	}

	// Referenced by an integration: 409 naming it.
	wantStatus(t, e.do("POST", prefix+"/integrations", admin,
		`{"slug":"billing","name":"Billing","type":"http","url":"https://billing.example.com","auth":{"type":"bearer","secret":"stripe"}}`), http.StatusCreated)
	rec = e.do("DELETE", prefix+"/secrets/stripe", admin, "")
	wantStatus(t, rec, http.StatusConflict)
	if !strings.Contains(rec.Body.String(), "billing") || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("conflict = %s %v", rec.Body, rec.Header())
	}
	// The integration shows the secret's name only.
	rec = e.do("GET", prefix+"/integrations/billing", admin, "")
	if strings.Contains(rec.Body.String(), "sk_live") || !strings.Contains(rec.Body.String(), `"secret":"stripe"`) {
		t.Errorf("integration = %s", rec.Body)
	}
	wantStatus(t, e.do("DELETE", prefix+"/integrations/billing", admin, ""), http.StatusNoContent)
	wantStatus(t, e.do("DELETE", prefix+"/secrets/stripe", admin, ""), http.StatusNoContent)
	wantStatus(t, e.do("GET", prefix+"/secrets/stripe", admin, ""), http.StatusNotFound)
}

func TestSecretRoutesProblems(t *testing.T) {
	e := newEnv(t)
	admin := e.token(tenantA, identity.RoleAdmin)
	tests := []struct {
		name, method, path, body string
		status                   int
		pointers                 []string
	}{
		{"bad name", "PUT", "/secrets/bad.name", `{"value":"v"}`, 400, []string{"/name"}},
		{"empty value", "PUT", "/secrets/ok", `{"value":""}`, 400, []string{"/value"}},
		{"no value", "PUT", "/secrets/ok", `{}`, 400, []string{"/value"}},
		{"unknown field", "PUT", "/secrets/ok", `{"value":"v","secret":"x"}`, 400, nil},
		{"integration naming a missing secret", "POST", "/integrations",
			`{"slug":"b2","name":"B","type":"http","url":"https://b.example.com","auth":{"type":"bearer","secret":"nope"}}`, 400, []string{"/auth/secret"}},
		{"delete a missing secret", "DELETE", "/secrets/nope", "", 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(tt.method, prefix+tt.path, admin, tt.body)
			wantStatus(t, rec, tt.status)
			var p problemDoc
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			for i, ptr := range tt.pointers {
				if i >= len(p.Errors) || p.Errors[i].Pointer != ptr {
					t.Errorf("errors = %+v, want pointers %v", p.Errors, tt.pointers)
				}
			}
		})
	}
}

// TestSecretRoutesWithoutStore: an installation without a secrets store
// answers 503, not 500.
func TestSecretRoutesWithoutStore(t *testing.T) {
	e := newEnv(t)
	cat, err := catalog.New(catalog.Config{Store: e.cat.Store()})
	if err != nil {
		t.Fatal(err)
	}
	e.h.cat = cat
	rec := e.do("PUT", prefix+"/secrets/x", e.token(tenantA, identity.RoleAdmin), `{"value":"v"}`)
	wantStatus(t, rec, http.StatusServiceUnavailable)
}

// TestSecretValuesNotLogged: failed secret writes are logged (with their
// cause) without the value, whatever failed.
func TestSecretValuesNotLogged(t *testing.T) {
	e := newEnv(t)
	var buf bytes.Buffer
	e.h.log = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	admin := e.token(tenantA, identity.RoleAdmin)
	const value = "sk_live_never_logged"
	for _, c := range []struct{ path, body string }{
		{"/secrets/bad.name", `{"value":"` + value + `"}`},
		{"/secrets/ok", `{"value":"` + value + `","extra":1}`},
		{"/secrets/ok", `{"value":"` + value + `"`},
		{"/secrets/ok", `{"value":["` + value + `"]}`},
	} {
		rec := e.do("PUT", prefix+c.path, admin, c.body)
		if rec.Code < 400 || strings.Contains(rec.Body.String(), value) {
			t.Errorf("PUT %s %s: %d %s", c.path, c.body, rec.Code, rec.Body)
		}
	}
	cat, err := catalog.New(catalog.Config{Store: e.cat.Store()}) // no secrets store: a 503 with a cause
	if err != nil {
		t.Fatal(err)
	}
	e.h.cat = cat
	wantStatus(t, e.do("PUT", prefix+"/secrets/ok", admin, `{"value":"`+value+`"}`), http.StatusServiceUnavailable)
	if buf.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	if strings.Contains(buf.String(), value) {
		t.Errorf("the log carries the value: %s", buf.String())
	}
}

// TestProbeRedactsCredential: the test-connection action calls with the
// integration's credential and shows no echo of it.
func TestProbeRedactsCredential(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "echo "+r.Header.Get("Authorization"))
		_, _ = w.Write([]byte(`{"youSent":"` + r.Header.Get("Authorization") + `"}`))
	}))
	defer up.Close()
	e := newEnv(t)
	ctx := context.Background()
	const value = "sk_live_probe_value"
	if _, _, err := e.cat.PutSecret(ctx, tenantA, seedActor, "probe-key", value); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cat.CreateIntegration(ctx, tenantA, seedActor, &model.Integration{Slug: "echoing", Name: "Echoing", Type: model.IntegrationHTTP, URL: up.URL,
		Auth: &model.IntegrationAuth{Type: model.AuthBearer, Secret: "probe-key"}}); err != nil {
		t.Fatal(err)
	}
	eng := probeEngineWithSecrets(t, e.cat.SecretSource(), netip.MustParseAddrPort(strings.TrimPrefix(up.URL, "http://")))
	e.h.cfg.Integrations = eng
	rec := e.do("POST", prefix+"/integrations/echoing/test", e.token(tenantA, identity.RoleDeveloper), "")
	wantStatus(t, rec, http.StatusOK)
	if strings.Contains(rec.Body.String(), value) || !strings.Contains(rec.Body.String(), `"preview":"{\"youSent\":\"[redacted]\"}"`) {
		t.Errorf("probe answer = %s", rec.Body)
	}
}

func probeEngineWithSecrets(t *testing.T, src integration.SecretSource, allow netip.AddrPort) *integration.Engine {
	t.Helper()
	g := ssrf.New(ssrf.Policy{Allow: []ssrf.Allowed{{Prefix: netip.PrefixFrom(allow.Addr(), 32), Port: allow.Port()}}})
	tr := proxy.NewTransportWith(proxy.TransportConfig{Control: g.Control, NoProxy: true})
	eng, err := integration.New(integration.Config{Forwarder: proxy.New(proxy.Config{Transport: tr, Logger: slog.New(slog.DiscardHandler)}), Guard: g, Secrets: src})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}
