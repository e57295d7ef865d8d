package management

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/oasimport"
	"github.com/portico/portico/internal/problem"
)

// openAPIImportRoutes import request/response validation from an OpenAPI
// document into a version's endpoints.
func (h *Handler) openAPIImportRoutes() []apiRoute {
	return []apiRoute{
		{"POST " + prefix + "/apis/{api}/versions/{version}/import-openapi", member, identity.RoleDeveloper, h.importOpenAPI},
	}
}

type importRequest struct {
	// Document is the OpenAPI document: a JSON object, or a string
	// holding YAML or JSON.
	Document json.RawMessage `json:"document"`
	// DryRun reports what would be imported without changing anything.
	DryRun bool `json:"dryRun,omitempty"`
}

type importedMatch struct {
	oasimport.Match
	RequestTransform  string `json:"requestTransform,omitempty"`
	ResponseTransform string `json:"responseTransform,omitempty"`
	// Error says why this endpoint was not changed (the others were).
	Error string `json:"error,omitempty"`
}

type importResponse struct {
	OpenAPI   string               `json:"openapi"`
	DryRun    bool                 `json:"dryRun"`
	Matched   []importedMatch      `json:"matched"`
	Skipped   []oasimport.Skip     `json:"skipped"`
	Unmatched []oasimport.Endpoint `json:"unmatchedEndpoints"`
}

// importOpenAPI matches the document's operations to the version's
// endpoints (method and path template) and sets each matched endpoint's
// request and response validation transforms (docs/transforms.md). The
// report lists what matched, what was skipped and why (pointers into the
// document), and the endpoints no operation describes. A document that
// cannot be used is a 400 listing pointers under /document.
func (h *Handler) importOpenAPI(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var req importRequest
	if err := h.decode(w, r, &req); err != nil {
		return err
	}
	data := []byte(req.Document)
	var text string
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &text); err != nil {
			return problem.Validation([]problem.FieldError{{Pointer: "/document", Detail: "is not a valid JSON string"}})
		}
		data = []byte(text)
	}
	if string(data) == "null" {
		data = nil
	}
	ctx := r.Context()
	apiSlug, ver := r.PathValue("api"), r.PathValue("version")
	api, err := h.cat.GetAPI(ctx, p.Tenant, apiSlug)
	if err != nil {
		return err
	}
	eps, err := h.cat.ListEndpoints(ctx, p.Tenant, apiSlug, ver)
	if err != nil {
		return err
	}
	doc, err := oasimport.Parse(ctx, data, "/document")
	if err != nil {
		return err
	}
	targets := make([]oasimport.Endpoint, len(eps))
	for i, e := range eps {
		targets[i] = oasimport.Endpoint{ID: e.ID, Method: e.Method, Path: e.Path}
	}
	plan := doc.Plan(targets, ver, api.BasePath)
	out := importResponse{OpenAPI: plan.OpenAPI, DryRun: req.DryRun, Matched: make([]importedMatch, 0, len(plan.Matched)), Skipped: plan.Skipped, Unmatched: plan.Unmatched}
	for _, m := range plan.Matched {
		im := importedMatch{Match: m}
		if m.Request != nil {
			im.RequestTransform = catalog.ImportSlug(apiSlug, ver, m.Endpoint, "req")
		}
		if m.Response != nil {
			im.ResponseTransform = catalog.ImportSlug(apiSlug, ver, m.Endpoint, "res")
		}
		if !req.DryRun {
			_, err := h.cat.ImportEndpointSchemas(ctx, p.Tenant, h.actor(r, p), apiSlug, ver,
				catalog.EndpointSchemas{Endpoint: m.Endpoint, Request: m.Request, Response: m.Response, Source: m.Operation})
			var pr *problem.Problem
			var ce *catalog.ConflictError
			switch {
			case err == nil:
			case errors.As(err, &pr):
				im.Error = pr.Detail
				if len(pr.Errors) > 0 {
					im.Error = pr.Errors[0].Pointer + ": " + pr.Errors[0].Detail
				}
			case errors.As(err, &ce):
				im.Error = ce.Detail
			default:
				return err
			}
		}
		out.Matched = append(out.Matched, im)
	}
	return writeJSON(w, http.StatusOK, out)
}
