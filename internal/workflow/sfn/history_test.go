package sfn

import (
	"context"
	"testing"

	"github.com/portico/portico/internal/workflow"
)

// The request shape of DescribeExecution + GetExecutionHistory against the
// fake (no Step Functions emulator exists here), with a documented
// GetExecutionHistory response.
func TestDescribeReadsHistoryOnceEnded(t *testing.T) {
	const exArn = "arn:aws:states:eu-west-1:123456789012:execution:portico-dev-wf-acme_orders:idem-1"
	status := "RUNNING"
	eng, fake := newEngine(t, func(op string, body map[string]any) (int, string) {
		switch op {
		case "DescribeExecution":
			if status == "RUNNING" {
				return 200, `{"executionArn":"` + exArn + `","stateMachineArn":"` + smArn + `","status":"RUNNING","startDate":1.7e9}`
			}
			return 200, `{"executionArn":"` + exArn + `","stateMachineArn":"` + smArn + `","status":"FAILED","startDate":1.7e9,"stopDate":1.7e9,"error":"Upstream.5xx","cause":"c"}`
		case "GetExecutionHistory":
			return 200, `{"events":[
				{"timestamp":1.7e9,"type":"ExecutionStarted","id":1,"executionStartedEventDetails":{"input":"{}","roleArn":"` + role + `"}},
				{"timestamp":1.7e9,"type":"TaskStateEntered","id":2,"previousEventId":1,"stateEnteredEventDetails":{"name":"charge","input":"{\"a\":1}"}},
				{"timestamp":1.7e9,"type":"TaskFailed","id":3,"previousEventId":2,"taskFailedEventDetails":{"resourceType":"lambda","resource":"invoke","error":"Upstream.5xx","cause":"c"}},
				{"timestamp":1.7e9,"type":"ExecutionFailed","id":4,"previousEventId":3,"executionFailedEventDetails":{"error":"Upstream.5xx","cause":"c"}}]}`
		}
		return 400, `{"__type":"UnknownOperationException"}`
	})
	ctx := context.Background()
	x, err := eng.Describe(ctx, exArn)
	if err != nil || x.Status != workflow.StatusRunning || x.History != nil {
		t.Fatalf("running: %+v %v", x, err)
	}
	if len(fake.requests) != 1 {
		t.Fatalf("a running execution's history is not read: %+v", fake.requests)
	}
	status = "FAILED"
	x, err = eng.Describe(ctx, exArn)
	if err != nil || x.Status != workflow.StatusFailed || x.StoppedAt == nil {
		t.Fatalf("failed: %+v %v", x, err)
	}
	r := fake.requests[2]
	if r.Op != "GetExecutionHistory" || r.Body["executionArn"] != exArn || r.Body["includeExecutionData"] != true || r.Body["maxResults"] != float64(workflow.MaxHistoryEvents) {
		t.Errorf("request = %+v", r)
	}
	want := []struct {
		typ   workflow.EventType
		state string
	}{{workflow.EventStateEntered, "charge"}, {workflow.EventStateFailed, "charge"}, {workflow.EventExecutionFailed, ""}}
	if len(x.History) != len(want) {
		t.Fatalf("history = %+v", x.History)
	}
	for i, w := range want {
		if ev := x.History[i]; ev.Type != w.typ || ev.State != w.state || ev.Time.IsZero() {
			t.Errorf("event %d = %+v, want %s %s", i, ev, w.typ, w.state)
		}
	}
	if string(x.History[0].Input) != `{"a":1}` || x.History[1].Error.Name != "Upstream.5xx" {
		t.Errorf("history = %+v", x.History)
	}
}
