package transform

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/portico/portico/internal/problem"
)

func TestCompileReportsEveryInvalidField(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string // pointers
	}{
		{"no steps", `{"steps":[]}`, []string{"/steps"}},
		{"empty step", `{"steps":[{}]}`, []string{"/steps/0"}},
		{"two ops", `{"steps":[{"map":{"fields":[{"to":"/a","value":1}]},"status":{"set":200}}]}`, []string{"/steps/0"}},
		{"map field errors", `{"steps":[{"map":{"fields":[
			{"to":"a","from":"body.a"},
			{"to":"/b","from":"body.["},
			{"to":"/c"},
			{"to":"/d","from":"x","value":1},
			{"to":"/e","from":"x","type":"date"},
			{"to":"/f","template":"{{ body.x "},
			{"to":"/g","each":"body.items"},
			{"to":"/h","from":"x","fields":[{"to":"/i","from":"y"}]}
		]}}]}`, []string{
			"/steps/0/map/fields/0/to", "/steps/0/map/fields/1/from", "/steps/0/map/fields/2",
			"/steps/0/map/fields/3", "/steps/0/map/fields/4/type", "/steps/0/map/fields/5/template",
			"/steps/0/map/fields/6/fields", "/steps/0/map/fields/7/fields",
		}},
		{"nested each errors", `{"steps":[{"map":{"fields":[{"to":"/a","each":"body.x","fields":[{"to":"/b","from":"a.["}]}]}}]}`,
			[]string{"/steps/0/map/fields/0/fields/0/from"}},
		{"filter", `{"steps":[{"filter":{"keep":["x"],"drop":[""],"items":[{"at":"/a","where":""}]}}]}`,
			[]string{"/steps/0/filter/keep/0", "/steps/0/filter/drop/0", "/steps/0/filter/items/0/where"}},
		{"redact", `{"steps":[{"redact":{"patterns":["iban"],"regex":["(["]}}]}`,
			[]string{"/steps/0/redact/patterns/0", "/steps/0/redact/regex/0"}},
		{"headers", `{"steps":[{"headers":{"set":{"Bad Name":"x","Content-Length":"1","X-A":"{{"},"remove":["Host"]}}]}`,
			[]string{"/steps/0/headers/set/Bad Name", "/steps/0/headers/set/Content-Length", "/steps/0/headers/set/X-A", "/steps/0/headers/remove/0"}},
		{"status", `{"steps":[{"status":{"set":99,"map":{"abc":200,"404":700,"6xx":200}}}]}`,
			[]string{"/steps/0/status/set", "/steps/0/status/map/404", "/steps/0/status/map/6xx", "/steps/0/status/map/abc"}},
		{"schema", `{"steps":[{"validate":{"schema":{"type":"nope"}}},{"validate":{"schema":{"$ref":"file:///etc/passwd"}}}]}`,
			[]string{"/steps/0/validate/schema", "/steps/1/validate/schema"}},
		{"tests", `{"steps":[{"status":{"set":200}}],"tests":[{"input":{}},{"name":"x","expectError":{"step":3}}]}`,
			[]string{"/tests/0", "/tests/0/name", "/tests/1/expectError/step"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			_, err = Compile(d)
			var p *problem.Problem
			if !errors.As(err, &p) || p.Status != http.StatusBadRequest {
				t.Fatalf("Compile error = %v, want a 400 problem", err)
			}
			var got []string
			for _, e := range p.Errors {
				got = append(got, e.Pointer)
			}
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("pointers = %q, want %q (%v)", got, want, p.Errors)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field": `{"steps":[],"extra":1}`,
		"unknown op":    `{"steps":[{"jq":"."}]}`,
		"syntax":        `{"steps":`,
		"trailing":      `{"steps":[]} {}`,
		"wrong type":    `{"steps":{}}`,
		"too large":     `{"steps":[` + strings.Repeat(" ", MaxDocumentBytes) + `]}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(doc))
			var p *problem.Problem
			if !errors.As(err, &p) || p.Status != http.StatusBadRequest {
				t.Fatalf("err = %v, want a 400 problem", err)
			}
		})
	}
}

const ordersDoc = `{
  "steps": [
    {"validate": {"schema": {"type": "object", "required": ["id"]}}},
    {"map": {"fields": [{"to": "/orderId", "from": "body.id", "type": "string"}, {"to": "/by", "from": "claims.sub"}]}},
    {"headers": {"set": {"X-Order": "{{ body.orderId }}"}}}
  ],
  "tests": [
    {"name": "maps", "input": {"body": {"id": 7}, "claims": {"sub": "u1"}},
     "expect": {"body": {"by": "u1", "orderId": "7"}, "headers": {"x-order": "7"}}},
    {"name": "rejects", "input": {"body": {}}, "expectError": {"step": 0, "path": "/body"}},
    {"name": "wrong body", "input": {"body": {"id": 1}}, "expect": {"body": {"orderId": 1}}},
    {"name": "wrong step", "input": {"body": {}}, "expectError": {"step": 1}},
    {"name": "wrong status", "input": {"body": {"id": 1}}, "expect": {"status": 201}}
  ]
}`

func TestRunTests(t *testing.T) {
	tr := MustCompile(ordersDoc)
	rs := tr.RunTests(context.Background())
	want := map[string]bool{"maps": true, "rejects": true, "wrong body": false, "wrong step": false, "wrong status": false}
	if len(rs) != len(want) {
		t.Fatalf("got %d results", len(rs))
	}
	for _, r := range rs {
		if r.Pass != want[r.Name] {
			t.Errorf("%s: pass = %v, want %v (%s)", r.Name, r.Pass, want[r.Name], r.Detail)
		}
		if !r.Pass && r.Detail == "" {
			t.Errorf("%s: failure without detail", r.Name)
		}
	}
	if AllPassed(rs) {
		t.Error("AllPassed = true with failing cases")
	}
	// Running twice gives the same results: inputs are never consumed.
	if again := tr.RunTests(context.Background()); !slices.Equal(resultNames(again, true), resultNames(rs, true)) {
		t.Error("second run differs")
	}
}

func resultNames(rs []TestResult, pass bool) []string {
	var out []string
	for _, r := range rs {
		if r.Pass == pass {
			out = append(out, r.Name)
		}
	}
	return out
}

func TestStepErrorProblem(t *testing.T) {
	tr := MustCompile(`{"steps":[{"status":{"set":200}},{"map":{"fields":[{"to":"/n","from":"body.n","type":"number"}]}}]}`)
	err := tr.Apply(context.Background(), &Message{Body: map[string]any{"n": "abc"}})
	var se *StepError
	if !errors.As(err, &se) || se.Step != 1 || se.Rule != "/steps/1/map/fields/0" || se.Path != "/n" || !errors.Is(err, ErrType) {
		t.Fatalf("err = %#v", err)
	}
	req := se.Problem("orders-in", false)
	if req.Status != 400 || len(req.Errors) != 1 || req.Errors[0].Pointer != "/n" {
		t.Errorf("request problem = %+v", req)
	}
	resp := se.Problem("orders-out", true)
	if resp.Status != 502 || len(resp.Errors) != 0 || !strings.Contains(resp.Detail, `"orders-out"`) || strings.Contains(resp.Detail, "abc") {
		t.Errorf("response problem = %+v", resp)
	}
}

func TestMapDoesNotAliasInput(t *testing.T) {
	tr := MustCompile(`{"steps":[{"map":{"fields":[{"to":"/a","from":"body.x"},{"to":"/b","from":"body.x"}]}},{"filter":{"drop":["/a/secret"]}}]}`)
	in := map[string]any{"x": map[string]any{"secret": 1, "ok": 2}}
	m := &Message{Body: in}
	if err := tr.Apply(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(m.Body)
	if string(got) != `{"a":{"ok":2},"b":{"ok":2,"secret":1}}` {
		t.Errorf("body = %s", got)
	}
	if _, ok := in["x"].(map[string]any)["secret"]; !ok {
		t.Error("input changed")
	}
}

func TestApplyBatch(t *testing.T) {
	tr := MustCompile(`{"steps":[{"map":{"fields":[{"to":"/id","from":"body.id","type":"integer","required":true},{"to":"/t","from":"claims.tenant"}]}}]}`)
	var recs []json.RawMessage
	for i := range 200 {
		switch i % 50 {
		case 7:
			recs = append(recs, json.RawMessage(`{"no":"id"}`))
		case 9:
			recs = append(recs, json.RawMessage(`not json`))
		default:
			recs = append(recs, json.RawMessage(`{"id":`+itoa(i)+`}`))
		}
	}
	for _, par := range []int{1, 4} {
		out, errs, err := tr.ApplyBatch(context.Background(), recs, BatchOptions{Parallelism: par, Template: Message{Claims: map[string]any{"tenant": "acme"}}})
		if err != nil {
			t.Fatal(err)
		}
		var failed int
		for i := range recs {
			if errs[i] != nil {
				failed++
				var re *RecordError
				if !errors.As(errs[i], &re) || re.Index != i || out[i] != nil {
					t.Fatalf("record %d: %v", i, errs[i])
				}
				continue
			}
			if want := `{"id":` + itoa(i) + `,"t":"acme"}`; string(out[i]) != want {
				t.Fatalf("par %d record %d = %s, want %s", par, i, out[i], want)
			}
		}
		if failed != 8 {
			t.Errorf("par %d: %d failures, want 8", par, failed)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := tr.ApplyBatch(ctx, recs, BatchOptions{Parallelism: 2}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled batch err = %v", err)
	}
	if _, _, err := tr.ApplyBatch(context.Background(), make([]json.RawMessage, MaxBatch+1), BatchOptions{}); !errors.Is(err, ErrBatchTooLarge) {
		t.Errorf("oversize batch err = %v", err)
	}
}

func TestConcurrentApply(t *testing.T) {
	tr := MustCompile(ordersDoc)
	var fails atomic.Int32
	done := make(chan struct{})
	for range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 200 {
				m := &Message{Body: map[string]any{"id": 3.0}, Claims: map[string]any{"sub": "u"}}
				if err := tr.Apply(context.Background(), m); err != nil || m.Headers.Get("X-Order") != "3" {
					fails.Add(1)
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
	if fails.Load() != 0 {
		t.Errorf("%d concurrent failures", fails.Load())
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestSchemaRefusesExternalReferences(t *testing.T) {
	for _, ref := range []string{"file:///etc/passwd", "https://example.com/s.json", "other.json"} {
		if _, err := CompileSchema([]byte(`{"$ref":"` + ref + `"}`)); err == nil || !strings.Contains(err.Error(), "not allowed") {
			t.Errorf("%s: err = %v", ref, err)
		}
	}
	if _, err := CompileSchema([]byte(`{"$ref":"#/$defs/a","$defs":{"a":{"type":"string"}}}`)); err != nil {
		t.Errorf("local reference: %v", err)
	}
}

func TestValidateWhen(t *testing.T) {
	tr := MustCompile(`{"steps": [
		{"validate": {"when": "status == ` + "`200`" + `", "schema": {"type": "object", "required": ["id"]}}},
		{"validate": {"when": "status >= ` + "`400`" + `", "schema": {"type": "object", "required": ["error"]}}}]}`)
	tests := []struct {
		name    string
		status  int
		body    any
		wantErr int // failing step + 1; 0: passes
	}{
		{"200 with id", 200, map[string]any{"id": 1.0}, 0},
		{"200 without id", 200, map[string]any{}, 1},
		{"201 is not checked", 201, map[string]any{}, 0},
		{"404 without error", 404, map[string]any{"id": 1.0}, 2},
		{"404 with error", 404, map[string]any{"error": "x"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tr.Apply(t.Context(), &Message{Status: tt.status, Body: tt.body})
			var se *StepError
			switch {
			case tt.wantErr == 0 && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr > 0 && (!errors.As(err, &se) || se.Step != tt.wantErr-1 || !strings.HasSuffix(se.Rule, "/schema")):
				t.Fatalf("err = %v, want step %d to fail", err, tt.wantErr-1)
			}
		})
	}
	_, err := Compile(&Document{Steps: []Step{{Validate: &ValidateStep{When: "status ==", Schema: []byte(`{}`)}}}})
	var p *problem.Problem
	if !errors.As(err, &p) || len(p.Errors) != 1 || p.Errors[0].Pointer != "/steps/0/validate/when" {
		t.Fatalf("invalid when: %v", err)
	}
}
