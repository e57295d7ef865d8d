package management

import (
	"errors"
	"net/http"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/workflow"
)

// workflowExecutionRoutes list a workflow's recorded executions (those
// started through the gateway or a test run, kept 30 days), show one
// with its history, and redrive a failed one (routes_workflow_redrive.go).
func (h *Handler) workflowExecutionRoutes() []apiRoute {
	return append([]apiRoute{
		{"GET " + prefix + "/workflows/{workflow}/executions", member, identity.RoleViewer, h.listWorkflowExecutions},
		{"GET " + prefix + "/workflows/{workflow}/executions/{execution}", member, identity.RoleViewer, h.getWorkflowExecution},
	}, h.workflowRedriveRoutes()...)
}

// recording wraps engine so a test run is recorded like a gateway call.
func (h *Handler) recording(engine workflow.Engine, r *http.Request, tenant, slug string) *workflow.Recording {
	return &workflow.Recording{Engine: engine, Recorder: h.cat, Tenant: tenant, Workflow: slug, Source: workflow.SourceTest,
		IdempotencyKey: r.Header.Get("Idempotency-Key"), Log: h.log, Now: h.cfg.Now}
}

var executionStatuses = map[workflow.ExecutionStatus]bool{
	workflow.StatusRunning: true, workflow.StatusSucceeded: true, workflow.StatusFailed: true,
	workflow.StatusTimedOut: true, workflow.StatusAborted: true,
}

// listWorkflowExecutions lists the workflow's executions newest first;
// ?status= keeps one status. Running standard executions are shown as
// recorded: the status is brought up to date when one is read.
func (h *Handler) listWorkflowExecutions(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	slug := r.PathValue("workflow")
	status := workflow.ExecutionStatus(r.URL.Query().Get("status"))
	if status != "" && !executionStatuses[status] {
		return problem.BadRequest("/status", "status is one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED")
	}
	if _, err := h.cat.GetWorkflow(r.Context(), p.Tenant, slug); err != nil {
		return err
	}
	return list(h, w, r, p.Tenant, "workflow-executions/"+slug+"/"+string(status), func(limit int, cursor string) ([]workflow.Record, string, error) {
		recs, next, err := h.cat.ListExecutions(r.Context(), p.Tenant, slug, status, limit, cursor)
		for i := range recs {
			recs[i].History = nil // the list is a summary; get one for its history
		}
		return recs, next, err
	})
}

// getWorkflowExecution returns one execution with its history. A running
// standard execution is described by the engine first, and the record
// updated once it has ended. An ended standard execution says whether it
// can be redriven ("redrive").
func (h *Handler) getWorkflowExecution(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	slug := r.PathValue("workflow")
	rec, err := h.cat.GetExecution(r.Context(), p.Tenant, slug, r.PathValue("execution"))
	if err != nil {
		return err
	}
	if engine := h.cfg.Workflows.Engine; engine != nil && rec.Status == workflow.StatusRunning {
		changed, err := workflow.Refresh(r.Context(), engine, rec, h.cfg.Now())
		if err != nil {
			h.log.WarnContext(r.Context(), "workflow execution not described", "execution", rec.ExecutionID, "error", err.Error())
		}
		if changed {
			if err := h.cat.RecordExecution(r.Context(), rec); err != nil {
				return err
			}
		}
	}
	view := executionView{Record: rec}
	switch wf, err := h.cat.GetWorkflow(r.Context(), p.Tenant, slug); {
	case err == nil:
		view.Redrive = checkRedrive(wf, rec, h.cfg.Now())
	case !errors.Is(err, catalog.ErrNotFound): // a deleted workflow's records stay readable
		return err
	}
	return writeJSON(w, http.StatusOK, view)
}
