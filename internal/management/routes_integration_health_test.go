package management

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/integration"
)

// fakeHealth reports fixed health for (tenantA, backend).
type fakeHealth map[string]integration.Health

func (f fakeHealth) Health(tenant, in string) (integration.Health, bool) {
	h, ok := f[tenant+"/"+in]
	if !ok {
		return integration.Health{Breaker: "none"}, false
	}
	return h, true
}

func TestIntegrationHealth(t *testing.T) {
	e := newEnv(t)
	tok := e.token(tenantA, identity.RoleViewer)
	tests := []struct {
		name   string
		engine IntegrationHealth
		path   string
		status int
		want   string
	}{
		{"no engine", nil, "/integrations/backend/health", 200,
			`{"integration":"backend","scope":"instance","breaker":"none","requests":0,"failures":0,"retryBudget":0,"observed":false}`},
		{"not observed yet", fakeHealth{}, "/integrations/backend/health", 200,
			`{"integration":"backend","scope":"instance","breaker":"none","requests":0,"failures":0,"retryBudget":0,"observed":false}`},
		{"open breaker", fakeHealth{tenantA + "/backend": {Breaker: "open", Requests: 10, Failures: 9, RetryBudget: 4.5, ObservedHere: true}},
			"/integrations/backend/health", 200,
			`{"integration":"backend","scope":"instance","breaker":"open","requests":10,"failures":9,"retryBudget":4.5,"observed":true}`},
		{"unknown integration", fakeHealth{}, "/integrations/nope/health", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.h.cfg.Integrations = tt.engine
			rec := e.do("GET", prefix+tt.path, tok, "")
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.want == "" {
				return
			}
			var got, want any
			_ = json.Unmarshal(rec.Body.Bytes(), &got)
			_ = json.Unmarshal([]byte(tt.want), &want)
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Fatalf("body = %s\nwant   %s", g, w)
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", rec.Header().Get("Cache-Control"))
			}
		})
	}
	if rec := e.do("GET", prefix+"/integrations/backend/health", e.token(tenantB, identity.RoleOwner), ""); rec.Code != http.StatusNotFound {
		t.Errorf("another tenant's integration: status %d, want 404", rec.Code)
	}
}
