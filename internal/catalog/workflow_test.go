package catalog_test

import (
	"encoding/json"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/workflow"
)

func callWorkflow(slug, integration string) *catalog.Workflow {
	return &catalog.Workflow{Workflow: workflow.Workflow{Slug: slug, Name: "Checkout", Steps: []workflow.Step{
		{Name: "reserve", Type: workflow.StepCall, Call: &workflow.Call{Integration: integration, Path: "/reserve"}},
	}}}
}

func TestWorkflowLifecycle(t *testing.T) {
	c, _ := fixture(t)
	ctx := t.Context()

	// Validation uses the tenant's integrations.
	_, err := c.CreateWorkflow(ctx, "acme", alice, callWorkflow("checkout", "nope"))
	wantProblem(t, err, "/steps/0/call/integration")
	// ... and its transforms.
	tw := &catalog.Workflow{Workflow: workflow.Workflow{Slug: "tx", Steps: []workflow.Step{
		{Name: "shape", Type: workflow.StepTransform, Transform: &workflow.Transform{Transform: "camel"}},
	}}}
	_, err = c.CreateWorkflow(ctx, "acme", alice, tw)
	wantProblem(t, err, "/steps/0/transform/transform")
	must(t)(c.CreateTransform(ctx, "acme", alice, declarative("camel", passingDoc)))
	must(t)(c.CreateWorkflow(ctx, "acme", alice, tw))
	noErr(t, c.DeleteWorkflow(ctx, "acme", alice, "tx", 0))

	in := callWorkflow("checkout", "backend")
	in.Deployed = &catalog.WorkflowDeployment{Ref: "forged"}
	w := must(t)(c.CreateWorkflow(ctx, "acme", alice, in)).(*catalog.Workflow)
	if w.Revision != 1 || w.Deployed != nil {
		t.Fatalf("created revision %d, deployed %v; want 1 and nil (a deployment is never taken from the caller)", w.Revision, w.Deployed)
	}
	lastAudit(t, c, "acme", alice, "create", "workflow", "workflow/checkout")

	// An endpoint cannot target it before it is published.
	ep := endpoint("orders", "v1", "POST", "/checkout")
	ep.Target = model.Target{Type: model.TargetWorkflow, Workflow: "checkout"}
	_, err = c.CreateEndpoint(ctx, "acme", alice, ep)
	wantProblem(t, err, "/target/workflow")
	ep.Target.Workflow = "missing"
	_, err = c.CreateEndpoint(ctx, "acme", alice, ep)
	wantProblem(t, err, "/target/workflow")
	ep.Target.Workflow = "checkout"

	// Recording a deployment of a stale revision fails.
	_, err = c.RecordWorkflowDeployment(ctx, "acme", bob, "checkout", catalog.WorkflowDeployment{Ref: "r", Revision: 7, Definition: json.RawMessage(`{}`)})
	wantIs(t, err, catalog.ErrStale)
	w = must(t)(c.RecordWorkflowDeployment(ctx, "acme", bob, "checkout", catalog.WorkflowDeployment{
		Ref: "local:acme_checkout", Kind: workflow.KindExpress, Revision: 1, Definition: json.RawMessage(`{"StartAt":"x"}`)})).(*catalog.Workflow)
	if w.Deployed == nil || w.Deployed.Ref != "local:acme_checkout" || w.Deployed.PublishedBy != bob.Subject || w.Revision != 2 {
		t.Fatalf("after publish: %+v", w)
	}
	a := lastAudit(t, c, "acme", bob, "publish", "workflow", "workflow/checkout")
	if d := decode[catalog.WorkflowDeployment](t, a.After); d.Ref != "local:acme_checkout" || d.Definition != nil {
		t.Fatalf("audit after = %s, want the deployment without its definition", a.After)
	}

	created := must(t)(c.CreateEndpoint(ctx, "acme", alice, ep)).(*model.Endpoint)

	// Updating keeps the deployment; the kind cannot change once deployed.
	up := callWorkflow("checkout", "backend")
	up.Description = "v2"
	w = must(t)(c.UpdateWorkflow(ctx, "acme", alice, "checkout", 2, up)).(*catalog.Workflow)
	if w.Deployed == nil || w.Deployed.Ref != "local:acme_checkout" || w.Description != "v2" {
		t.Fatalf("after update: %+v", w)
	}
	up.Kind = workflow.KindStandard
	_, err = c.UpdateWorkflow(ctx, "acme", alice, "checkout", 0, up)
	wantConflict(t, err, "/kind", catalog.ErrInUse)

	cfg := must(t)(c.LoadTenantConfig(ctx, "acme")).(*catalog.TenantConfig)
	if len(cfg.Workflows) != 1 || cfg.Workflows[0].Deployed == nil {
		t.Fatalf("tenant config workflows = %+v", cfg.Workflows)
	}

	// In use by an endpoint: not deletable.
	err = c.DeleteWorkflow(ctx, "acme", alice, "checkout", 0)
	wantConflict(t, err, "", catalog.ErrInUse)
	noErr(t, c.DeleteEndpoint(ctx, "acme", alice, "orders", "v1", created.ID, 0))
	noErr(t, c.DeleteWorkflow(ctx, "acme", alice, "checkout", 0))
	_, err = c.GetWorkflow(ctx, "acme", "checkout")
	wantIs(t, err, catalog.ErrNotFound)
}
