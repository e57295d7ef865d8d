package management

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/workflow"
)

// addExecution records a failed execution of workflow slug in tenantA,
// started now: the store's TTL runs on the real clock.
func (e *env) addExecution(t *testing.T, slug string) string {
	t.Helper()
	at := time.Now()
	r := &workflow.Record{ID: workflow.NewRecordID(at), Tenant: tenantA, Workflow: slug, Kind: workflow.KindExpress,
		Source: workflow.SourceTest, Status: workflow.StatusFailed, Error: "Boom", StartedAt: at,
		History: []workflow.Event{{Type: workflow.EventExecutionFailed, Error: &workflow.Error{Name: "Boom"}}}}
	if err := e.cat.RecordExecution(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r.ID
}

func TestWorkflowExecutionRoutes(t *testing.T) {
	e := newEnv(t)
	e.h.cfg.Now = time.Now // records expire on the store's (real) clock
	dev, viewer := e.token(tenantA, identity.RoleDeveloper), e.token(tenantA, identity.RoleViewer)
	slug := e.addWorkflow(t, 1, true)

	// Test runs are recorded, with their history.
	for range 3 {
		rec := e.serve(req{method: "POST", path: prefix + "/workflows/" + slug + "/executions", token: dev, body: `{"body":{}}`, header: map[string]string{"Idempotency-Key": "k"}})
		wantStatus(t, rec, http.StatusOK)
	}
	other := e.addWorkflow(t, 2, false)
	failed := e.addExecution(t, slug)
	e.addExecution(t, other)

	var ids []string
	path := prefix + "/workflows/" + slug + "/executions?limit=2"
	for range 5 {
		rec := e.do("GET", path, viewer, "")
		wantStatus(t, rec, http.StatusOK)
		pg := decodeJSON[page[workflow.Record]](t, rec)
		for _, r := range pg.Items {
			if r.History != nil || r.Tenant != tenantA || r.Workflow != slug {
				t.Errorf("listed %+v", r)
			}
			ids = append(ids, r.ID)
		}
		if pg.NextCursor == "" {
			break
		}
		path = prefix + "/workflows/" + slug + "/executions?limit=2&cursor=" + pg.NextCursor
	}
	if len(ids) != 4 || ids[0] != failed {
		t.Fatalf("ids = %v, want 4 newest first starting with %s", ids, failed)
	}

	rec := e.do("GET", prefix+"/workflows/"+slug+"/executions?status=SUCCEEDED", viewer, "")
	wantStatus(t, rec, http.StatusOK)
	pg := decodeJSON[page[workflow.Record]](t, rec)
	if len(pg.Items) != 3 || pg.Items[0].Source != workflow.SourceTest || pg.Items[0].IdempotencyKey != "k" {
		t.Fatalf("succeeded = %+v", pg.Items)
	}
	got := e.do("GET", prefix+"/workflows/"+slug+"/executions/"+pg.Items[0].ID, viewer, "")
	wantStatus(t, got, http.StatusOK)
	one := decodeJSON[workflow.Record](t, got)
	if one.Status != workflow.StatusSucceeded || len(one.History) == 0 || one.StoppedAt == nil {
		t.Errorf("execution = %+v", one)
	}

	// A cursor from another listing, a bad status, unknown ids.
	rec = e.do("GET", prefix+"/workflows/"+other+"/executions?cursor="+pg.NextCursor+"x", viewer, "")
	wantProblem(t, rec, http.StatusBadRequest)
	rec = e.do("GET", prefix+"/workflows/"+slug+"/executions?status=DONE", viewer, "")
	wantProblem(t, rec, http.StatusBadRequest, "/status")
	rec = e.do("GET", prefix+"/workflows/nope/executions", viewer, "")
	wantProblem(t, rec, http.StatusNotFound)
	for _, id := range []string{"nope", "ffffffffffffffffffffffff"} {
		rec = e.do("GET", prefix+"/workflows/"+slug+"/executions/"+id, viewer, "")
		wantProblem(t, rec, http.StatusNotFound)
	}
	rec = e.do("GET", prefix+"/workflows/"+other+"/executions/"+failed, viewer, "")
	wantProblem(t, rec, http.StatusNotFound)
}

func TestWorkflowExecutionRefresh(t *testing.T) {
	e := newEnv(t)
	e.h.cfg.Now = time.Now
	owner := e.token(tenantA, identity.RoleOwner)
	var v = `{"slug":"long","kind":"standard","steps":[{"name":"hello","type":"set","set":{"value":{"hi":"there"}}}]}`
	wantStatus(t, e.do("POST", prefix+"/workflows", owner, v), http.StatusCreated)
	wantStatus(t, e.do("POST", prefix+"/workflows/long/publish", owner, ""), http.StatusOK)
	rec := e.do("POST", prefix+"/workflows/long/executions", owner, `{"body":{}}`)
	wantStatus(t, rec, http.StatusAccepted)

	deadline := time.Now().Add(5 * time.Second)
	for {
		rec = e.do("GET", prefix+"/workflows/long/executions", owner, "")
		pg := decodeJSON[page[workflow.Record]](t, rec)
		if len(pg.Items) != 1 || pg.Items[0].Kind != workflow.KindStandard || pg.Items[0].ExecutionID == "" {
			t.Fatalf("listed %+v", pg.Items)
		}
		one := decodeJSON[workflow.Record](t, e.do("GET", prefix+"/workflows/long/executions/"+pg.Items[0].ID, owner, ""))
		if one.Status == workflow.StatusSucceeded {
			if len(one.History) == 0 || one.StoppedAt == nil {
				t.Errorf("refreshed = %+v", one)
			}
			// The record was updated: the list shows the end too.
			pg = decodeJSON[page[workflow.Record]](t, e.do("GET", prefix+"/workflows/long/executions", owner, ""))
			if pg.Items[0].Status != workflow.StatusSucceeded {
				t.Errorf("listed after refresh: %+v", pg.Items[0])
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution still %s", one.Status)
		}
		time.Sleep(time.Millisecond)
	}
}
