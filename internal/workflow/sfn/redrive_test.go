package sfn

import (
	"context"
	"errors"
	"testing"

	"github.com/portico/portico/internal/workflow"
)

const exArn = "arn:aws:states:eu-west-1:123456789012:execution:portico-dev-wf-acme_orders:idem-1"

// RedriveExecution against the fake: the request the SDK sends and the
// documented answers (success: the redrive date; errors by __type).
func TestRedrive(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   error  // errors.Is target, nil: success
		reason string // a RedriveError's reason
	}{
		{"redriven", 200, `{"redriveDate":1.7e9}`, nil, ""},
		{"not redrivable", 400, `{"__type":"com.amazonaws.swf.service.v2.model#ExecutionNotRedrivable","message":"Execution is SUCCEEDED and cannot be redriven."}`,
			workflow.ErrNotRedrivable, workflow.RedriveEngine},
		{"unknown execution", 400, `{"__type":"com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist","message":"no"}`, workflow.ErrExecutionNotFound, ""},
		{"throttled", 400, `{"__type":"com.amazonaws.swf.service.v2.model#ExecutionLimitExceeded","message":"too many"}`, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng, fake := newEngine(t, func(op string, body map[string]any) (int, string) {
				return tt.status, tt.body
			})
			err := eng.Redrive(context.Background(), workflow.Redrive{ExecutionID: exArn, State: "charge"})
			r := fake.requests[0]
			if r.Op != "RedriveExecution" || r.Body["executionArn"] != exArn || r.Body["clientToken"] == "" || r.Body["clientToken"] == nil {
				t.Errorf("request = %+v", r)
			}
			switch {
			case tt.status == 200:
				if err != nil {
					t.Fatal(err)
				}
			case tt.want == nil:
				if err == nil || errors.Is(err, workflow.ErrNotRedrivable) || errors.Is(err, workflow.ErrExecutionNotFound) {
					t.Errorf("err = %v, want a plain engine error", err)
				}
			case !errors.Is(err, tt.want):
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			var re *workflow.RedriveError
			if tt.reason != "" && (!errors.As(err, &re) || re.Reason != tt.reason || re.Detail == "") {
				t.Errorf("err = %#v, want reason %s", err, tt.reason)
			}
		})
	}
}

// A redriven execution's history: ExecutionRedriven between the failure
// and the resumed states; a further page marks the history truncated.
func TestHistoryRedrivenAndTruncated(t *testing.T) {
	eng, _ := newEngine(t, func(op string, body map[string]any) (int, string) {
		switch op {
		case "DescribeExecution":
			return 200, `{"executionArn":"` + exArn + `","stateMachineArn":"` + smArn + `","status":"SUCCEEDED","startDate":1.7e9,"stopDate":1.7e9,"redriveCount":1,"redriveDate":1.7e9,"output":"{}"}`
		case "GetExecutionHistory":
			return 200, `{"nextToken":"more","events":[
				{"timestamp":1.7e9,"type":"TaskStateEntered","id":2,"stateEnteredEventDetails":{"name":"charge","input":"{}"}},
				{"timestamp":1.7e9,"type":"TaskFailed","id":3,"taskFailedEventDetails":{"error":"E","cause":"c"}},
				{"timestamp":1.7e9,"type":"ExecutionFailed","id":4,"executionFailedEventDetails":{"error":"E"}},
				{"timestamp":1.7e9,"type":"ExecutionRedriven","id":5,"executionRedrivenEventDetails":{"redriveCount":1}},
				{"timestamp":1.7e9,"type":"TaskStateEntered","id":6,"stateEnteredEventDetails":{"name":"charge","input":"{}"}}]}`
		}
		return 400, `{"__type":"UnknownOperationException"}`
	})
	x, err := eng.Describe(context.Background(), exArn)
	if err != nil {
		t.Fatal(err)
	}
	if len(x.History) != 5 || x.History[3].Type != workflow.EventExecutionRedriven || !x.HistoryTruncated {
		t.Errorf("history (truncated %v) = %+v", x.HistoryTruncated, x.History)
	}
}
