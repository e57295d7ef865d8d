package management

import (
	"net/http"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/wasmhost"
)

func TestTransformModuleRoutes(t *testing.T) {
	e := newEnv(t)
	dev, admin, viewer := e.token(tenantA, "developer"), e.token(tenantA, "admin"), e.token(tenantA, "viewer")
	slug := e.addTransform(t, 1, true)
	wantStatus(t, e.do("PUT", prefix+"/transforms/"+slug+"/module", dev, string(echoWasm)), http.StatusOK)

	rec := e.do("GET", prefix+"/transform-modules", viewer, "")
	wantStatus(t, rec, http.StatusOK)
	list := decodeJSON[moduleList](t, rec)
	if len(list.Items) != 1 || list.Items[0].Hash != wasmhost.Hash(echoWasm) || len(list.Items[0].UsedBy) != 1 || list.Items[0].UsedBy[0] != slug {
		t.Fatalf("modules = %+v", list.Items)
	}
	// Other tenants see none of them.
	rec = e.do("GET", prefix+"/transform-modules", e.token(tenantB, "owner"), "")
	if l := decodeJSON[moduleList](t, rec); len(l.Items) != 0 {
		t.Fatalf("tenant B sees %+v", l.Items)
	}

	tests := []struct {
		name, body string
		status     int
		pointer    string
	}{
		{"grace below the minimum", `{"graceSeconds": 10}`, http.StatusBadRequest, "/graceSeconds"},
		{"negative grace", `{"graceSeconds": -1}`, http.StatusBadRequest, "/graceSeconds"},
		{"unknown field", `{"all": true}`, http.StatusBadRequest, "/all"},
		{"dry run", `{"dryRun": true}`, http.StatusOK, ""},
		{"sweep", ``, http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do("POST", prefix+"/transform-modules:sweep", admin, tt.body)
			if tt.pointer != "" {
				wantProblem(t, rec, tt.status, tt.pointer)
				return
			}
			wantStatus(t, rec, tt.status)
			// The used module stays, whatever its age.
			res := decodeJSON[catalog.ModuleSweep](t, rec)
			if len(res.Deleted) != 0 || len(res.Kept) != 1 {
				t.Fatalf("sweep = %+v", res)
			}
		})
	}
	wantStatus(t, e.do("POST", prefix+"/transform-modules:sweep", dev, ""), http.StatusForbidden)
}
