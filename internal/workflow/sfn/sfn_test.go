package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/portico/portico/internal/workflow"
)

// No Step Functions emulator exists on this machine (docs/workflows.md), so
// this fake of the awsJson1_0 protocol checks the requests the SDK sends
// (operation, ARNs, names, input) and answers with documented responses.
type fakeSFN struct {
	t        *testing.T
	mu       sync.Mutex
	requests []request
	// reply answers one operation: status and JSON body.
	reply func(op string, body map[string]any) (int, string)
}

type request struct {
	Op   string
	Host string
	Body map[string]any
}

func (f *fakeSFN) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "AWSStepFunctions.")
	if !ok || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
		f.t.Errorf("unexpected request %s %s target %q content type %q", r.Method, r.URL, target, r.Header.Get("Content-Type"))
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		f.t.Errorf("%s: request is not SigV4 signed", op)
	}
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		f.t.Errorf("%s: body is not JSON: %s", op, raw)
	}
	f.mu.Lock()
	f.requests = append(f.requests, request{Op: op, Host: r.Host, Body: body})
	f.mu.Unlock()
	status, resp := f.reply(op, body)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	io.WriteString(w, resp)
}

const (
	role  = "arn:aws:iam::123456789012:role/portico-workflows"
	smArn = "arn:aws:states:eu-west-1:123456789012:stateMachine:portico-dev-wf-acme_orders"
)

func newEngine(t *testing.T, reply func(op string, body map[string]any) (int, string)) (*Engine, *fakeSFN) {
	t.Helper()
	fake := &fakeSFN{t: t, reply: reply}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client := awssfn.New(awssfn.Options{
		Region:           "eu-west-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      aws.NewCredentialsCache(staticCreds{}),
		RetryMaxAttempts: 1,
	})
	eng, err := New(Config{Client: client, RoleARN: role, Region: "eu-west-1", DisableHostPrefix: true, NamePrefix: "portico-dev-wf-",
		LogGroupARN: "arn:aws:logs:eu-west-1:123456789012:log-group:wf:*"})
	if err != nil {
		t.Fatal(err)
	}
	return eng, fake
}

type staticCreds struct{}

func (staticCreds) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret", Source: "test"}, nil
}

func TestDeployCreates(t *testing.T) {
	eng, fake := newEngine(t, func(op string, body map[string]any) (int, string) {
		return 200, `{"stateMachineArn":"` + smArn + `","creationDate":1.7e9}`
	})
	def := `{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`
	arn, err := eng.Deploy(context.Background(), workflow.Deployment{Tenant: "acme", Workflow: "orders", Definition: []byte(def)})
	if err != nil || arn != smArn {
		t.Fatalf("arn %q err %v", arn, err)
	}
	r := fake.requests[0]
	if r.Op != "CreateStateMachine" || r.Body["name"] != "portico-dev-wf-acme_orders" || r.Body["type"] != "EXPRESS" ||
		r.Body["definition"] != def || r.Body["roleArn"] != role {
		t.Errorf("request = %+v", r)
	}
	if lc, _ := r.Body["loggingConfiguration"].(map[string]any); lc["level"] != "ERROR" {
		t.Errorf("logging = %v", r.Body["loggingConfiguration"])
	}
}

func TestDeployUpdatesExisting(t *testing.T) {
	kind := "STANDARD"
	eng, fake := newEngine(t, func(op string, body map[string]any) (int, string) {
		switch op {
		case "CreateStateMachine":
			return 400, `{"__type":"com.amazonaws.swf.service.v2.model#StateMachineAlreadyExists","message":"State Machine Already Exists"}`
		case "DescribeStateMachine":
			return 200, `{"stateMachineArn":"` + smArn + `","name":"portico-dev-wf-acme_orders","type":"` + kind + `","definition":"{}","roleArn":"` + role + `","creationDate":1.7e9}`
		case "UpdateStateMachine":
			return 200, `{"updateDate":1.7e9}`
		}
		return 400, `{"__type":"UnknownOperationException"}`
	})
	d := workflow.Deployment{Tenant: "acme", Workflow: "orders", Kind: workflow.KindStandard, Definition: []byte(`{}`)}
	arn, err := eng.Deploy(context.Background(), d)
	if err != nil || arn != smArn {
		t.Fatalf("arn %q err %v", arn, err)
	}
	var ops []string
	for _, r := range fake.requests {
		ops = append(ops, r.Op)
	}
	if strings.Join(ops, ",") != "CreateStateMachine,DescribeStateMachine,UpdateStateMachine" {
		t.Errorf("ops = %v", ops)
	}
	if u := fake.requests[2].Body; u["stateMachineArn"] != smArn || u["definition"] != "{}" {
		t.Errorf("update = %v", u)
	}
	kind = "EXPRESS"
	if _, err := eng.Deploy(context.Background(), d); !errors.Is(err, workflow.ErrKindChanged) {
		t.Errorf("kind change: err = %v", err)
	}
}

func TestExecuteUnwrapsFailedSyncExecution(t *testing.T) {
	var status, extra string
	eng, fake := newEngine(t, func(op string, body map[string]any) (int, string) {
		return 200, `{"executionArn":"arn:aws:states:eu-west-1:123456789012:express:portico-dev-wf-acme_orders:x:y","startDate":1.7e9,"stopDate":1.7e9,"status":"` + status + `"` + extra + `}`
	})
	ctx := context.Background()

	status, extra = "SUCCEEDED", `,"output":"{\"ok\":true}"`
	out, err := eng.Execute(ctx, smArn, json.RawMessage(`{"id":1}`))
	if err != nil || string(out) != `{"ok":true}` {
		t.Fatalf("out %s err %v", out, err)
	}
	r := fake.requests[0]
	if r.Op != "StartSyncExecution" || r.Body["stateMachineArn"] != smArn || r.Body["input"] != `{"id":1}` {
		t.Errorf("request = %+v", r)
	}

	status, extra = "FAILED", `,"error":"OutOfStock","cause":"an item is out of stock"`
	_, err = eng.Execute(ctx, smArn, nil)
	var we *workflow.Error
	if !errors.As(err, &we) || we.Name != "OutOfStock" || we.Cause != "an item is out of stock" {
		t.Fatalf("err = %v, want the execution's error", err)
	}
	if got := workflow.FailureStatus(&workflow.Workflow{ErrorStatus: map[string]int{"OutOfStock": 409}}, err); got != 409 {
		t.Errorf("status = %d", got)
	}

	status, extra = "TIMED_OUT", ""
	if _, err = eng.Execute(ctx, smArn, nil); !errors.As(err, &we) || we.Name != workflow.ErrorTimeout {
		t.Fatalf("err = %v, want States.Timeout", err)
	}
}

func TestExecuteNotDeployed(t *testing.T) {
	eng, _ := newEngine(t, func(string, map[string]any) (int, string) {
		return 400, `{"__type":"com.amazonaws.swf.service.v2.model#StateMachineDoesNotExist","message":"no"}`
	})
	if _, err := eng.Execute(context.Background(), smArn, nil); !errors.Is(err, workflow.ErrNotDeployed) {
		t.Fatalf("err = %v", err)
	}
}

func TestStartIdempotent(t *testing.T) {
	seen := map[string]string{}
	eng, fake := newEngine(t, func(op string, body map[string]any) (int, string) {
		name, _ := body["name"].(string)
		input, _ := body["input"].(string)
		if prev, ok := seen[name]; ok && prev != input {
			return 400, `{"__type":"com.amazonaws.swf.service.v2.model#ExecutionAlreadyExists","message":"Execution Already Exists"}`
		}
		seen[name] = input
		return 200, `{"executionArn":"arn:aws:states:eu-west-1:123456789012:execution:portico-dev-wf-acme_orders:` + name + `","startDate":1.7e9}`
	})
	ctx := context.Background()
	a, err := eng.Start(ctx, smArn, "key-1", json.RawMessage(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := eng.Start(ctx, smArn, "key-1", json.RawMessage(`{"n":2}`))
	if err != nil || a != b {
		t.Fatalf("same key: %q vs %q (err %v)", a, b, err)
	}
	want := "arn:aws:states:eu-west-1:123456789012:execution:portico-dev-wf-acme_orders:" + workflow.ExecutionName(smArn, "key-1")
	if a != want {
		t.Errorf("execution ARN %q, want %q", a, want)
	}
	if r := fake.requests[0]; r.Op != "StartExecution" || r.Body["name"] != workflow.ExecutionName(smArn, "key-1") || r.Body["stateMachineArn"] != smArn {
		t.Errorf("request = %+v", r)
	}
}

func TestDescribe(t *testing.T) {
	eng, _ := newEngine(t, func(op string, body map[string]any) (int, string) {
		return 200, `{"executionArn":"x","stateMachineArn":"` + smArn + `","status":"FAILED","startDate":1.7e9,"input":"{}","error":"Boom","cause":"c"}`
	})
	x, err := eng.Describe(context.Background(), "x")
	if err != nil || x.Status != workflow.StatusFailed || x.Error == nil || x.Error.Name != "Boom" {
		t.Fatalf("x = %+v err %v", x, err)
	}
}

func TestNewValidates(t *testing.T) {
	for _, cfg := range []Config{{}, {Client: &awssfn.Client{}}, {Client: &awssfn.Client{}, Region: "r", RoleARN: "role"}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}
