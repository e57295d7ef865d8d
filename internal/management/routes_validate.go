package management

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/workflow"
)

// validateRoutes are dry runs of the create and update checks: the console
// calls them as the user types, so inline field errors come from the same
// rules, with the same JSON pointers, as the 400 a submit would get. Nothing
// is stored and nothing is audited.
func (h *Handler) validateRoutes() []apiRoute {
	var rts []apiRoute
	for _, kind := range validateKinds {
		rts = append(rts, apiRoute{"POST " + prefix + "/validate/" + kind, member, identity.RoleDeveloper, h.validate(kind)})
	}
	return rts
}

// validateKinds are the documents with a dry run, one route each.
var validateKinds = []string{"api", "version", "endpoint", "integration", "consumer", "member", "workflow"}

// validation is the body of a dry run: valid, or the field errors a create
// or update would be refused with.
type validation struct {
	Valid  bool                 `json:"valid"`
	Errors []problem.FieldError `json:"errors"`
}

// validate checks one document of the given kind (api, version, endpoint,
// integration, consumer, member, workflow). A body that does not decode is
// the same 400 problem a create would get. An endpoint's target integration
// must exist in the tenant; route conflicts are only found on submit (409).
func (h *Handler) validate(kind string) func(http.ResponseWriter, *http.Request, identity.Principal) error {
	return func(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
		errs, err := h.validateDoc(w, r, p, kind)
		if err != nil {
			return err
		}
		out := validation{Valid: len(errs) == 0, Errors: []problem.FieldError(errs)}
		if out.Errors == nil {
			out.Errors = []problem.FieldError{}
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

func (h *Handler) validateDoc(w http.ResponseWriter, r *http.Request, p identity.Principal, kind string) (model.Errors, error) {
	var errs model.Errors
	switch kind {
	case "api":
		var a model.API
		if err := h.decode(w, r, &a); err != nil {
			return nil, err
		}
		errs = model.ValidateAPI(&a)
	case "version":
		v := model.Version{Status: model.StatusDraft}
		if err := h.decode(w, r, &v); err != nil {
			return nil, err
		}
		errs = model.ValidateVersion(&v)
	case "endpoint":
		var ep model.Endpoint
		if err := h.decode(w, r, &ep); err != nil {
			return nil, err
		}
		errs = model.ValidateEndpoint(&ep)
		if ep.Target.Type == model.TargetIntegration && model.ValidSlug(ep.Target.Integration) {
			if _, err := h.cat.GetIntegration(r.Context(), p.Tenant, ep.Target.Integration); errors.Is(err, catalog.ErrNotFound) {
				errs.Add("/target/integration", "no integration %q exists in this tenant", ep.Target.Integration)
			} else if err != nil {
				return nil, err
			}
		}
	case "integration":
		var in model.Integration
		if err := h.decode(w, r, &in); err != nil {
			return nil, err
		}
		errs = model.ValidateIntegration(&in)
	case "consumer":
		var c model.Consumer
		if err := h.decode(w, r, &c); err != nil {
			return nil, err
		}
		errs = model.ValidateConsumer(&c)
	case "member":
		var m model.Member
		if err := h.decode(w, r, &m); err != nil {
			return nil, err
		}
		errs = model.ValidateMember(&m)
	case "workflow":
		// The checks a save runs, with the tenant's integrations and
		// transforms (catalog.WorkflowLookups).
		var wf catalog.Workflow
		if err := h.decode(w, r, &wf); err != nil {
			return nil, err
		}
		opts, err := h.cat.WorkflowLookups(r.Context(), p.Tenant)
		if err != nil {
			return nil, err
		}
		if prob := workflow.Validate(&wf.Workflow, opts); prob != nil {
			errs = model.Errors(prob.Errors)
		}
	default:
		return nil, fmt.Errorf("no validator for %q", kind)
	}
	return errs, nil
}
