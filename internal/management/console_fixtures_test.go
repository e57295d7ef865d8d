package management

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/wasmhost"
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
	failedID := items[0].(map[string]any)["id"].(string)
	keep("redriveRefused", e.do("POST", wf+"/executions/"+failedID+"/redrive", dev, ""), http.StatusConflict)

	// A standard workflow without compensation: its failed execution can be redriven.
	std := prefix + "/workflows/refund"
	keep("standardCreated", e.do("POST", prefix+"/workflows", dev,
		`{"slug":"refund","name":"Refund","kind":"standard","steps":[{"name":"charge","type":"call","call":{"integration":"backend","path":"/refunds"}}]}`), http.StatusCreated)
	wantStatus(t, e.do("POST", std+"/publish", admin, ""), http.StatusOK)
	keep("standardStarted", e.do("POST", std+"/executions", dev, `{"body":{"card":"declined"}}`), http.StatusAccepted)
	stdList := decodeJSON[page[workflow.Record]](t, e.do("GET", std+"/executions", viewer, ""))
	if len(stdList.Items) != 1 {
		t.Fatalf("standard executions = %+v", stdList.Items)
	}
	stdPath := std + "/executions/" + stdList.Items[0].ID
	for i := 0; ; i++ { // it runs in the background; reading it records its end
		if decodeJSON[workflow.Record](t, e.do("GET", stdPath, viewer, "")).Status != workflow.StatusRunning {
			break
		}
		if i == 200 {
			t.Fatal("the standard execution did not end")
		}
		time.Sleep(5 * time.Millisecond)
	}
	keep("executionRedrivable", e.do("GET", stdPath, viewer, ""), http.StatusOK)
	keep("redriveAccepted", e.do("POST", stdPath+"/redrive", dev, ""), http.StatusAccepted)

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
	newID := func(n int) string { return fmt.Sprintf("%016x%08x", 0xffff-n, 0xf1c7) }
	// renamed replaces record ids inside other strings (a problem's instance).
	renamed := func(s string) string {
		for i, id := range ids {
			s = strings.ReplaceAll(s, id, newID(i+1))
		}
		return s
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if _, ok := x["errorId"]; ok {
				x["errorId"] = "fixture-error-id"
			}
			if id, ok := x["id"].(string); ok && x["startedAt"] != nil {
				n := slices.Index(ids, id) + 1
				x["id"] = newID(n)
				start := fixtureStart.Add(time.Duration(n) * time.Minute)
				x["startedAt"] = start.Format(time.RFC3339Nano)
				hist, _ := x["history"].([]any)
				sortBranches(hist, "ship")
				for i, ev := range hist {
					ev.(map[string]any)["time"] = start.Add(time.Duration(i+1) * 5 * time.Millisecond).Format(time.RFC3339Nano)
				}
				if _, ok := x["executionId"]; ok {
					x["executionId"] = fmt.Sprintf("local:execution-%d", n)
				}
				if _, ok := x["redrivenAt"]; ok {
					x["redrivenAt"] = start.Add(time.Second).Format(time.RFC3339Nano)
				}
				if _, ok := x["stoppedAt"]; ok {
					// After every event (the list leaves history out: same time).
					x["stoppedAt"] = start.Add(500 * time.Millisecond).Format(time.RFC3339Nano)
				}
			}
			if _, ok := x["httpStatus"]; ok && x["executionId"] != nil { // a started test run
				x["executionId"] = "local:execution-started"
			}
			for k, c := range x {
				if str, ok := c.(string); ok {
					x[k] = renamed(str)
				}
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

// Fixtures of the console's webhook, secret and wasm-module screens: the
// real handler's answers, written by TestConsoleWebhookFixtures and
// TestConsoleModuleFixtures (-update) and read by the unit tests' mocks.
var (
	consoleWebhookFixtures = filepath.Join("..", "..", "frontend", "src", "test", "fixtures", "webhooks.json")
	consoleModuleFixtures  = filepath.Join("..", "..", "frontend", "src", "test", "fixtures", "modules.json")
)

// fixtureAnswers collects named answers of the handler ({status, body}).
type fixtureAnswers struct {
	t   *testing.T
	out map[string]any
}

func (f *fixtureAnswers) keep(name string, rec *httptest.ResponseRecorder, want int) map[string]any {
	f.t.Helper()
	var v any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			f.t.Fatalf("%s: decode: %v: %s", name, err, rec.Body)
		}
	}
	if rec.Code != want {
		f.t.Fatalf("%s: status %d, want %d: %s", name, rec.Code, want, rec.Body)
	}
	f.out[name] = map[string]any{"status": rec.Code, "body": v}
	m, _ := v.(map[string]any)
	return m
}

// check compares the answers, with the replacements applied to their text,
// to the fixture file at path (or writes it with -update).
func (f *fixtureAnswers) check(path string, replace ...string) {
	f.t.Helper()
	normalize(f.out)
	b, err := json.MarshalIndent(f.out, "", "  ")
	if err != nil {
		f.t.Fatal(err)
	}
	got := []byte(strings.NewReplacer(replace...).Replace(string(b)) + "\n")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			f.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		_ = os.WriteFile(filepath.Join(os.TempDir(), filepath.Base(path)), got, 0o644)
		f.t.Fatalf("%s is not what the server answers (go test ./internal/management -run 'TestConsole.*Fixtures' -update): %v", path, err)
	}
}

// TestConsoleWebhookFixtures: subscriptions (the creation answer with its
// secret, a refused one, the list), a delivery log in every state, a
// redelivery, and endpoints with inbound webhook auth refused at their
// secrets and tolerance.
func TestConsoleWebhookFixtures(t *testing.T) {
	e := newEnv(t)
	admin, dev, viewer := e.token(tenantA, identity.RoleAdmin), e.token(tenantA, identity.RoleDeveloper), e.token(tenantA, identity.RoleViewer)
	f := &fixtureAnswers{t: t, out: map[string]any{}}

	f.keep("webhookInvalid", e.do("POST", prefix+"/webhooks", admin, `{"url":"ftp://hooks.example.com","events":["Config"]}`), http.StatusBadRequest)
	f.keep("webhookForbidden", e.do("POST", prefix+"/webhooks", dev, `{"url":"https://hooks.example.com/in","events":["*"]}`), http.StatusForbidden)
	created := f.keep("webhookCreated", e.do("POST", prefix+"/webhooks", admin,
		`{"url":"https://hooks.example.com/portico","events":["config.changed"],"description":"Ops channel"}`), http.StatusCreated)
	id, _ := created["id"].(string)
	secret, _ := created["secret"].(string)
	if !strings.HasPrefix(secret, webhook.SecretPrefix) {
		t.Fatalf("created %v", created)
	}
	f.keep("webhooks", e.do("GET", prefix+"/webhooks", viewer, ""), http.StatusOK)

	// One delivery in each state, newest first: times are replaced below.
	now := time.Now().UTC().Truncate(time.Second)
	for i, d := range []webhook.Delivery{
		{ID: "msg_delivered", State: webhook.StateDelivered, Attempts: []webhook.Attempt{{Status: 503, DurationMs: 41}, {Status: 204, DurationMs: 12}}},
		{ID: "msg_failed", State: webhook.StateFailed, Attempts: []webhook.Attempt{{Error: "dial tcp 203.0.113.9:443: connect: connection refused", DurationMs: 3}, {Status: 500, DurationMs: 88}}},
		{ID: "msg_pending", State: webhook.StatePending, Attempts: []webhook.Attempt{{Status: 429, DurationMs: 25}}},
		{ID: "msg_skipped", State: webhook.StateSkipped},
	} {
		d.Subscription, d.EventType, d.CreatedAt = id, model.EventConfigChanged, now.Add(-time.Duration(i+1)*time.Minute)
		for j := range d.Attempts {
			d.Attempts[j].At = d.CreatedAt.Add(time.Duration(j) * 5 * time.Second)
		}
		if err := e.cat.RecordDelivery(context.Background(), tenantA, d); err != nil {
			t.Fatal(err)
		}
	}
	f.keep("deliveries", e.do("GET", prefix+"/webhooks/"+id+"/deliveries", viewer, ""), http.StatusOK)
	e.h.cfg.Webhooks = &fakeRedeliverer{d: webhook.Delivery{ID: "msg_failed", Subscription: id, EventType: model.EventConfigChanged, State: webhook.StateDelivered,
		CreatedAt: now.Add(-2 * time.Minute), Attempts: []webhook.Attempt{
			{At: now.Add(-2 * time.Minute), Error: "dial tcp 203.0.113.9:443: connect: connection refused", DurationMs: 3},
			{At: now.Add(-2*time.Minute + 5*time.Second), Status: 500, DurationMs: 88},
			{At: now, Status: 200, DurationMs: 15}}}}
	f.keep("redelivered", e.do("POST", prefix+"/webhooks/"+id+"/deliveries/msg_failed/retry", admin, ""), http.StatusOK)
	e.h.cfg.Webhooks = &fakeRedeliverer{err: webhook.ErrBusy}
	f.keep("redeliverBusy", e.do("POST", prefix+"/webhooks/"+id+"/deliveries/msg_pending/retry", admin, ""), http.StatusConflict)

	// Inbound webhook endpoints name tenant secrets.
	f.keep("secretCreated", e.do("PUT", prefix+"/secrets/payments-sender", admin, `{"value":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}`), http.StatusCreated)
	f.keep("secrets", e.do("GET", prefix+"/secrets", viewer, ""), http.StatusOK)
	eps := prefix + "/apis/orders/versions/v1/endpoints"
	f.keep("webhookAuthInvalid", e.do("POST", eps, dev,
		`{"method":"POST","path":"/hooks","target":{"type":"integration","integration":"backend"},"policies":{"auth":{"type":"webhook","secrets":["payments-sender","payments-sender","x y"],"toleranceSeconds":7200}}}`), http.StatusBadRequest)
	f.keep("webhookAuthMissingSecret", e.do("POST", eps, dev,
		`{"method":"POST","path":"/hooks","target":{"type":"integration","integration":"backend"},"policies":{"auth":{"type":"webhook","secrets":["stripe-old"]}}}`), http.StatusBadRequest)
	f.keep("webhookAuthDryRun", e.do("POST", prefix+"/validate/endpoint", dev,
		`{"method":"POST","path":"/hooks","target":{"type":"integration","integration":"backend"},"policies":{"auth":{"type":"webhook","secrets":[],"toleranceSeconds":-1}}}`), http.StatusOK)
	ep := f.keep("webhookAuthCreated", e.do("POST", eps, dev,
		`{"method":"POST","path":"/hooks","target":{"type":"integration","integration":"backend"},"policies":{"auth":{"type":"webhook","secrets":["payments-sender"],"toleranceSeconds":600}}}`), http.StatusCreated)

	// Update, rotation and test send (routes_webhook_manage.go).
	f.keep("webhookPatched", e.do("PATCH", prefix+"/webhooks/"+id, admin, `{"description":"Ops channel (paused)","disabled":true}`), http.StatusOK)
	f.keep("webhookPatchStale", e.serve(req{method: "PATCH", path: prefix + "/webhooks/" + id, token: admin, body: `{"disabled":false}`,
		header: map[string]string{"Content-Type": "application/json", "If-Match": `"1"`}}), http.StatusPreconditionFailed)
	f.keep("webhookPatchInvalid", e.do("PATCH", prefix+"/webhooks/"+id, admin, `{"url":"ftp://hooks.example.com/x","events":[]}`), http.StatusBadRequest)
	rotated := f.keep("webhookRotated", e.do("POST", prefix+"/webhooks/"+id+"/rotate-secret", admin, `{"graceSeconds":86400}`), http.StatusOK)
	newSecret, _ := rotated["secret"].(string)
	f.keep("webhookRotateInvalid", e.do("POST", prefix+"/webhooks/"+id+"/rotate-secret", admin, `{"graceSeconds":-5}`), http.StatusBadRequest)
	f.keep("webhookRotateForbidden", e.do("POST", prefix+"/webhooks/"+id+"/rotate-secret", dev, ""), http.StatusForbidden)
	e.h.cfg.WebhookTests = fixedTester{webhook.TestResult{
		Delivery: webhook.Delivery{ID: "msg_test_ok", Subscription: id, EventType: model.EventWebhookTest, State: webhook.StateDelivered, CreatedAt: now,
			Attempts: []webhook.Attempt{{At: now, Status: 200, DurationMs: 37}}},
		Response: &webhook.TestResponse{Status: 200, DurationMs: 37, Body: `{"ok":true}`}}}
	f.keep("webhookTested", e.do("POST", prefix+"/webhooks/"+id+"/test", dev, ""), http.StatusOK)
	e.h.cfg.WebhookTests = fixedTester{webhook.TestResult{
		Delivery: webhook.Delivery{ID: "msg_test_refused", Subscription: id, EventType: model.EventWebhookTest, State: webhook.StateFailed, CreatedAt: now,
			Attempts: []webhook.Attempt{{At: now, Status: 401, DurationMs: 12}}},
		Response: &webhook.TestResponse{Status: 401, DurationMs: 12, Body: `{"error":"invalid signature: [redacted] is not ours"}`}}}
	f.keep("webhookTestRefused", e.do("POST", prefix+"/webhooks/"+id+"/test", dev, ""), http.StatusOK)
	e.h.cfg.WebhookTests = fixedTester{webhook.TestResult{
		Delivery: webhook.Delivery{ID: "msg_test_noanswer", Subscription: id, EventType: model.EventWebhookTest, State: webhook.StateFailed, CreatedAt: now,
			Attempts: []webhook.Attempt{{At: now, Error: "no answer: dial tcp 203.0.113.9:443: i/o timeout", DurationMs: 10000}}}}}
	f.keep("webhookTestNoAnswer", e.do("POST", prefix+"/webhooks/"+id+"/test", dev, ""), http.StatusOK)
	f.keep("webhookTestForbidden", e.do("POST", prefix+"/webhooks/"+id+"/test", viewer, ""), http.StatusForbidden)

	f.keep("webhookDeleted", e.do("DELETE", prefix+"/webhooks/"+id, admin, ""), http.StatusNoContent)
	// The deliveries ran on the real clock (the log expires on it): their
	// times move to the same offsets from fixtureStart.
	replace := []string{id, "wh_fixture", ep["id"].(string), "ep_fixture", secret, webhook.SecretPrefix + "Zml4dHVyZS1zZWNyZXQtZml4dHVyZS1zZWNyZXQtMzI=",
		newSecret, webhook.SecretPrefix + "cm90YXRlZC1zZWNyZXQtZml4dHVyZS1yb3RhdGVkLTMy"}
	for s := -5 * time.Minute; s <= 0; s += time.Second {
		replace = append(replace, `"`+now.Add(s).Format(time.RFC3339Nano)+`"`, `"`+fixtureStart.Add(s).Format(time.RFC3339Nano)+`"`)
	}
	f.check(consoleWebhookFixtures, replace...)
}

// fixedTester answers every test send with res.
type fixedTester struct{ res webhook.TestResult }

func (f fixedTester) Test(context.Context, string, string) (webhook.TestResult, error) {
	return f.res, nil
}

// TestConsoleModuleFixtures: a wasm transform with test cases, a module
// refused, a module uploaded with one case failing, the modules list and
// a sweep (dry run and real: the unused module is younger than the grace
// period, so it is kept).
func TestConsoleModuleFixtures(t *testing.T) {
	e := newEnv(t)
	admin, dev, viewer := e.token(tenantA, identity.RoleAdmin), e.token(tenantA, identity.RoleDeveloper), e.token(tenantA, identity.RoleViewer)
	f := &fixtureAnswers{t: t, out: map[string]any{}}
	host, err := wasmhost.New(context.Background(), wasmhost.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Close(context.Background()) })
	e.cat.SetModuleRunner(host.RunEach) // the test cases run in the sandbox, as app wires it

	const cases = `"testCases":[{"name":"echoes the body","input":{"sku":"A-1","qty":2},"expect":{"sku":"A-1","qty":2}},` +
		`{"name":"adds a total","input":{"qty":2},"expect":{"qty":2,"total":20}},` +
		`{"name":"echoes CSV","inputText":"a,b\n1,2\n","expectText":"a,b\n1,2\n"}]`
	f.keep("testCasesInvalid", e.do("POST", prefix+"/transforms", dev,
		`{"slug":"rate-card","name":"Rate card","type":"wasm","testCases":[{"name":"","input":{"a":1},"expect":{"a":1},"expectError":"x"}]}`), http.StatusBadRequest)
	f.keep("wasmCreated", e.do("POST", prefix+"/transforms", dev, `{"slug":"rate-card","name":"Rate card","type":"wasm",`+cases+`}`), http.StatusCreated)
	mod := prefix + "/transforms/rate-card/module"
	f.keep("moduleRefused", e.serve(req{method: "PUT", path: mod, token: dev, body: "\x00asm\x01\x00\x00\x00",
		header: map[string]string{"Content-Type": "application/wasm"}}), http.StatusBadRequest)
	up := f.keep("moduleUploaded", e.serve(req{method: "PUT", path: mod, token: dev, body: string(echoWasm),
		header: map[string]string{"Content-Type": "application/wasm"}}), http.StatusOK)
	if tests, _ := up["tests"].(map[string]any); tests == nil || tests["passed"] != false {
		t.Fatalf("uploaded: %v", up)
	}
	f.keep("wasmSaved", e.do("PUT", prefix+"/transforms/rate-card", dev,
		`{"slug":"rate-card","name":"Rate card","type":"wasm","testCases":[{"name":"echoes the body","input":{"sku":"A-1"},"expect":{"sku":"A-1"}}]}`), http.StatusOK)
	// A second module, then its transform deleted: unused, but recent.
	f.keep("otherCreated", e.do("POST", prefix+"/transforms", dev, `{"slug":"old-card","name":"Old card","type":"wasm"}`), http.StatusCreated)
	other := append(slices.Clone(echoWasm), 0, 6, 4, 'n', 'o', 't', 'e', 1) // a custom section: other bytes, same behaviour
	wantStatus(t, e.serve(req{method: "PUT", path: prefix + "/transforms/old-card/module", token: dev, body: string(other),
		header: map[string]string{"Content-Type": "application/wasm"}}), http.StatusOK)
	wantStatus(t, e.do("DELETE", prefix+"/transforms/old-card", admin, ""), http.StatusNoContent)
	f.keep("modules", e.do("GET", prefix+"/transform-modules", viewer, ""), http.StatusOK)
	f.keep("sweepDryRun", e.do("POST", prefix+"/transform-modules:sweep", admin, `{"dryRun":true}`), http.StatusOK)
	f.keep("sweepInvalid", e.do("POST", prefix+"/transform-modules:sweep", admin, `{"graceSeconds":10}`), http.StatusBadRequest)
	f.keep("sweepForbidden", e.do("POST", prefix+"/transform-modules:sweep", dev, ""), http.StatusForbidden)
	f.check(consoleModuleFixtures)
}

// consoleOpenAPIFixtures holds the OpenAPI import answers the console's
// import panel is tested with (TestConsoleOpenAPIFixtures -update).
var consoleOpenAPIFixtures = filepath.Join("..", "..", "frontend", "src", "test", "fixtures", "openapi.json")

// Documents of the OpenAPI import fixtures, sent as the console sends them:
// the text as pasted, in a JSON string. fixtureOrdersYAML describes orders
// v1 (base path /orders): GET /items (a response schema), PUT /items/{id}
// (request and responses, with 3.0 constructs the import translates) and
// POST /refunds (no endpoint); DELETE /items/{id} has no operation.
const (
	fixtureOrdersYAML = `openapi: 3.0.3
info: {title: Orders, version: "1"}
paths:
  /orders/items:
    get:
      operationId: listItems
      responses:
        "200":
          description: the items
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Item"}}
  /orders/items/{itemId}:
    parameters:
      - {name: itemId, in: path, required: true, schema: {type: string}}
    put:
      operationId: saveItem
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Item"}
      responses:
        "200":
          description: saved
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Item"}
        "4XX":
          description: refused
          content:
            application/problem+json:
              schema: {type: object, properties: {title: {type: string}}}
  /orders/refunds:
    post:
      operationId: createRefund
      responses:
        "201": {description: created}
components:
  schemas:
    Item:
      type: object
      required: [sku]
      properties:
        sku: {type: string}
        note: {type: string, nullable: true}
        price: {type: number, minimum: 0, exclusiveMinimum: true}
`
	// fixtureInvalidJSON is JSON text whose component schema kin-openapi refuses.
	fixtureInvalidJSON = `{
  "openapi": "3.0.3",
  "info": {"title": "Orders", "version": "1"},
  "paths": {},
  "components": {
    "schemas": {
      "Item": {"type": "nope"}
    }
  }
}
`
	fixtureUnreadableYAML = "openapi: 3.1.0\npaths: [\n"
	fixtureSwagger2JSON   = `{"swagger": "2.0", "info": {"title": "Orders", "version": "1"}, "paths": {}}`
)

// TestConsoleOpenAPIFixtures: OpenAPI import answers for the console's
// import panel: documents refused with pointers into them (unreadable,
// Swagger 2.0, an invalid schema), a body over the limit, a viewer
// refused, a dry run's report (matched with notes, skipped, an endpoint no
// operation describes), the import, and the endpoints it changed.
func TestConsoleOpenAPIFixtures(t *testing.T) {
	e := newEnv(t)
	dev, viewer := e.token(tenantA, identity.RoleDeveloper), e.token(tenantA, identity.RoleViewer)
	f := &fixtureAnswers{t: t, out: map[string]any{}}
	put, err := e.addEndpoint(tenantA, "orders", "v1", "PUT", "/items/{id}")
	must(t, "endpoint", err)
	del, err := e.addEndpoint(tenantA, "orders", "v1", "DELETE", "/items/{id}")
	must(t, "endpoint", err)
	path := prefix + "/apis/orders/versions/v1/import-openapi"
	body := func(doc string, dry bool) string {
		b, err := json.Marshal(map[string]any{"document": doc, "dryRun": dry})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	f.keep("importUnreadable", e.do("POST", path, dev, body(fixtureUnreadableYAML, true)), http.StatusBadRequest)
	f.keep("importSwagger2", e.do("POST", path, dev, body(fixtureSwagger2JSON, true)), http.StatusBadRequest)
	f.keep("importInvalid", e.do("POST", path, dev, body(fixtureInvalidJSON, true)), http.StatusBadRequest)
	f.keep("importTooLarge", e.do("POST", path, dev, body(strings.Repeat("#", 1<<20), true)), http.StatusRequestEntityTooLarge)
	f.keep("importForbidden", e.do("POST", path, viewer, body(fixtureOrdersYAML, true)), http.StatusForbidden)
	dry := f.keep("importDryRun", e.do("POST", path, dev, body(fixtureOrdersYAML, true)), http.StatusOK)
	f.keep("imported", e.do("POST", path, dev, body(fixtureOrdersYAML, false)), http.StatusOK)
	eps := f.keep("endpoints", e.do("GET", prefix+"/apis/orders/versions/v1/endpoints", viewer, ""), http.StatusOK)

	// What the console relies on beyond the shapes: each part of the report
	// is there, and the import set the transforms the report named.
	rep := decodeJSON[importResponse](t, e.do("POST", path, dev, body(fixtureOrdersYAML, true)))
	if len(rep.Matched) != 2 || len(rep.Skipped) != 1 || len(rep.Unmatched) != 1 || rep.Unmatched[0].Method != "DELETE" || len(dry["matched"].([]any)) != 2 {
		t.Fatalf("dry run report = %+v", rep)
	}
	if b, _ := json.Marshal(eps); !strings.Contains(string(b), catalog.ImportSlug("orders", "v1", put.ID, "req")) {
		t.Fatalf("endpoints after the import lack the request transform: %s", b)
	}

	// Endpoint ids are random, and the list is in id order: sort it by path and method.
	items, _ := eps["items"].([]any)
	slices.SortFunc(items, func(a, b any) int {
		x, y := a.(map[string]any), b.(map[string]any)
		return strings.Compare(x["path"].(string)+" "+x["method"].(string), y["path"].(string)+" "+y["method"].(string))
	})
	f.out["documents"] = map[string]any{"orders": fixtureOrdersYAML, "invalid": fixtureInvalidJSON, "unreadable": fixtureUnreadableYAML, "swagger2": fixtureSwagger2JSON}
	f.check(consoleOpenAPIFixtures, e.epID, "ep-get-items", put.ID, "ep-put-item", del.ID, "ep-delete-item")
}
