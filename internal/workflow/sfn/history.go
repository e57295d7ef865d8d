package sfn

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/portico/portico/internal/workflow"
)

// history reads the first page of a Standard execution's history
// (GetExecutionHistory, with execution data) as workflow events: state
// entered/exited, task and execution failures, redrives, execution end. Express
// executions have no such API (their history is in the log group). A
// failure to read it leaves the history empty: the status still stands.
// truncated reports a further page (the history is then incomplete).
func (e *Engine) history(ctx context.Context, id string) (evs []workflow.Event, truncated bool) {
	out, err := e.cfg.Client.GetExecutionHistory(ctx, &awssfn.GetExecutionHistoryInput{
		ExecutionArn: aws.String(id), MaxResults: int32(workflow.MaxHistoryEvents), IncludeExecutionData: aws.Bool(true),
	})
	if err != nil {
		return nil, false
	}
	return historyEvents(out.Events), out.NextToken != nil
}

func historyEvents(in []types.HistoryEvent) []workflow.Event {
	var evs []workflow.Event
	state := ""
	raw := func(s *string) json.RawMessage {
		if s == nil {
			return nil
		}
		return json.RawMessage(*s)
	}
	for _, h := range in {
		ev := workflow.Event{Time: aws.ToTime(h.Timestamp)}
		switch {
		case h.StateEnteredEventDetails != nil:
			d := h.StateEnteredEventDetails
			state = aws.ToString(d.Name)
			ev.Type, ev.State, ev.Input = workflow.EventStateEntered, state, raw(d.Input)
		case h.StateExitedEventDetails != nil:
			d := h.StateExitedEventDetails
			ev.Type, ev.State, ev.Output = workflow.EventStateExited, aws.ToString(d.Name), raw(d.Output)
		case h.TaskFailedEventDetails != nil:
			d := h.TaskFailedEventDetails
			ev.Type, ev.State, ev.Error = workflow.EventStateFailed, state, &workflow.Error{Name: aws.ToString(d.Error), Cause: aws.ToString(d.Cause)}
		case h.TaskTimedOutEventDetails != nil:
			d := h.TaskTimedOutEventDetails
			ev.Type, ev.State, ev.Error = workflow.EventStateFailed, state, &workflow.Error{Name: aws.ToString(d.Error), Cause: aws.ToString(d.Cause)}
		case h.ExecutionSucceededEventDetails != nil:
			ev.Type, ev.Output = workflow.EventExecutionSucceed, raw(h.ExecutionSucceededEventDetails.Output)
		case h.ExecutionFailedEventDetails != nil:
			d := h.ExecutionFailedEventDetails
			ev.Type, ev.Error = workflow.EventExecutionFailed, &workflow.Error{Name: aws.ToString(d.Error), Cause: aws.ToString(d.Cause)}
		case h.ExecutionRedrivenEventDetails != nil || h.Type == types.HistoryEventTypeExecutionRedriven:
			ev.Type = workflow.EventExecutionRedriven
		case h.Type == types.HistoryEventTypeExecutionTimedOut:
			ev.Type, ev.Error = workflow.EventExecutionFailed, &workflow.Error{Name: workflow.ErrorTimeout}
		default:
			continue // other events (scheduled, started, succeeded tasks) add nothing here
		}
		evs = append(evs, ev)
	}
	return evs
}
