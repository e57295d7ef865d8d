package management

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/workflow"
)

// Workflows is what publishing and test runs need: the engine (Step
// Functions on AWS, the embedded one locally) and the ARN compiled Task
// states invoke. A zero Workflows answers publish and test runs with 503.
type Workflows struct {
	Engine workflow.Engine
	// TaskResource is the workflow-task Lambda ARN (PORTICO_WORKFLOW_TASK_ARN);
	// empty means workflow.DefaultTaskResource (the local engine ignores it).
	TaskResource string
}

// workflowRoutes are the workflow editor's routes: CRUD of the model,
// the compiled definition, publish (compile and deploy), and test runs.
func (h *Handler) workflowRoutes() []apiRoute {
	const (
		viewer = identity.RoleViewer
		dev    = identity.RoleDeveloper
		admin  = identity.RoleAdmin
	)
	return []apiRoute{
		{"GET " + prefix + "/workflows", member, viewer, h.listWorkflows},
		{"POST " + prefix + "/workflows", member, dev, h.createWorkflow},
		{"GET " + prefix + "/workflows/{workflow}", member, viewer, h.getWorkflow},
		{"PUT " + prefix + "/workflows/{workflow}", member, dev, h.updateWorkflow},
		{"DELETE " + prefix + "/workflows/{workflow}", member, admin, h.deleteWorkflow},
		{"GET " + prefix + "/workflows/{workflow}/definition", member, viewer, h.workflowDefinition},
		// Publishing changes what live endpoints targeting the workflow run.
		{"POST " + prefix + "/workflows/{workflow}/publish", member, admin, h.publishWorkflow},
		{"POST " + prefix + "/workflows/{workflow}/executions", member, dev, h.testWorkflow},
	}
}

func (h *Handler) listWorkflows(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	return list(h, w, r, p.Tenant, "workflows", func(limit int, cursor string) ([]catalog.Workflow, string, error) {
		return h.cat.ListWorkflows(r.Context(), p.Tenant, limit, cursor)
	})
}

func (h *Handler) createWorkflow(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var in catalog.Workflow
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	out, err := h.cat.CreateWorkflow(r.Context(), p.Tenant, h.actor(r, p), &in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", prefix+"/workflows/"+out.Slug)
	return writeResource(w, http.StatusCreated, out.Revision, out)
}

func (h *Handler) getWorkflow(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	wf, err := h.cat.GetWorkflow(r.Context(), p.Tenant, r.PathValue("workflow"))
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, wf.Revision, wf)
}

func (h *Handler) updateWorkflow(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var in catalog.Workflow
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	slug := r.PathValue("workflow")
	if in.Slug == "" {
		in.Slug = slug
	}
	expect, im, err := expectation(r, in.Revision)
	if err != nil {
		return err
	}
	out, err := h.cat.UpdateWorkflow(r.Context(), p.Tenant, h.actor(r, p), slug, expect, &in)
	if err != nil {
		return staleAs412(err, im)
	}
	return writeResource(w, http.StatusOK, out.Revision, out)
}

func (h *Handler) deleteWorkflow(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	expect, im, err := expectation(r, 0)
	if err != nil {
		return err
	}
	if err := h.cat.DeleteWorkflow(r.Context(), p.Tenant, h.actor(r, p), r.PathValue("workflow"), expect); err != nil {
		return staleAs412(err, im)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// compileWorkflow validates wf with the tenant's lookups and compiles it.
func (h *Handler) compileWorkflow(r *http.Request, tenant string, wf *catalog.Workflow) (*workflow.Machine, error) {
	opts, err := h.cat.WorkflowLookups(r.Context(), tenant)
	if err != nil {
		return nil, err
	}
	if p := workflow.Validate(&wf.Workflow, opts); p != nil {
		return nil, p
	}
	m, err := workflow.Compile(&wf.Workflow, workflow.CompileOptions{TaskResource: h.cfg.Workflows.TaskResource, Tenant: tenant})
	if err != nil {
		return nil, fmt.Errorf("compile workflow %s: %w", wf.Slug, err)
	}
	return m, nil
}

// workflowDefinition is the Amazon States Language of the workflow: what
// publish would deploy now, or with ?deployed=true what was deployed.
func (h *Handler) workflowDefinition(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	wf, err := h.cat.GetWorkflow(r.Context(), p.Tenant, r.PathValue("workflow"))
	if err != nil {
		return err
	}
	var def []byte
	if r.URL.Query().Get("deployed") == "true" {
		if wf.Deployed == nil {
			return problem.NotFound("the workflow is not published")
		}
		def = wf.Deployed.Definition
	} else {
		m, err := h.compileWorkflow(r, p.Tenant, wf)
		if err != nil {
			return err
		}
		def = m.JSON()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(def)
	return nil
}

func (h *Handler) workflowEngine() (workflow.Engine, error) {
	if h.cfg.Workflows.Engine == nil {
		return nil, problem.New(http.StatusServiceUnavailable, "workflows-unavailable", "Service Unavailable", "no workflow engine is configured")
	}
	return h.cfg.Workflows.Engine, nil
}

// publishWorkflow compiles the workflow's current revision, deploys it
// (creating or updating its state machine) and records the deployment;
// endpoints targeting the workflow run it from the next configuration
// version on.
func (h *Handler) publishWorkflow(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	engine, err := h.workflowEngine()
	if err != nil {
		return err
	}
	expect, im, err := expectation(r, 0)
	if err != nil {
		return err
	}
	slug := r.PathValue("workflow")
	wf, err := h.cat.GetWorkflow(r.Context(), p.Tenant, slug)
	if err != nil {
		return err
	}
	if expect > 0 && wf.Revision != expect {
		return staleAs412(fmt.Errorf("workflow %q has revision %d, not %d: %w", slug, wf.Revision, expect, catalog.ErrStale), im)
	}
	m, err := h.compileWorkflow(r, p.Tenant, wf)
	if err != nil {
		return err
	}
	def := m.JSON()
	kind := wf.Kind
	if kind == "" {
		kind = workflow.KindExpress
	}
	ref, err := engine.Deploy(r.Context(), workflow.Deployment{Tenant: p.Tenant, Workflow: slug, Kind: kind, Definition: def})
	switch {
	case errors.Is(err, workflow.ErrKindChanged):
		return &catalog.ConflictError{Pointer: "/kind", Detail: "the deployed workflow has another kind, which cannot change in place; delete it and create it again", Err: catalog.ErrInUse}
	case err != nil:
		return problem.New(http.StatusBadGateway, "workflow-engine", "Bad Gateway", "the workflow engine refused or could not be reached; retry").WithCause(err)
	}
	out, err := h.cat.RecordWorkflowDeployment(r.Context(), p.Tenant, h.actor(r, p), slug, catalog.WorkflowDeployment{
		Ref: ref, Kind: kind, Revision: wf.Revision, Definition: def,
		FailureStatus: wf.FailureStatus, ErrorStatus: wf.ErrorStatus,
	})
	if err != nil {
		return err
	}
	return writeResource(w, http.StatusOK, out.Revision, out)
}

// testRun is the result of a test execution.
type testRun struct {
	Status      workflow.ExecutionStatus `json:"status"`
	Output      json.RawMessage          `json:"output,omitempty"`
	Error       *workflow.Error          `json:"error,omitempty"`
	ExecutionID string                   `json:"executionId,omitempty"`
	// Record is the id of the execution record (GET .../executions/{id}).
	Record string `json:"record,omitempty"`
	// HTTPStatus is what a gateway caller would get.
	HTTPStatus int `json:"httpStatus"`
}

// testWorkflow runs the published workflow with an input shaped like the
// gateway's ({"body", "params", "query"}): an express workflow answers
// with its output or its error, a standard one with its execution id.
// It calls the real upstreams, so it needs a developer.
func (h *Handler) testWorkflow(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	engine, err := h.workflowEngine()
	if err != nil {
		return err
	}
	var in workflow.Input
	if err := h.decodeOptional(w, r, &in); err != nil {
		return err
	}
	if len(in.Body) == 0 {
		in.Body = json.RawMessage("null")
	}
	if in.Params == nil {
		in.Params = map[string]string{}
	}
	if in.Query == nil {
		in.Query = map[string]string{}
	}
	input, _ := json.Marshal(in)
	if len(input) > workflow.MaxInputBytes {
		return problem.New(http.StatusRequestEntityTooLarge, "too-large", "Payload Too Large", "a workflow input is at most 256 KiB")
	}
	slug := r.PathValue("workflow")
	wf, err := h.cat.GetWorkflow(r.Context(), p.Tenant, slug)
	if err != nil {
		return err
	}
	if wf.Deployed == nil {
		return &catalog.ConflictError{Detail: fmt.Sprintf("workflow %q is not published; publish it first", slug), Err: catalog.ErrInUse}
	}
	model := wf.Deployed.Model(slug)
	rec := h.recording(engine, r, p.Tenant, slug)
	if wf.Deployed.Kind == workflow.KindStandard {
		id, err := rec.Start(r.Context(), wf.Deployed.Ref, "", input)
		if err != nil {
			return problem.New(http.StatusBadGateway, "workflow-engine", "Bad Gateway", "the workflow engine could not start the execution").WithCause(err)
		}
		return writeJSON(w, http.StatusAccepted, testRun{Status: workflow.StatusRunning, ExecutionID: id, Record: rec.RecordID, HTTPStatus: http.StatusAccepted})
	}
	out, err := rec.Execute(r.Context(), wf.Deployed.Ref, input)
	var xe *workflow.Error
	switch {
	case err == nil:
		return writeJSON(w, http.StatusOK, testRun{Status: workflow.StatusSucceeded, Output: out, Record: rec.RecordID, HTTPStatus: http.StatusOK})
	case errors.As(err, &xe):
		status := workflow.StatusFailed
		if xe.Name == workflow.ErrorTimeout {
			status = workflow.StatusTimedOut
		}
		return writeJSON(w, http.StatusOK, testRun{Status: status, Error: xe, Record: rec.RecordID, HTTPStatus: workflow.FailureStatus(model, err)})
	default:
		return problem.New(http.StatusBadGateway, "workflow-engine", "Bad Gateway", "the workflow engine could not run the execution").WithCause(err)
	}
}
