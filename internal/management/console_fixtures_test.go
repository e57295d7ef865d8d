package management

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/workflow"
)

// consoleWorkflowFixtures is where the console's unit tests read the
// workflow answers they mock: written by TestConsoleWorkflowFixtures from
// the real handler, so the mocks cannot drift from the server.
var consoleWorkflowFixtures = filepath.Join("..", "..", "frontend", "src", "test", "fixtures", "workflows.json")

// checkoutWorkflow is the fixture workflow: a compensated call, a call with
// retry and timeout, a choice, a parallel step of two branches, a set.
const checkoutWorkflow = `{"slug":"checkout","name":"Checkout","description":"Reserve, charge, ship.","failureStatus":502,
 "steps":[
  {"name":"reserve","type":"call","next":"charge","compensate":"release","call":{"integration":"backend","path":"/reservations"}},
  {"name":"charge","type":"call","next":"route","timeoutSeconds":10,
   "retry":[{"errors":["Portico.UpstreamUnavailable"],"maxAttempts":2,"intervalSeconds":1,"backoffRate":2}],
   "call":{"integration":"backend","path":"/charges"}},
  {"name":"route","type":"choice","choice":{"rules":[{"condition":{"variable":"$.input.body.express","op":"BooleanEquals","value":true},"next":"ship"}],"default":"receipt"}},
  {"name":"ship","type":"parallel","next":"receipt","parallel":{"branches":[
    {"name":"label","steps":[{"name":"printLabel","type":"call","call":{"integration":"backend","path":"/labels"}}]},
    {"name":"mail","steps":[{"name":"mailNote","type":"set","set":{"value":{"sent":true}}}]}]}},
  {"name":"receipt","type":"set","set":{"value":{"done":true}}}],
 "compensations":[{"name":"release","type":"call","call":{"integration":"backend","method":"DELETE","path":"/reservations"}}]}`

// fixtureTasks answers every Task state, except that "charge" fails for
// a declined card (so the compensation of "reserve" runs).
func fixtureTasks(_ context.Context, t workflow.Task) (json.RawMessage, error) {
	var in struct {
		Step  string `json:"step"`
		Input struct {
			Card string `json:"card"`
		} `json:"input"`
	}
	_ = json.Unmarshal(t.Input, &in)
	if in.Step == "charge" && in.Input.Card == "declined" {
		return nil, &workflow.Error{Name: "Portico.UpstreamClientError", Cause: "upstream answered 402"}
	}
	return json.RawMessage(fmt.Sprintf(`{"ok":true,"step":%q}`, in.Step)), nil
}

func TestConsoleWorkflowFixtures(t *testing.T) {
	e := newEnv(t)
	e.h.cfg.Now = time.Now // execution records expire on the store's (real) clock
	exec, err := workflow.NewExecutor(workflow.ExecutorConfig{Tasks: workflow.TaskFunc(fixtureTasks)})
	if err != nil {
		t.Fatal(err)
	}
	e.h.cfg.Workflows = Workflows{Engine: workflow.NewLocal(exec)}
	dev, admin, viewer := e.token(tenantA, identity.RoleDeveloper), e.token(tenantA, identity.RoleAdmin), e.token(tenantA, identity.RoleViewer)
	wf := prefix + "/workflows/checkout"

	out := map[string]any{}
	keep := func(name string, rec interface {
		Result() *http.Response
	}, want int) any {
		t.Helper()
		res := rec.Result()
		var v any
		if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
			t.Fatalf("%s: decode: %v", name, err)
		}
		if res.StatusCode != want {
			t.Fatalf("%s: status %d, want %d: %v", name, res.StatusCode, want, v)
		}
		out[name] = map[string]any{"status": res.StatusCode, "body": v}
		return v
	}

	keep("invalid", e.do("POST", prefix+"/workflows", dev,
		`{"slug":"broken","steps":[{"name":"a","type":"call","next":"nowhere","call":{"integration":"nope"}}]}`), http.StatusBadRequest)
	keep("created", e.do("POST", prefix+"/workflows", dev, checkoutWorkflow), http.StatusCreated)
	keep("forbidden", e.do("PUT", wf, viewer, checkoutWorkflow), http.StatusForbidden)
	keep("notPublished", e.do("POST", wf+"/executions", dev, `{"body":{}}`), http.StatusConflict)
	keep("definition", e.do("GET", wf+"/definition", viewer, ""), http.StatusOK)
	keep("published", e.do("POST", wf+"/publish", admin, ""), http.StatusOK)
	keep("workflow", e.do("GET", wf, viewer, ""), http.StatusOK)
	keep("workflows", e.do("GET", prefix+"/workflows", viewer, ""), http.StatusOK)
	keep("testRunSucceeded", e.do("POST", wf+"/executions", dev, `{"body":{"express":true,"card":"ok"},"params":{"id":"7"}}`), http.StatusOK)
	keep("testRunFailed", e.do("POST", wf+"/executions", dev, `{"body":{"express":false,"card":"declined"}}`), http.StatusOK)
	list := keep("executions", e.do("GET", wf+"/executions", viewer, ""), http.StatusOK)
	items, _ := list.(map[string]any)["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("executions = %v", list)
	}
	for i, name := range []string{"executionFailed", "executionSucceeded"} { // newest first
		id := items[i].(map[string]any)["id"].(string)
		keep(name, e.do("GET", wf+"/executions/"+id, viewer, ""), http.StatusOK)
	}
	keep("notFound", e.do("GET", wf+"/executions/0000000000000000deadbeef", viewer, ""), http.StatusNotFound)

	// What the console relies on, beyond the shapes: the failed run undid
	// the reservation, the successful one ran both branches.
	hist := func(name string) string {
		b, _ := json.Marshal(out[name].(map[string]any)["body"].(map[string]any)["history"])
		return string(b)
	}
	if h := hist("executionFailed"); !strings.Contains(h, `"Portico.Undo.reserve"`) || !strings.Contains(h, "Portico.UpstreamClientError") {
		t.Errorf("failed history lacks the compensation or the error: %s", h)
	}
	if h := hist("executionSucceeded"); !strings.Contains(h, `"printLabel"`) || !strings.Contains(h, `"mailNote"`) {
		t.Errorf("succeeded history lacks the branches: %s", h)
	}

	normalize(out)
	got, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(consoleWorkflowFixtures), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(consoleWorkflowFixtures, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(consoleWorkflowFixtures)
	if err != nil || !bytes.Equal(got, want) {
		_ = os.WriteFile(filepath.Join(os.TempDir(), "workflows.fixture.json"), got, 0o644)
		t.Fatalf("%s is not what the server answers (go test ./internal/management -run TestConsoleWorkflowFixtures -update): %v", consoleWorkflowFixtures, err)
	}
}

// fixtureStart is when fixture executions started: they ran on the real
// clock, so their ids and times are replaced by stable ones.
var fixtureStart = time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC)

// normalize replaces what differs from run to run: error ids, and the ids
// and times of execution records (each record starts a minute after the
// previous one; its events follow 5 ms apart, in order; it stops 500 ms
// after its start).
func normalize(v any) {
	// Record ids sort newest first; number the records oldest first.
	var ids []string
	var collect func(v any)
	collect = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if id, ok := x["id"].(string); ok && x["startedAt"] != nil && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
			for _, c := range x {
				collect(c)
			}
		case []any:
			for _, c := range x {
				collect(c)
			}
		}
	}
	collect(v)
	slices.Sort(ids)
	slices.Reverse(ids)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if _, ok := x["errorId"]; ok {
				x["errorId"] = "fixture-error-id"
			}
			if id, ok := x["id"].(string); ok && x["startedAt"] != nil {
				n := slices.Index(ids, id) + 1
				x["id"] = fmt.Sprintf("%016x%08x", 0xffff-n, 0xf1c7)
				start := fixtureStart.Add(time.Duration(n) * time.Minute)
				x["startedAt"] = start.Format(time.RFC3339Nano)
				hist, _ := x["history"].([]any)
				sortBranches(hist, "ship")
				for i, ev := range hist {
					ev.(map[string]any)["time"] = start.Add(time.Duration(i+1) * 5 * time.Millisecond).Format(time.RFC3339Nano)
				}
				if _, ok := x["stoppedAt"]; ok {
					// After every event (the list leaves history out: same time).
					x["stoppedAt"] = start.Add(500 * time.Millisecond).Format(time.RFC3339Nano)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
}

// sortBranches orders the events inside parallel step's run by state
// (stable, so each state's own events keep their order): its branches run
// concurrently and interleave differently from run to run.
func sortBranches(hist []any, parallel string) {
	at := func(typ string) int {
		return slices.IndexFunc(hist, func(ev any) bool {
			m := ev.(map[string]any)
			return m["type"] == typ && m["state"] == parallel
		})
	}
	from, to := at(string(workflow.EventStateEntered)), at(string(workflow.EventStateExited))
	if from < 0 || to <= from {
		return
	}
	inner := hist[from+1 : to]
	slices.SortStableFunc(inner, func(a, b any) int {
		return strings.Compare(a.(map[string]any)["state"].(string), b.(map[string]any)["state"].(string))
	})
}
