package management

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/workflow"
)

// workflowRedriveRoutes: redrive a failed standard execution from the
// step it failed in. It calls the real upstreams again, like a test run,
// so it needs a developer.
func (h *Handler) workflowRedriveRoutes() []apiRoute {
	return []apiRoute{
		{"POST " + prefix + "/workflows/{workflow}/executions/{execution}/redrive", member, identity.RoleDeveloper, h.redriveWorkflowExecution},
	}
}

// notRedrivable is the 409 of a refused redrive: the detail says why.
func notRedrivable(detail string, cause error) *problem.Problem {
	return problem.New(http.StatusConflict, "not-redrivable", "Conflict", detail).WithCause(cause)
}

// planRedrive is workflow.PlanRedrive against the workflow's deployment.
func planRedrive(wf *catalog.Workflow, rec *workflow.Record, now time.Time) (*workflow.Redrive, error) {
	if wf.Deployed == nil {
		return nil, &workflow.RedriveError{Reason: workflow.RedriveUnpublished, Detail: "the workflow is not published"}
	}
	m, err := workflow.ParseMachine(wf.Deployed.Definition)
	if err != nil {
		return nil, fmt.Errorf("parse deployed workflow %s: %w", wf.Slug, err)
	}
	return workflow.PlanRedrive(rec, m, wf.Deployed.PublishedAt, now)
}

// executionView is one execution as the console shows it: the record and,
// once a standard execution has ended, whether it can be redriven.
type executionView struct {
	*workflow.Record
	Redrive *redriveCheck `json:"redrive,omitempty"`
}

// redriveCheck says whether POST .../redrive would be tried (the engine
// may still refuse): where it would resume, or why not (Reason is one of
// the workflow.Redrive* reasons).
type redriveCheck struct {
	Possible bool   `json:"possible"`
	State    string `json:"state,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

// checkRedrive is the redrive check of an ended standard execution (nil
// for others: the console offers no redrive for them).
func checkRedrive(wf *catalog.Workflow, rec *workflow.Record, now time.Time) *redriveCheck {
	if rec.Kind != workflow.KindStandard || rec.Status == workflow.StatusRunning {
		return nil
	}
	plan, err := planRedrive(wf, rec, now)
	var re *workflow.RedriveError
	switch {
	case err == nil:
		return &redriveCheck{Possible: true, State: plan.State}
	case errors.As(err, &re):
		return &redriveCheck{Reason: re.Reason, Detail: re.Detail}
	}
	return &redriveCheck{Reason: workflow.RedriveEngine, Detail: "the deployed workflow cannot be read"}
}

// redriveAudit is the audit entry's After of a redrive.
type redriveAudit struct {
	Execution    string `json:"execution"` // the record id
	State        string `json:"state"`     // where it resumed
	RedriveCount int    `json:"redriveCount"`
}

// redriveWorkflowExecution redrives a recorded standard execution that
// failed (docs/workflows.md, "Re-run from a failed step"): it resumes at
// the step the execution failed in, with the input that step received,
// under the same execution id; the completed steps are not run again. It
// answers 202 with the record (status RUNNING, redriveCount); the end is
// read like a started execution's (GET .../executions/{execution}).
// Refusals are 409 not-redrivable problems.
func (h *Handler) redriveWorkflowExecution(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	engine, err := h.workflowEngine()
	if err != nil {
		return err
	}
	ctx := r.Context()
	slug, id := r.PathValue("workflow"), r.PathValue("execution")
	wf, err := h.cat.GetWorkflow(ctx, p.Tenant, slug)
	if err != nil {
		return err
	}
	rec, err := h.cat.GetExecution(ctx, p.Tenant, slug, id)
	if err != nil {
		return err
	}
	now := h.cfg.Now()
	if rec.Status == workflow.StatusRunning {
		// The record may not know yet that the execution ended.
		changed, err := workflow.Refresh(ctx, engine, rec, now)
		if err != nil {
			h.log.WarnContext(ctx, "workflow execution not described", "execution", rec.ExecutionID, "error", err.Error())
		}
		if changed {
			if err := h.cat.RecordExecution(ctx, rec); err != nil {
				return err
			}
		}
	}
	plan, err := planRedrive(wf, rec, now)
	var re *workflow.RedriveError
	if errors.As(err, &re) {
		return notRedrivable(re.Detail, err)
	}
	if err != nil {
		return err
	}
	redriver, ok := engine.(workflow.Redriver)
	if !ok {
		return notRedrivable("the workflow engine cannot redrive executions", nil)
	}
	err = redriver.Redrive(ctx, *plan)
	switch {
	case errors.As(err, &re):
		return notRedrivable(re.Detail, err)
	case errors.Is(err, workflow.ErrExecutionNotFound), errors.Is(err, workflow.ErrNotDeployed):
		return notRedrivable("the workflow engine no longer holds this execution or its workflow", err)
	case err != nil:
		return problem.New(http.StatusBadGateway, "workflow-engine", "Bad Gateway", "the workflow engine could not redrive the execution; retry").WithCause(err)
	}
	rec.MarkRedriven(now)
	if err := h.cat.RecordExecution(ctx, rec); err != nil {
		// The redrive runs: its end is written when the record is read.
		h.log.WarnContext(ctx, "redriven workflow execution not recorded", "execution", rec.ExecutionID, "error", err.Error())
	}
	after, _ := json.Marshal(redriveAudit{Execution: rec.ID, State: plan.State, RedriveCount: rec.RedriveCount})
	if _, err := h.cat.RecordAudit(ctx, p.Tenant, h.actor(r, p), model.AuditEntry{
		Action: "redrive", ResourceType: "workflow-execution", Resource: "workflow/" + slug + "/execution/" + rec.ID, After: after,
	}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, rec)
}
