package gateway

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/workflow"
)

// workflowTarget is an endpoint's published workflow, compiled into the
// snapshot: the engine reference and the model's kind and failure
// statuses at publish time.
type workflowTarget struct {
	ref   string
	model *workflow.Workflow
}

// compileWorkflow resolves ep's workflow target in cfg; nil when the
// workflow is gone or unpublished (the endpoint then answers 503).
func compileWorkflow(cfg *catalog.TenantConfig, ep *model.Endpoint) *workflowTarget {
	for i := range cfg.Workflows {
		w := &cfg.Workflows[i]
		if w.Slug == ep.Target.Workflow && w.Deployed != nil {
			return &workflowTarget{ref: w.Deployed.Ref, model: w.Deployed.Model(w.Slug)}
		}
	}
	return nil
}

// serveWorkflow dispatches to the endpoint's workflow (workflow.Serve):
// express answers 200 with the output, standard 202; a failed execution
// answers the workflow's failure status, never 200.
func (g *Gateway) serveWorkflow(w http.ResponseWriter, r *http.Request, res *resolution) (*problem.Problem, error) {
	ce := res.ep
	if g.cfg.Workflows == nil || ce.workflow == nil {
		return problem.New(http.StatusServiceUnavailable, "workflow-unavailable", "Service Unavailable", "the endpoint's workflow is not available"), nil
	}
	params := make(map[string]string, res.params.Len())
	for i := range res.params.Len() {
		k, v := res.params.At(i)
		if u, err := url.PathUnescape(v); err == nil {
			v = u
		}
		params[k] = v
	}
	var engine workflow.Engine = g.cfg.Workflows
	if g.cfg.WorkflowRecords != nil {
		engine = &workflow.Recording{Engine: engine, Recorder: g.cfg.WorkflowRecords, Tenant: res.tenant, Workflow: ce.ep.Target.Workflow,
			Source: workflow.SourceGateway, IdempotencyKey: r.Header.Get("Idempotency-Key"), Log: g.log, Now: g.cfg.Now}
	}
	err := workflow.Serve(w, r, workflow.Invocation{Engine: engine, Ref: ce.workflow.ref, Workflow: ce.workflow.model, Params: params})
	if p := (*problem.Problem)(nil); errors.As(err, &p) {
		return p, nil
	}
	return nil, err
}
