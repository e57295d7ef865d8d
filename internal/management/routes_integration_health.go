package management

import (
	"net/http"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/integration"
)

// IntegrationHealth reports what an integration engine knows about one
// (tenant, integration); *integration.Engine implements it.
type IntegrationHealth interface {
	Health(tenant, integration string) (integration.Health, bool)
}

var _ IntegrationHealth = (*integration.Engine)(nil)

// integrationHealthRoutes report breaker and retry-budget state.
func (h *Handler) integrationHealthRoutes() []apiRoute {
	return []apiRoute{
		{"GET " + prefix + "/integrations/{integration}/health", member, identity.RoleViewer, h.integrationHealth},
	}
}

// healthReport is the answer of GET /integrations/{integration}/health.
type healthReport struct {
	Integration string `json:"integration"`
	// Scope says whose view this is: "instance", the engine of the
	// process that answers. Locally that is the gateway's own engine; in
	// AWS each management and gateway instance has its own breakers, so
	// this is the management instance's (gateway instances will report
	// through metrics).
	Scope string `json:"scope"`
	integration.Health
}

// integrationHealth is GET /integrations/{integration}/health.
func (h *Handler) integrationHealth(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	in, err := h.cat.GetIntegration(r.Context(), p.Tenant, r.PathValue("integration"))
	if err != nil {
		return err
	}
	rep := healthReport{Integration: in.Slug, Scope: "instance", Health: integration.Health{Breaker: "none"}}
	if h.cfg.Integrations != nil {
		rep.Health, _ = h.cfg.Integrations.Health(p.Tenant, in.Slug)
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, rep)
}
