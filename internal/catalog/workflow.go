package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/workflow"
)

// pfxWorkflow prefixes a tenant's workflows: WF#<slug>.
const pfxWorkflow = "WF#"

// Workflow is a tenant's stored workflow: the model the console edits and,
// once published, the deployment that endpoints run. Editing the model does
// not change the deployment; publishing again does.
type Workflow struct {
	workflow.Workflow
	// Deployed is the last published deployment; nil until published.
	Deployed *WorkflowDeployment `json:"deployed,omitempty"`
	model.Meta
}

// WorkflowDeployment is what a publish deployed: the engine's reference,
// the compiled definition (Amazon States Language), and the parts of the
// model the gateway needs to answer (kind, failure status mapping), as
// they were when published.
type WorkflowDeployment struct {
	Ref         string          `json:"ref"`
	Kind        workflow.Kind   `json:"kind"`
	Revision    int64           `json:"revision"` // the workflow revision compiled
	PublishedAt time.Time       `json:"publishedAt"`
	PublishedBy string          `json:"publishedBy,omitempty"`
	Definition  json.RawMessage `json:"definition,omitempty"`
	// FailureStatus and ErrorStatus are the model's, at publish time.
	FailureStatus int            `json:"failureStatus,omitempty"`
	ErrorStatus   map[string]int `json:"errorStatus,omitempty"`
}

// Model returns the deployed workflow as the gateway serves it: slug,
// kind and failure statuses (the steps live in the definition).
func (d *WorkflowDeployment) Model(slug string) *workflow.Workflow {
	return &workflow.Workflow{Slug: slug, Kind: d.Kind, FailureStatus: d.FailureStatus, ErrorStatus: d.ErrorStatus}
}

var workflowKind = kind[Workflow]{name: "workflow", prefix: pfxWorkflow,
	id: func(v *Workflow) string { return v.Slug }, meta: func(v *Workflow) *model.Meta { return &v.Meta },
	validate: func(v *Workflow) model.Errors {
		// Without lookups here; checkWorkflow repeats it with the
		// tenant's integrations inside the commit.
		if p := workflow.Validate(&v.Workflow, workflow.ValidateOptions{}); p != nil {
			return model.Errors(p.Errors)
		}
		return nil
	}}

// WorkflowLookups are the catalog lookups workflow validation needs for
// tenant: its integrations and its transforms.
func (c *Catalog) WorkflowLookups(ctx context.Context, tenant string) (workflow.ValidateOptions, error) {
	ints, err := listAll[model.Integration](ctx, c.st, tenant, pfxInt)
	if err != nil {
		return workflow.ValidateOptions{}, err
	}
	known := make(map[string]bool, len(ints))
	for _, in := range ints {
		known[in.Slug] = true
	}
	trs, err := listAll[model.Transform](ctx, c.st, tenant, pfxTransform)
	if err != nil {
		return workflow.ValidateOptions{}, err
	}
	transforms := make(map[string]bool, len(trs))
	for _, t := range trs {
		transforms[t.Slug] = true
	}
	return workflow.ValidateOptions{
		Integration: func(slug string) bool { return known[slug] },
		Transform:   func(slug string) bool { return transforms[slug] },
	}, nil
}

// checkWorkflow validates w against the tenant's current integrations.
func (c *Catalog) checkWorkflow(ctx context.Context, tenant string, w *Workflow) error {
	opts, err := c.WorkflowLookups(ctx, tenant)
	if err != nil {
		return err
	}
	if p := workflow.Validate(&w.Workflow, opts); p != nil {
		return p
	}
	return nil
}

// CreateWorkflow stores a new workflow (unpublished).
func (c *Catalog) CreateWorkflow(ctx context.Context, tenant string, actor Actor, w *Workflow) (*Workflow, error) {
	nw := *w
	nw.Deployed = nil
	return create(ctx, c, workflowKind, tenant, actor, &nw, func(ctx context.Context) error {
		return c.checkWorkflow(ctx, tenant, &nw)
	})
}

// GetWorkflow returns a workflow.
func (c *Catalog) GetWorkflow(ctx context.Context, tenant, slug string) (*Workflow, error) {
	return getItem[Workflow](ctx, c.st, tenant, pfxWorkflow+slug)
}

// ListWorkflows returns one page of workflows in slug order.
func (c *Catalog) ListWorkflows(ctx context.Context, tenant string, limit int, cursor string) ([]Workflow, string, error) {
	return listItems[Workflow](ctx, c.st, tenant, pfxWorkflow, limit, cursor)
}

// UpdateWorkflow replaces a workflow's model. Its deployment is kept:
// endpoints run the published definition until the workflow is published
// again.
func (c *Catalog) UpdateWorkflow(ctx context.Context, tenant string, actor Actor, slug string, expect int64, w *Workflow) (*Workflow, error) {
	nw := *w
	return update(ctx, c, workflowKind, tenant, actor, slug, expect, &nw, func(ctx context.Context, old *Workflow) error {
		if old.Deployed != nil && kindOf(nw.Kind) != old.Deployed.Kind {
			return &ConflictError{Pointer: "/kind", Detail: fmt.Sprintf("workflow %q is deployed as %s; its kind cannot change (delete it and create it again)", slug, old.Deployed.Kind), Err: ErrInUse}
		}
		// update copies nw after this check: keep the deployment.
		nw.Deployed = old.Deployed
		return c.checkWorkflow(ctx, tenant, &nw)
	})
}

// DeleteWorkflow deletes a workflow no endpoint targets. Its deployment
// (a state machine on AWS) is left to the engine's owner to remove.
func (c *Catalog) DeleteWorkflow(ctx context.Context, tenant string, actor Actor, slug string, expect int64) error {
	return remove(ctx, c, workflowKind, tenant, actor, slug, expect, func(ctx context.Context, _ *Workflow) error {
		eps, err := listAll[model.Endpoint](ctx, c.st, tenant, pfxEP)
		if err != nil {
			return err
		}
		for _, e := range eps {
			if e.Target.Type == model.TargetWorkflow && e.Target.Workflow == slug {
				return &ConflictError{Detail: fmt.Sprintf("workflow %q is used by endpoint %s %s of %s %s", slug, e.Method, e.Path, e.API, e.Version), Err: ErrInUse}
			}
		}
		return nil
	})
}

// RecordWorkflowDeployment records that revision of workflow slug was
// deployed as d (the publish action, audited). It fails with ErrStale when
// the workflow changed since that revision was compiled, so what is
// recorded is always what was deployed.
func (c *Catalog) RecordWorkflowDeployment(ctx context.Context, tenant string, actor Actor, slug string, d WorkflowDeployment) (*Workflow, error) {
	sk := pfxWorkflow + slug
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		old, err := getItem[Workflow](ctx, c.st, tenant, sk)
		if err != nil {
			return change{}, err
		}
		if old.Revision != d.Revision {
			return change{}, fmt.Errorf("workflow %q has revision %d, not the %d that was deployed: %w", slug, old.Revision, d.Revision, ErrStale)
		}
		nw := *old
		dep := d
		dep.PublishedAt = c.now().UTC()
		dep.PublishedBy = actor.Subject
		nw.Deployed = &dep
		nw.Revision = old.Revision + 1
		nw.UpdatedAt = dep.PublishedAt
		nw.UpdatedBy = actor.Subject
		op, err := putOp(tenant, sk, &nw, &nw.Meta, store.IfVersion(old.Revision))
		if err != nil {
			return change{}, err
		}
		return change{ops: []store.WriteOp{op}, result: &nw, audit: model.AuditEntry{Action: "publish", ResourceType: "workflow", Resource: "workflow/" + slug,
			Before: rawJSON(deploymentSummary(old.Deployed)), After: rawJSON(deploymentSummary(&dep))}}, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*Workflow), nil
}

// deploymentSummary is a deployment without its definition, for the audit
// trail (the definition is large and derived from the audited model).
func deploymentSummary(d *WorkflowDeployment) *WorkflowDeployment {
	if d == nil {
		return nil
	}
	s := *d
	s.Definition = nil
	return &s
}

// checkWorkflowTarget reports why an endpoint cannot target workflow slug,
// or nil when it exists and is published.
func (c *Catalog) checkWorkflowTarget(ctx context.Context, tenant, slug string, errs *model.Errors) error {
	w, err := c.GetWorkflow(ctx, tenant, slug)
	switch {
	case errors.Is(err, ErrNotFound):
		errs.Add("/target/workflow", "no workflow %q exists in this tenant", slug)
	case err != nil:
		return err
	case w.Deployed == nil:
		errs.Add("/target/workflow", "workflow %q is not published; publish it first", slug)
	}
	return nil
}

// kindOf is k with its default (express).
func kindOf(k workflow.Kind) workflow.Kind {
	if k == "" {
		return workflow.KindExpress
	}
	return k
}
