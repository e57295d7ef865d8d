package management

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
)

// addPlan creates plan "seed-<n>" in tenantA and returns its slug.
func addPlan(t *testing.T, e *env, n int) string {
	t.Helper()
	slug := fmt.Sprintf("seed-%d", n)
	if _, err := e.cat.CreatePlan(context.Background(), tenantA, seedActor, &model.Plan{Slug: slug, Name: "Seed",
		Limits: []model.RateLimitPolicy{{Algorithm: model.FixedWindow, Limit: 10, WindowSeconds: 60}}}); err != nil {
		t.Fatal(err)
	}
	return slug
}

func TestPlanRoutes(t *testing.T) {
	e := newEnv(t)
	admin, viewer := e.token(tenantA, identity.RoleAdmin), e.token(tenantA, identity.RoleViewer)
	for _, tc := range []struct {
		name, method, path, tok, body string
		code                          int
		contains                      string
	}{
		{"create", "POST", "/plans", admin, `{"slug":"gold","name":"Gold","limits":[{"algorithm":"fixedWindow","limit":100,"windowSeconds":60}]}`, http.StatusCreated, `"slug":"gold"`},
		{"invalid limit has a pointer", "POST", "/plans", admin, `{"slug":"bad","name":"B","limits":[{"algorithm":"fixedWindow","scope":"tenant","limit":1,"windowSeconds":60}]}`, http.StatusBadRequest, `/limits/0/scope`},
		{"viewer cannot create", "POST", "/plans", viewer, `{"slug":"x","name":"X","limits":[{"algorithm":"fixedWindow","limit":1,"windowSeconds":1}]}`, http.StatusForbidden, ""},
		{"viewer reads", "GET", "/plans/gold", viewer, "", http.StatusOK, `"limit":100`},
		{"list", "GET", "/plans", viewer, "", http.StatusOK, `"gold"`},
		{"update", "PUT", "/plans/gold", admin, `{"name":"Gold","limits":[{"algorithm":"fixedWindow","limit":200,"windowSeconds":60}]}`, http.StatusOK, `"limit":200`},
		{"delete", "DELETE", "/plans/gold", admin, "", http.StatusNoContent, ""},
		{"gone", "GET", "/plans/gold", viewer, "", http.StatusNotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.do(tc.method, prefix+tc.path, tc.tok, tc.body)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.contains) {
				t.Fatalf("%s %s: %d %s, want %d containing %s", tc.method, tc.path, rec.Code, rec.Body, tc.code, tc.contains)
			}
		})
	}
}
