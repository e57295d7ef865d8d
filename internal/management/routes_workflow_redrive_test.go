package management

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/workflow"
)

// shop is a real upstream: it counts calls per path and answers 503 on
// the failing paths.
type shop struct {
	mu      sync.Mutex
	calls   map[string]int
	failing map[string]bool
}

func (s *shop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls[r.URL.Path]++
	failing := s.failing[r.URL.Path]
	s.mu.Unlock()
	if failing {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintf(w, `{"done":%q}`, r.URL.Path)
}

func (s *shop) counts() [3]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return [3]int{s.calls["/reserve"], s.calls["/charge"], s.calls["/notify"]}
}

// shopEngine is the embedded engine with call steps POSTing to the
// upstream at base + the step's path (5xx: Portico.UpstreamServerError).
func shopEngine(t *testing.T, base string) *workflow.Local {
	t.Helper()
	ex, err := workflow.NewExecutor(workflow.ExecutorConfig{Tasks: workflow.TaskFunc(func(ctx context.Context, task workflow.Task) (json.RawMessage, error) {
		var in struct {
			Config workflow.CallConfig `json:"config"`
		}
		if err := json.Unmarshal(task.Input, &in); err != nil {
			return nil, err
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+in.Config.Path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, &workflow.Error{Name: "Portico.UpstreamUnavailable", Cause: err.Error()}
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 500 {
			return nil, &workflow.Error{Name: "Portico.UpstreamServerError", Cause: resp.Status}
		}
		var out json.RawMessage
		return out, json.NewDecoder(resp.Body).Decode(&out)
	})})
	if err != nil {
		t.Fatal(err)
	}
	return workflow.NewLocal(ex)
}

// orderWorkflow: three calls, no compensation, standard.
const orderWorkflow = `{"slug":"%s","kind":"standard","steps":[
	{"name":"reserve","type":"call","call":{"integration":"backend","path":"/reserve"},"next":"charge"},
	{"name":"charge","type":"call","call":{"integration":"backend","path":"/charge"},"next":"notify"},
	{"name":"notify","type":"call","call":{"integration":"backend","path":"/notify"}}]}`

// failedOrder publishes orderWorkflow as slug on engine, runs it as a
// test run (the upstream's /charge failing) and returns the record id.
func (e *env) failedOrder(t *testing.T, eng *workflow.Local, slug string) string {
	t.Helper()
	owner := e.token(tenantA, identity.RoleOwner)
	wantStatus(t, e.do("POST", prefix+"/workflows", owner, fmt.Sprintf(orderWorkflow, slug)), http.StatusCreated)
	wantStatus(t, e.do("POST", prefix+"/workflows/"+slug+"/publish", owner, ""), http.StatusOK)
	run := decodeJSON[testRun](t, e.do("POST", prefix+"/workflows/"+slug+"/executions", owner, `{"body":{"sku":"a1"}}`))
	if x, err := eng.Wait(t.Context(), run.ExecutionID); err != nil || x.Status != workflow.StatusFailed {
		t.Fatalf("test run: %+v, %v", x, err)
	}
	pg := decodeJSON[page[workflow.Record]](t, e.do("GET", prefix+"/workflows/"+slug+"/executions", owner, ""))
	if len(pg.Items) != 1 || pg.Items[0].ID != run.Record {
		t.Fatalf("records = %+v; the test run named record %q", pg.Items, run.Record)
	}
	// Reading it writes the end back.
	if got := decodeJSON[workflow.Record](t, e.do("GET", prefix+"/workflows/"+slug+"/executions/"+pg.Items[0].ID, owner, "")); got.Status != workflow.StatusFailed {
		t.Fatalf("record = %+v", got)
	}
	return pg.Items[0].ID
}

func TestWorkflowRedrive(t *testing.T) {
	e := newEnv(t)
	e.h.cfg.Now = time.Now // records expire on the store's (real) clock
	up := &shop{calls: map[string]int{}, failing: map[string]bool{"/charge": true}}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	eng := shopEngine(t, srv.URL)
	e.h.cfg.Workflows.Engine = eng
	dev, viewer, admin := e.token(tenantA, identity.RoleDeveloper), e.token(tenantA, identity.RoleViewer), e.token(tenantA, identity.RoleAdmin)

	id := e.failedOrder(t, eng, "order")
	path := prefix + "/workflows/order/executions/" + id
	view := decodeJSON[executionView](t, e.do("GET", path, viewer, ""))
	failed := view.Record
	if failed.Status != workflow.StatusFailed || failed.Error != "Portico.UpstreamServerError" {
		t.Fatalf("recorded = %+v", failed)
	}
	// The console learns it can offer a redrive, and where it resumes.
	if c := view.Redrive; c == nil || !c.Possible || c.State != "charge" || c.Reason != "" {
		t.Errorf("redrive check = %+v", c)
	}
	if got := up.counts(); got != [3]int{1, 1, 0} {
		t.Fatalf("calls before the redrive = %v", got)
	}

	wantProblem(t, e.do("POST", path+"/redrive", viewer, ""), http.StatusForbidden)

	// The upstream is fixed: redrive resumes at charge, under the same id.
	up.mu.Lock()
	up.failing = nil
	up.mu.Unlock()
	rec := e.do("POST", path+"/redrive", dev, "")
	wantStatus(t, rec, http.StatusAccepted)
	started := decodeJSON[workflow.Record](t, rec)
	if started.Status != workflow.StatusRunning || started.RedriveCount != 1 || started.RedrivenAt == nil ||
		started.ExecutionID != failed.ExecutionID || started.ID != id || started.StoppedAt != nil {
		t.Fatalf("redrive answered %+v", started)
	}
	if x, err := eng.Wait(t.Context(), failed.ExecutionID); err != nil || x.Status != workflow.StatusSucceeded {
		t.Fatalf("redriven execution: %+v, %v", x, err)
	}
	if got := up.counts(); got != [3]int{1, 2, 1} {
		t.Errorf("calls after the redrive = %v, want reserve not run again", got)
	}
	doneView := decodeJSON[executionView](t, e.do("GET", path, viewer, ""))
	if c := doneView.Redrive; c == nil || c.Possible || c.Reason != workflow.RedriveSucceeded {
		t.Errorf("redrive check after success = %+v", c)
	}
	done := doneView.Record
	redriven := 0
	for _, ev := range done.History {
		if ev.Type == workflow.EventExecutionRedriven {
			redriven++
		}
	}
	if done.Status != workflow.StatusSucceeded || done.RedriveCount != 1 || done.Error != "" || redriven != 1 ||
		done.History[len(done.History)-1].Type != workflow.EventExecutionSucceed {
		t.Errorf("record after the redrive = %+v", done)
	}

	// Audited like other actions.
	audit := decodeJSON[page[model.AuditEntry]](t, e.do("GET", prefix+"/audit", admin, ""))
	found := false
	for _, a := range audit.Items {
		if a.Action == "redrive" && a.Resource == "workflow/order/execution/"+id && strings.Contains(string(a.After), `"state":"charge"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("no redrive audit entry in %+v", audit.Items)
	}

	// Succeeded now: refused.
	p := wantProblem(t, e.do("POST", path+"/redrive", dev, ""), http.StatusConflict)
	if !strings.HasSuffix(p.Type, "/not-redrivable") || !strings.Contains(p.Detail, "succeeded") {
		t.Errorf("problem = %+v", p)
	}
}

// TestWorkflowRedriveRefused: records edited from a real failed run, each
// refused with a 409 saying why.
func TestWorkflowRedriveRefused(t *testing.T) {
	e := newEnv(t)
	e.h.cfg.Now = time.Now
	up := &shop{calls: map[string]int{}, failing: map[string]bool{"/charge": true}}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	eng := shopEngine(t, srv.URL)
	e.h.cfg.Workflows.Engine = eng
	dev := e.token(tenantA, identity.RoleDeveloper)
	id := e.failedOrder(t, eng, "order")
	base, err := e.cat.GetExecution(t.Context(), tenantA, "order", id)
	if err != nil {
		t.Fatal(err)
	}
	ago := func(d time.Duration) *time.Time { t := time.Now().Add(-d); return &t }

	tests := []struct {
		name   string
		edit   func(r *workflow.Record)
		status int
		detail string
		check  string // the GET's redrive check: a reason, "possible", or "" for none
	}{
		{"express", func(r *workflow.Record) { r.Kind, r.ExecutionID = workflow.KindExpress, "" }, http.StatusConflict, "only standard", ""},
		{"running", func(r *workflow.Record) {
			r.Status, r.StoppedAt, r.ExecutionID = workflow.StatusRunning, nil, "local:gone:1"
		}, http.StatusConflict, "not ended", ""},
		{"succeeded", func(r *workflow.Record) { r.Status = workflow.StatusSucceeded }, http.StatusConflict, "succeeded", workflow.RedriveSucceeded},
		{"older than 14 days", func(r *workflow.Record) { r.StoppedAt = ago(15 * 24 * time.Hour) }, http.StatusConflict, "14 days", workflow.RedriveExpired},
		{"truncated history", func(r *workflow.Record) { r.HistoryTruncated = true }, http.StatusConflict, "incomplete", workflow.RedriveTruncated},
		{"compensation ran", func(r *workflow.Record) {
			r.History = append(r.History[:len(r.History)-1], workflow.Event{Type: workflow.EventStateEntered, State: "Portico.Undo?.reserve"}, r.History[len(r.History)-1])
		}, http.StatusConflict, "compensation", workflow.RedriveCompensated},
		{"unknown to the engine", func(r *workflow.Record) { r.ExecutionID = "arn:aws:states:eu-west-1:1:execution:x:y" }, http.StatusConflict, "no longer holds", "possible"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := *base
			r.History = append([]workflow.Event(nil), base.History...)
			r.ID = workflow.NewRecordID(time.Now())
			tt.edit(&r)
			if err := e.cat.RecordExecution(t.Context(), &r); err != nil {
				t.Fatal(err)
			}
			view := decodeJSON[executionView](t, e.do("GET", prefix+"/workflows/order/executions/"+r.ID, dev, ""))
			switch c := view.Redrive; {
			case tt.check == "" && c != nil, tt.check == "possible" && (c == nil || !c.Possible),
				tt.check != "" && tt.check != "possible" && (c == nil || c.Possible || c.Reason != tt.check || c.Detail == ""):
				t.Errorf("redrive check = %+v, want %q", c, tt.check)
			}
			p := wantProblem(t, e.do("POST", prefix+"/workflows/order/executions/"+r.ID+"/redrive", dev, ""), tt.status)
			if !strings.HasSuffix(p.Type, "/not-redrivable") || !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("problem = %+v, want detail with %q", p, tt.detail)
			}
		})
	}
	wantProblem(t, e.do("POST", prefix+"/workflows/order/executions/ffffffffffffffffffffffff/redrive", dev, ""), http.StatusNotFound)
	wantProblem(t, e.do("POST", prefix+"/workflows/nope/executions/"+id+"/redrive", dev, ""), http.StatusNotFound)
	if got := up.counts(); got != [3]int{1, 1, 0} {
		t.Errorf("a refused redrive called the upstream: %v", got)
	}
}

// failedStandardExecution records a failed standard execution of a fresh
// published workflow (the test engine's tasks all fail) and returns the
// path of its redrive.
func (e *env) failedStandardExecution(t *testing.T, n int) string {
	t.Helper()
	slug := fmt.Sprintf("std-%d", n)
	owner := e.token(tenantA, identity.RoleOwner)
	wantStatus(t, e.do("POST", prefix+"/workflows", owner, fmt.Sprintf(orderWorkflow, slug)), http.StatusCreated)
	wantStatus(t, e.do("POST", prefix+"/workflows/"+slug+"/publish", owner, ""), http.StatusOK)
	wf, err := e.cat.GetWorkflow(t.Context(), tenantA, slug)
	if err != nil {
		t.Fatal(err)
	}
	eng := e.h.cfg.Workflows.Engine.(*workflow.Local)
	// Recorded on the real clock: the store expires records on it.
	recorder := &workflow.Recording{Engine: eng, Recorder: e.cat, Tenant: tenantA, Workflow: slug, Source: workflow.SourceTest, Now: time.Now}
	xid, err := recorder.Start(t.Context(), wf.Deployed.Ref, "", json.RawMessage(`{"body":{},"params":{},"query":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Wait(t.Context(), xid); err != nil {
		t.Fatal(err)
	}
	recs, _, err := e.cat.ListExecutions(t.Context(), tenantA, slug, "", 1, "")
	if err != nil || len(recs) != 1 {
		t.Fatalf("records %+v: %v", recs, err)
	}
	r := recs[0]
	if _, err := workflow.Refresh(t.Context(), eng, &r, time.Now()); err != nil || r.Status != workflow.StatusFailed {
		t.Fatalf("record %+v: %v", r, err)
	}
	if err := e.cat.RecordExecution(t.Context(), &r); err != nil {
		t.Fatal(err)
	}
	return prefix + "/workflows/" + slug + "/executions/" + r.ID + "/redrive"
}
