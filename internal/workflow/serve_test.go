package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico/portico/internal/problem"
)

// recordingEngine is an Engine that records its calls and answers from
// fields.
type recordingEngine struct {
	input    json.RawMessage
	key      string
	out      json.RawMessage
	err      error
	executed bool
}

func (e *recordingEngine) Deploy(context.Context, Deployment) (string, error) { return "ref", nil }
func (e *recordingEngine) Execute(_ context.Context, _ string, in json.RawMessage) (json.RawMessage, error) {
	e.input, e.executed = in, true
	return e.out, e.err
}
func (e *recordingEngine) Start(_ context.Context, _ string, key string, in json.RawMessage) (string, error) {
	e.input, e.key = in, key
	return "exec-1", e.err
}
func (e *recordingEngine) Describe(context.Context, string) (*Execution, error) { return nil, nil }

func TestServe(t *testing.T) {
	wf := &Workflow{ErrorStatus: map[string]int{"OutOfStock": 409}}
	tests := []struct {
		name       string
		kind       Kind
		body       string
		engine     recordingEngine
		wantStatus int
		wantBody   string
		wantInput  string
	}{
		{"express ok", KindExpress, `{"sku":"a"}`, recordingEngine{out: json.RawMessage(`{"ok":true}`)}, 200, `{"ok":true}`,
			`{"body":{"sku":"a"},"params":{"id":"42"},"query":{"dry":"1"}}`},
		{"empty body is null", KindExpress, ``, recordingEngine{out: json.RawMessage(`1`)}, 200, `1`,
			`{"body":null,"params":{"id":"42"},"query":{"dry":"1"}}`},
		{"failed execution is never 200", KindExpress, `{}`, recordingEngine{err: &Error{Name: "OutOfStock", Cause: "secret"}}, 409, "OutOfStock", ""},
		{"unmapped failure", KindExpress, `{}`, recordingEngine{err: &Error{Name: "Boom"}}, 502, "Boom", ""},
		{"not deployed", KindExpress, `{}`, recordingEngine{err: ErrNotDeployed}, 503, "workflow-unavailable", ""},
		{"engine down", KindExpress, `{}`, recordingEngine{err: errors.New("dial tcp")}, 502, "workflow-engine", ""},
		{"not json", KindExpress, `nope`, recordingEngine{}, 400, "JSON body", ""},
		{"too large", KindExpress, `"` + strings.Repeat("a", MaxInputBytes) + `"`, recordingEngine{}, 413, "256 KiB", ""},
		{"standard", KindStandard, `{}`, recordingEngine{}, 202, `"executionId":"exec-1"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/t/acme/v1/orders/42?dry=1&dry=2", strings.NewReader(tt.body))
			r.Header.Set("Idempotency-Key", "k1")
			w := httptest.NewRecorder()
			eng := tt.engine
			wf := *wf
			wf.Kind = tt.kind
			err := Serve(w, r, Invocation{Engine: &eng, Ref: "ref", Workflow: &wf, Params: map[string]string{"id": "42"}})
			status, body := w.Code, w.Body.String()
			if err != nil {
				p := problem.From(err)
				status, body = p.Status, string(p.JSON())
				if strings.Contains(body, "secret") {
					t.Errorf("problem leaks the cause: %s", body)
				}
			}
			if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Errorf("got %d %s, want %d containing %q", status, body, tt.wantStatus, tt.wantBody)
			}
			if tt.wantInput != "" && string(eng.input) != tt.wantInput {
				t.Errorf("input = %s, want %s", eng.input, tt.wantInput)
			}
			if tt.kind == KindStandard && eng.key != "k1" {
				t.Errorf("idempotency key = %q", eng.key)
			}
		})
	}
}

// TestServeLocalSaga is the local path end to end below the gateway: an
// HTTP request through Serve, the Local engine and the TaskHandler.
func TestServeLocalSaga(t *testing.T) {
	w := loadWorkflow(t, "saga")
	m, err := Compile(w, CompileOptions{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	steps := &fakeSteps{}
	ex, _ := NewExecutor(ExecutorConfig{Tasks: &TaskHandler{Steps: steps}, Clock: newFakeClock()})
	eng := NewLocal(ex)
	ref, _ := eng.Deploy(context.Background(), Deployment{Tenant: "acme", Workflow: w.Slug, Definition: m.JSON()})
	w.Kind = KindExpress
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(`{"payment":{"card":"x"}}`))
	if err := Serve(rec, req, Invocation{Engine: eng, Ref: ref, Workflow: w}); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"notify":{"available":true,"from":"mailer"}`) {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
}
