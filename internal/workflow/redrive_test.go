package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// failedRecord runs def on the executor with scripted tasks and returns the
// record of the failed standard execution, ended at clock's time.
func failedRecord(t *testing.T, def json.RawMessage, input string, tasks map[string][]outcome) (*Record, *Machine) {
	t.Helper()
	m, err := ParseMachine(def)
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	ex, _ := NewExecutor(ExecutorConfig{Tasks: newScripted(clock, tasks), Clock: clock, Jitter: func() float64 { return 0.5 }})
	var (
		mu     sync.Mutex
		events []Event
	)
	_, err = ex.RunObserved(context.Background(), m, json.RawMessage(input), func(ev Event) {
		mu.Lock() // parallel branches emit concurrently
		defer mu.Unlock()
		events = append(events, ev)
	})
	if err == nil {
		t.Fatal("the execution succeeded; want a failure")
	}
	rec := &Record{ID: NewRecordID(clock.Now()), Kind: KindStandard, ExecutionID: "local:x:1", StartedAt: clock.Now()}
	Finish(rec, clock.Now(), err)
	rec.History, rec.HistoryTruncated = BoundHistory(events)
	return rec, m
}

func TestPlanRedrive(t *testing.T) {
	linear, saga, parallel := compiled(t, "linear"), compiled(t, "saga"), compiled(t, "parallel")
	sagaIn := `{"body":{"payment":{"card":"4242"}},"params":{},"query":{}}`
	failStep := mustCompile(t, `{"slug":"f","kind":"standard","steps":[{"name":"a","type":"call","call":{"integration":"i"},"next":"no"},
		{"name":"no","type":"fail","fail":{"error":"Rejected"}}]}`)
	now := newFakeClock().Now()
	tests := []struct {
		name      string
		def       json.RawMessage
		input     string
		tasks     map[string][]outcome
		edit      func(*Record)
		wantState string
		wantErr   string // a RedriveError reason
	}{
		{name: "failed call", def: linear, input: `{"body":{"id":1}}`,
			tasks: map[string][]outcome{"fetch": ok(`{"n":1}`), "reshape": fail("Portico.TransformFailed")}, wantState: "reshape"},
		{name: "first step failed", def: linear, input: `{"body":{"id":1}}`,
			tasks: map[string][]outcome{"fetch": fail("Portico.UpstreamClientError")}, wantState: "fetch"},
		{name: "saga step before any compensation ran", def: saga, input: sagaIn,
			tasks: map[string][]outcome{"reserve": fail("Boom")}, wantState: "reserve"},
		{name: "ended 14 days ago", def: linear, input: `{}`, tasks: map[string][]outcome{"fetch": fail("E")},
			edit: func(r *Record) { r.StoppedAt = ptr(now.Add(-RedriveWindow)) }, wantState: "fetch"},
		{name: "timed out", def: linear, input: `{}`, tasks: map[string][]outcome{"fetch": fail("E")},
			edit: func(r *Record) { r.Status = StatusTimedOut }, wantState: "fetch"},

		{name: "compensation ran", def: saga, input: sagaIn,
			tasks: map[string][]outcome{"reserve": ok(`{"available":true}`), "ship": fail("Boom")}, wantErr: RedriveCompensated},
		{name: "compensation failed", def: saga, input: sagaIn,
			tasks:   map[string][]outcome{"reserve": ok(`{"available":true}`), "ship": fail("Boom"), "Portico.Undo.charge": fail("Down")},
			wantErr: RedriveCompensated},
		{name: "express", def: linear, input: `{}`, tasks: map[string][]outcome{"fetch": fail("E")},
			edit: func(r *Record) { r.Kind = KindExpress }, wantErr: RedriveExpress},
		{name: "running", def: linear, input: `{}`, tasks: map[string][]outcome{"fetch": fail("E")},
			edit: func(r *Record) { r.Status, r.StoppedAt = StatusRunning, nil }, wantErr: RedriveRunning},
		{name: "succeeded", def: linear, input: `{}`, tasks: map[string][]outcome{"fetch": fail("E")},
			edit: func(r *Record) { r.Status = StatusSucceeded }, wantErr: RedriveSucceeded},
		{name: "older than 14 days", def: linear, input: `{}`, tasks: map[string][]outcome{"fetch": fail("E")},
			edit: func(r *Record) { r.StoppedAt = ptr(now.Add(-RedriveWindow - time.Second)) }, wantErr: RedriveExpired},
		{name: "truncated history", def: linear, input: `{}`, tasks: map[string][]outcome{"fetch": fail("E")},
			edit: func(r *Record) { r.HistoryTruncated = true }, wantErr: RedriveTruncated},
		{name: "input of the failed step dropped", def: linear, input: `{}`, tasks: map[string][]outcome{"fetch": fail("E")},
			edit: func(r *Record) {
				for i := range r.History {
					r.History[i].Input = nil
				}
			}, wantErr: RedriveTruncated},
		{name: "failed in a parallel step", def: parallel, input: `{"body":{}}`,
			tasks: map[string][]outcome{"quoteA": ok(`{"price":1}`), "quoteB": fail("CarrierDown")}, wantErr: RedriveParallel},
		{name: "failed at a fail step", def: failStep, input: `{"body":{}}`, wantErr: RedriveNotACall},
		{name: "failed at a choice's default after a compensated step", def: parallel, input: `{"body":{"express":true}}`,
			tasks: map[string][]outcome{"quoteA": ok(`{"price":10}`), "quoteB": ok(`{"price":12}`)}, wantErr: RedriveCompensated},
		{name: "published again since it started", def: linear, input: `{}`, tasks: map[string][]outcome{"fetch": fail("E")},
			edit: func(r *Record) { r.StartedAt = r.StartedAt.Add(-2 * time.Minute) }, wantErr: RedriveRepublished},
		{name: "no history", def: linear, input: `{}`, tasks: map[string][]outcome{"fetch": fail("E")},
			edit: func(r *Record) { r.History = nil }, wantErr: RedriveNotACall},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, m := failedRecord(t, tt.def, tt.input, tt.tasks)
			published := rec.StartedAt.Add(-time.Minute)
			if tt.edit != nil {
				tt.edit(rec)
			}
			plan, err := PlanRedrive(rec, m, published, now)
			if tt.wantErr != "" {
				var re *RedriveError
				if !errors.As(err, &re) || re.Reason != tt.wantErr || !errors.Is(err, ErrNotRedrivable) || re.Detail == "" {
					t.Fatalf("err = %v, want reason %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if plan.State != tt.wantState || plan.ExecutionID != rec.ExecutionID || len(plan.Input) == 0 {
				t.Fatalf("plan = %+v", plan)
			}
		})
	}
}

func mustCompile(t *testing.T, model string) json.RawMessage {
	t.Helper()
	var w Workflow
	if err := json.Unmarshal([]byte(model), &w); err != nil {
		t.Fatal(err)
	}
	m, err := Compile(&w, CompileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m.JSON()
}

// TestCompiledFailureIsTheStep: without compensation the compiler adds no
// Catch, so an exhausted step fails the execution in the step's own
// state, which is where Step Functions' RedriveExecution restarts.
func TestCompiledFailureIsTheStep(t *testing.T) {
	for _, name := range []string{"linear", "saga"} {
		w := loadWorkflow(t, name)
		m := compileFixture(t, name)
		compensated := false
		for _, s := range w.Steps {
			st := m.States[s.Name]
			if !compensated && len(st.Catch) > 0 {
				t.Errorf("%s: step %s before any compensated step has a Catch", name, s.Name)
			}
			compensated = compensated || s.Compensate != ""
		}
	}
}

// upstream is a real HTTP upstream counting calls per path, failing a path
// with 503 until fixed, and holding calls while held.
type upstream struct {
	mu      sync.Mutex
	calls   map[string]int
	failing map[string]bool
	hold    chan struct{}
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.calls[r.URL.Path]++
	failing, hold := u.failing[r.URL.Path], u.hold
	u.mu.Unlock()
	if hold != nil {
		<-hold
	}
	if failing {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintf(w, `{"path":%q}`, r.URL.Path)
}

func (u *upstream) count(path string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls[path]
}

func (u *upstream) set(f func(u *upstream)) {
	u.mu.Lock()
	defer u.mu.Unlock()
	f(u)
}

// httpTasks runs call steps against base: a POST to the step's path; a
// 5xx is Portico.UpstreamServerError.
func httpTasks(base string) TaskRunner {
	return TaskFunc(func(ctx context.Context, t Task) (json.RawMessage, error) {
		var in struct {
			Config CallConfig `json:"config"`
		}
		if err := json.Unmarshal(t.Input, &in); err != nil {
			return nil, err
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+in.Config.Path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, &Error{Name: "Portico.UpstreamUnavailable", Cause: err.Error()}
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 500 {
			return nil, &Error{Name: "Portico.UpstreamServerError", Cause: resp.Status}
		}
		var out json.RawMessage
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return nil, err
		}
		return out, nil
	})
}

// threeSteps is a standard workflow without compensation: reserve, charge
// (retried twice), notify.
const threeSteps = `{"slug":"order","kind":"standard","steps":[
	{"name":"reserve","type":"call","call":{"integration":"shop","path":"/reserve"},"next":"charge"},
	{"name":"charge","type":"call","call":{"integration":"shop","path":"/charge"},"next":"notify",
	 "retry":[{"errors":["Portico.UpstreamServerError"],"maxAttempts":2,"intervalSeconds":1}]},
	{"name":"notify","type":"call","call":{"integration":"shop","path":"/notify"}}]}`

func TestLocalRedrive(t *testing.T) {
	ctx := context.Background()
	up := &upstream{calls: map[string]int{}, failing: map[string]bool{"/charge": true}}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	clock := newFakeClock()
	ex, _ := NewExecutor(ExecutorConfig{Tasks: httpTasks(srv.URL), Clock: clock})
	eng := NewLocal(ex)
	def := mustCompile(t, threeSteps)
	ref, err := eng.Deploy(ctx, Deployment{Tenant: "acme", Workflow: "order", Kind: KindStandard, Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	recorder := &memRecorder{}
	rec := &Recording{Engine: eng, Recorder: recorder, Tenant: "acme", Workflow: "order", Source: SourceTest, Now: clock.Now}
	id, err := rec.Start(ctx, ref, "", json.RawMessage(`{"body":{"sku":"a1"},"params":{},"query":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	if x, err := eng.Wait(ctx, id); err != nil || x.Status != StatusFailed || x.Error.Name != "Portico.UpstreamServerError" {
		t.Fatalf("first run: %+v, %v", x, err)
	}
	r := recorder.recs[0]
	if _, err := Refresh(ctx, eng, &r, clock.Now()); err != nil || r.Status != StatusFailed {
		t.Fatalf("record %+v: %v", r, err)
	}
	if got := [3]int{up.count("/reserve"), up.count("/charge"), up.count("/notify")}; got != [3]int{1, 3, 0} {
		t.Fatalf("calls before the redrive = %v", got)
	}

	// Fixed upstream: the redrive resumes at charge, reserve is not called again.
	up.set(func(u *upstream) { u.failing = nil })
	m, _ := ParseMachine(def)
	plan, err := PlanRedrive(&r, m, time.Time{}, clock.Now())
	if err != nil || plan.State != "charge" {
		t.Fatalf("plan %+v: %v", plan, err)
	}
	if err := eng.Redrive(ctx, *plan); err != nil {
		t.Fatal(err)
	}
	x, err := eng.Wait(ctx, id)
	if err != nil || x.Status != StatusSucceeded || x.ID != id {
		t.Fatalf("redriven: %+v, %v", x, err)
	}
	if got := [3]int{up.count("/reserve"), up.count("/charge"), up.count("/notify")}; got != [3]int{1, 4, 1} {
		t.Errorf("calls after the redrive = %v, want reserve once, charge once more, notify once", got)
	}
	var out struct {
		Steps map[string]json.RawMessage `json:"steps"`
	}
	if err := json.Unmarshal(x.Output, &out); err != nil || string(out.Steps["reserve"]) != `{"path":"/reserve"}` || out.Steps["notify"] == nil {
		t.Errorf("output %s: the completed step's result must be kept", x.Output)
	}
	// The history: the first run, its failure, ExecutionRedriven, the rest.
	var types []string
	for _, ev := range x.History {
		if ev.Type == EventExecutionFailed || ev.Type == EventExecutionRedriven || ev.Type == EventExecutionSucceed || ev.Type == EventStateEntered {
			types = append(types, string(ev.Type)+":"+ev.State)
		}
	}
	want := "StateEntered:Portico.Start StateEntered:reserve StateEntered:charge ExecutionFailed: ExecutionRedriven: StateEntered:charge StateEntered:notify StateEntered:Portico.Done ExecutionSucceeded:"
	if strings.Join(types, " ") != want {
		t.Errorf("history:\n got  %s\n want %s", strings.Join(types, " "), want)
	}
	r.MarkRedriven(clock.Now())
	if changed, err := Refresh(ctx, eng, &r, clock.Now()); err != nil || !changed || r.Status != StatusSucceeded || r.RedriveCount != 1 || r.RedrivenAt == nil {
		t.Errorf("record after the redrive: %+v, %v", r, err)
	}
	// Succeeded now: nothing to redrive.
	if _, err := PlanRedrive(&r, m, time.Time{}, clock.Now()); !errors.Is(err, ErrNotRedrivable) {
		t.Errorf("plan after success: %v", err)
	}
}

// TestLocalRedriveAfterRestart: an engine that does not hold the execution
// (executions live in memory) resumes it from the recorded history.
func TestLocalRedriveAfterRestart(t *testing.T) {
	ctx := context.Background()
	def := mustCompile(t, threeSteps)
	m, _ := ParseMachine(def)
	rec, _ := failedRecord(t, def, `{"body":{}}`, map[string][]outcome{"charge": fail("Portico.UpstreamServerError")})

	clock := newFakeClock()
	tasks := newScripted(clock, nil)
	ex, _ := NewExecutor(ExecutorConfig{Tasks: tasks, Clock: clock})
	eng := NewLocal(ex)
	ref, _ := eng.Deploy(ctx, Deployment{Tenant: "acme", Workflow: "order", Kind: KindStandard, Definition: def})
	rec.ExecutionID = ref + ":0123456789abcdef01234567"
	plan, err := PlanRedrive(rec, m, time.Time{}, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Redrive(ctx, *plan); err != nil {
		t.Fatal(err)
	}
	x, err := eng.Wait(ctx, rec.ExecutionID)
	if err != nil || x.Status != StatusSucceeded {
		t.Fatalf("%+v, %v", x, err)
	}
	if strings.Join(tasks.order, ",") != "charge,notify" {
		t.Errorf("tasks run = %v", tasks.order)
	}
	if len(x.History) <= len(rec.History) || x.History[len(rec.History)].Type != EventExecutionRedriven {
		t.Errorf("history does not continue the recorded one: %+v", x.History)
	}
}

func TestLocalRedriveRefused(t *testing.T) {
	ctx := context.Background()
	def := mustCompile(t, threeSteps)
	up := &upstream{calls: map[string]int{}, failing: map[string]bool{"/reserve": true}}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	clock := newFakeClock()
	ex, _ := NewExecutor(ExecutorConfig{Tasks: httpTasks(srv.URL), Clock: clock})
	eng := NewLocal(ex)
	ref, _ := eng.Deploy(ctx, Deployment{Tenant: "acme", Workflow: "order", Kind: KindStandard, Definition: def})
	id, _ := eng.Start(ctx, ref, "", json.RawMessage(`{"body":{}}`))
	x, _ := eng.Wait(ctx, id)
	good := Redrive{ExecutionID: id, State: "reserve"}
	for _, ev := range x.History {
		if ev.Type == EventStateEntered && ev.State == "reserve" {
			good.Input = ev.Input
		}
	}

	// While a redrive runs (the upstream holds the call), another is refused.
	hold := make(chan struct{})
	up.set(func(u *upstream) { u.failing, u.hold = nil, hold })
	if err := eng.Redrive(ctx, good); err != nil {
		t.Fatal(err)
	}
	var re *RedriveError
	if err := eng.Redrive(ctx, good); !errors.As(err, &re) || re.Reason != RedriveRunning {
		t.Errorf("second redrive: %v", err)
	}
	close(hold)
	if x, err := eng.Wait(ctx, id); err != nil || x.Status != StatusSucceeded {
		t.Fatalf("%+v, %v", x, err)
	}

	tests := []struct {
		name   string
		r      Redrive
		target error
	}{
		{"not a local execution", Redrive{ExecutionID: "arn:aws:states:x", State: "reserve", Input: good.Input}, ErrExecutionNotFound},
		{"not deployed", Redrive{ExecutionID: "local:nope:1", State: "reserve", Input: good.Input}, ErrNotDeployed},
		{"no input", Redrive{ExecutionID: ref + ":2", State: "reserve"}, ErrNotRedrivable},
		{"not a task", Redrive{ExecutionID: ref + ":2", State: "Portico.Done", Input: good.Input}, ErrNotRedrivable},
		{"unknown state", Redrive{ExecutionID: ref + ":2", State: "nope", Input: good.Input}, ErrNotRedrivable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := eng.Redrive(ctx, tt.r); !errors.Is(err, tt.target) {
				t.Errorf("err = %v, want %v", err, tt.target)
			}
		})
	}
}

// TestResumeEquivalence: a redrive is the definition run from the failed
// state with that state's recorded input (the cases "redrive/..." of the
// differential corpus run that on aws-local-stepfunctions).
func TestResumeEquivalence(t *testing.T) {
	for _, c := range redriveCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			var m struct {
				StartAt string `json:"StartAt"`
			}
			_ = json.Unmarshal(c.Definition, &m)
			full, err := ParseMachine(c.Definition)
			if err != nil {
				t.Fatal(err)
			}
			full.StartAt = StateStart // the original definition
			clock := newFakeClock()
			tasks := newScripted(clock, c.Tasks)
			ex, _ := NewExecutor(ExecutorConfig{Tasks: tasks, Clock: clock, Jitter: func() float64 { return 0.5 }})
			out, err := ex.Resume(context.Background(), full, m.StartAt, c.Input, nil)
			want := runLocal(t, c)
			var e *Error
			gotErr := ""
			if errors.As(err, &e) {
				gotErr = e.Name
			}
			if gotErr != want.Error || !jsonEqual(out, want.Output) || strings.Join(tasks.order, ",") != strings.Join(want.order, ",") {
				t.Errorf("resume: %s %s %v; run from the state: %s %s %v", gotErr, out, tasks.order, want.Error, want.Output, want.order)
			}
		})
	}
}
