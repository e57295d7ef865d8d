package management

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/workflow"
)

// testWorkflows is the embedded engine whose tasks all fail: the matrix
// and these tests run workflows without calls.
func testWorkflows(t testing.TB) Workflows {
	t.Helper()
	exec, err := workflow.NewExecutor(workflow.ExecutorConfig{Tasks: workflow.TaskFunc(func(context.Context, workflow.Task) (json.RawMessage, error) {
		return nil, &workflow.Error{Name: workflow.ErrorStepFailed, Cause: "no tasks in management tests"}
	})})
	if err != nil {
		t.Fatal(err)
	}
	return Workflows{Engine: workflow.NewLocal(exec)}
}

// setWorkflowBody is a workflow of one set step, with a failing variant.
const setWorkflowBody = `{"slug":"wf-%d","name":"W","steps":[{"name":"hello","type":"set","set":{"value":{"hi":"there"}}}]}`

// addWorkflow creates workflow wf-<n> in tenantA, published when asked.
func (e *env) addWorkflow(t *testing.T, n int, publish bool) string {
	t.Helper()
	var v catalog.Workflow
	if err := json.Unmarshal([]byte(fmt.Sprintf(setWorkflowBody, n)), &v); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cat.CreateWorkflow(context.Background(), tenantA, seedActor, &v); err != nil {
		t.Fatal(err)
	}
	if publish {
		rec := e.do("POST", prefix+"/workflows/"+v.Slug+"/publish", e.token(tenantA, identity.RoleOwner), "")
		wantStatus(t, rec, http.StatusOK)
	}
	return v.Slug
}

func TestWorkflowRoutes(t *testing.T) {
	e := newEnv(t)
	dev, admin := e.token(tenantA, identity.RoleDeveloper), e.token(tenantA, identity.RoleAdmin)

	// Unknown integration: a validation problem pointing at it.
	rec := e.do("POST", prefix+"/workflows", dev, `{"slug":"checkout","steps":[{"name":"pay","type":"call","call":{"integration":"nope"}}]}`)
	wantProblem(t, rec, http.StatusBadRequest, "/steps/0/call/integration")

	body := `{"slug":"checkout","failureStatus":409,"steps":[
		{"name":"pay","type":"call","call":{"integration":"backend","path":"/pay"},"compensate":"refund","next":"boom"},
		{"name":"boom","type":"fail","fail":{"error":"Checkout.Rejected"}}],
		"compensations":[{"name":"refund","type":"call","call":{"integration":"backend","path":"/refund"}}]}`
	rec = e.do("POST", prefix+"/workflows", dev, body)
	wantStatus(t, rec, http.StatusCreated)
	if loc := rec.Header().Get("Location"); loc != prefix+"/workflows/checkout" {
		t.Fatalf("Location = %q", loc)
	}

	// The definition compiles the current model.
	rec = e.do("GET", prefix+"/workflows/checkout/definition", dev, "")
	wantStatus(t, rec, http.StatusOK)
	if _, err := workflow.ParseMachine(rec.Body.Bytes()); err != nil || !strings.Contains(rec.Body.String(), `"Portico.Undo.pay"`) {
		t.Fatalf("definition %s: %v", rec.Body.String(), err)
	}
	rec = e.do("GET", prefix+"/workflows/checkout/definition?deployed=true", dev, "")
	wantProblem(t, rec, http.StatusNotFound)

	// Not published: no test runs, no endpoint may target it.
	rec = e.do("POST", prefix+"/workflows/checkout/executions", dev, `{"body":{}}`)
	wantProblem(t, rec, http.StatusConflict)
	rec = e.do("POST", prefix+"/apis/orders/versions/v1/endpoints", dev, `{"method":"POST","path":"/checkout","target":{"type":"workflow","workflow":"checkout"}}`)
	wantProblem(t, rec, http.StatusBadRequest, "/target/workflow")

	// Publishing needs an admin; it records the deployment.
	rec = e.do("POST", prefix+"/workflows/checkout/publish", dev, "")
	wantProblem(t, rec, http.StatusForbidden)
	rec = e.do("POST", prefix+"/workflows/checkout/publish", admin, "")
	wantStatus(t, rec, http.StatusOK)
	wf := decodeJSON[catalog.Workflow](t, rec)
	if wf.Deployed == nil || !strings.HasPrefix(wf.Deployed.Ref, "local:") || wf.Deployed.Revision != 1 || wf.Deployed.FailureStatus != 409 {
		t.Fatalf("published: %+v", wf.Deployed)
	}
	rec = e.do("GET", prefix+"/workflows/checkout/definition?deployed=true", dev, "")
	wantStatus(t, rec, http.StatusOK)

	// A test run: the call fails (no tasks here), so the step is not
	// compensated (it never completed) and the failure status applies.
	rec = e.do("POST", prefix+"/workflows/checkout/executions", dev, `{"body":{"total":3}}`)
	wantStatus(t, rec, http.StatusOK)
	run := decodeJSON[testRun](t, rec)
	if run.Status != workflow.StatusFailed || run.Error == nil || run.Error.Name != workflow.ErrorStepFailed || run.HTTPStatus != 409 {
		t.Fatalf("test run = %+v", run)
	}
	if run.Record == "" {
		t.Error("the test run does not name its execution record")
	}

	// Now an endpoint may target it; while it does, it cannot be deleted.
	rec = e.do("POST", prefix+"/apis/orders/versions/v1/endpoints", dev, `{"method":"POST","path":"/checkout","target":{"type":"workflow","workflow":"checkout"}}`)
	wantStatus(t, rec, http.StatusCreated)
	rec = e.do("DELETE", prefix+"/workflows/checkout", admin, "")
	wantProblem(t, rec, http.StatusConflict)

	// Stale If-Match on publish.
	rec = e.serve(req{method: "POST", path: prefix + "/workflows/checkout/publish", token: admin, header: map[string]string{"If-Match": `"1"`}})
	wantProblem(t, rec, http.StatusPreconditionFailed)
}

func TestWorkflowPublishWithoutEngine(t *testing.T) {
	e := newEnv(t)
	e.h.cfg.Workflows = Workflows{}
	var v catalog.Workflow
	_ = json.Unmarshal([]byte(fmt.Sprintf(setWorkflowBody, 1)), &v)
	if _, err := e.cat.CreateWorkflow(context.Background(), tenantA, seedActor, &v); err != nil {
		t.Fatal(err)
	}
	rec := e.do("POST", prefix+"/workflows/wf-1/publish", e.token(tenantA, identity.RoleOwner), "")
	wantProblem(t, rec, http.StatusServiceUnavailable)
}
