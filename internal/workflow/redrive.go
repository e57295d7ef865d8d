package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// RedriveWindow is how long after its end an execution may be redriven
// (Step Functions' redrivable period).
const RedriveWindow = 14 * 24 * time.Hour

// ErrNotRedrivable: the execution cannot be redriven; a *RedriveError
// says why.
var ErrNotRedrivable = errors.New("workflow: execution not redrivable")

// Reasons a redrive is refused (RedriveError.Reason).
const (
	RedriveExpress     = "express"     // express executions cannot be redriven (Step Functions: Standard only)
	RedriveRunning     = "running"     // the execution has not ended
	RedriveSucceeded   = "succeeded"   // nothing to redrive
	RedriveExpired     = "expired"     // ended more than RedriveWindow ago
	RedriveTruncated   = "truncated"   // the recorded history is incomplete
	RedriveCompensated = "compensated" // compensation ran: the earlier steps were undone
	RedriveNotACall    = "not-a-call"  // it failed in a state a redrive would fail the same way
	RedriveParallel    = "parallel"    // it failed inside a parallel step
	RedriveRepublished = "republished" // the workflow was published again since it started
	RedriveEngine      = "engine"      // the engine refused
	RedriveUnpublished = "unpublished" // the workflow is not published (management)
)

// RedriveError says why an execution cannot be redriven. Detail is for
// the tenant (no internal text).
type RedriveError struct {
	Reason string
	Detail string
}

// Error implements error.
func (e *RedriveError) Error() string {
	return "workflow: execution not redrivable (" + e.Reason + "): " + e.Detail
}

// Unwrap returns ErrNotRedrivable.
func (e *RedriveError) Unwrap() error { return ErrNotRedrivable }

// Redrive is a planned redrive (PlanRedrive): the execution, the state
// it failed in and the input that state received, and the history so far.
// Step Functions needs only the execution ID (it keeps the rest); the
// embedded engine resumes from the rest.
type Redrive struct {
	ExecutionID string
	State       string
	Input       json.RawMessage
	History     []Event
}

// Redriver is implemented by engines that redrive failed standard
// executions: resume them at the state they failed in, under the same
// execution ID, without running the completed states again.
type Redriver interface {
	Redrive(ctx context.Context, r Redrive) error
}

// PlanRedrive decides whether the recorded execution rec of definition m,
// deployed at publishedAt (zero: unknown), can be redriven at now, and
// where it resumes: at the top-level state it failed in, which must be a
// Task (a call or transform step), with the input recorded when that
// state was entered. A refusal is a *RedriveError.
//
// Refused: express executions; running or succeeded ones; those that
// ended more than RedriveWindow ago; those started before m was published
// (Step Functions redrives the definition an execution started with, the
// embedded engine may hold only the new one, and a tenant who published a
// fix would expect it: neither is sound); a truncated history (the input or
// the compensation cannot be told); executions whose compensation ran (a
// saga's failure ends in Portico.Failed after undoing the earlier steps:
// resuming would continue a transaction that no longer exists); failures
// in a parallel step (Step Functions redrives only its failed branches,
// which the embedded engine does not reproduce) or in a state that would
// fail the same way again (fail, choice, set, wait, the end).
func PlanRedrive(rec *Record, m *Machine, publishedAt, now time.Time) (*Redrive, error) {
	switch {
	case rec.Kind != KindStandard:
		return nil, &RedriveError{Reason: RedriveExpress, Detail: "only standard executions can be redriven; run an express workflow again"}
	case rec.Status == StatusRunning || rec.Status == "":
		return nil, &RedriveError{Reason: RedriveRunning, Detail: "the execution has not ended"}
	case rec.Status == StatusSucceeded:
		return nil, &RedriveError{Reason: RedriveSucceeded, Detail: "the execution succeeded"}
	case rec.StoppedAt == nil:
		return nil, &RedriveError{Reason: RedriveRunning, Detail: "the execution has not ended"}
	case now.Sub(*rec.StoppedAt) > RedriveWindow:
		return nil, &RedriveError{Reason: RedriveExpired, Detail: fmt.Sprintf("the execution ended more than %d days ago", int(RedriveWindow/(24*time.Hour)))}
	case publishedAt.After(rec.StartedAt):
		return nil, &RedriveError{Reason: RedriveRepublished, Detail: "the workflow was published again since this execution started; start a new execution"}
	case rec.HistoryTruncated:
		return nil, &RedriveError{Reason: RedriveTruncated, Detail: "the recorded history is incomplete, so where and with what input to resume cannot be told"}
	}
	failed := -1
	for i, ev := range rec.History {
		if ev.State == StateFailed || strings.HasPrefix(ev.State, stateUndoCheckPrefix) ||
			strings.HasPrefix(ev.State, stateUndoPrefix) || strings.HasPrefix(ev.State, stateUndoFailedPrefix) {
			return nil, &RedriveError{Reason: RedriveCompensated, Detail: "the execution's compensation ran, undoing the completed steps; start a new execution"}
		}
		if _, top := m.States[ev.State]; !top {
			continue
		}
		switch {
		case ev.Type == EventStateEntered:
			failed = i
		case ev.Type == EventStateExited && failed >= 0 && rec.History[failed].State == ev.State:
			failed = -1
		}
	}
	if failed < 0 {
		return nil, &RedriveError{Reason: RedriveNotACall, Detail: "the recorded history names no step the execution failed in"}
	}
	ev := rec.History[failed]
	switch m.States[ev.State].Type {
	case "Task":
	case "Parallel":
		return nil, &RedriveError{Reason: RedriveParallel, Detail: fmt.Sprintf("the execution failed in parallel step %q; start a new execution", ev.State)}
	default:
		return nil, &RedriveError{Reason: RedriveNotACall, Detail: fmt.Sprintf("the execution failed in %q, which is not a call or transform step: a redrive would fail the same way", ev.State)}
	}
	if len(ev.Input) == 0 {
		return nil, &RedriveError{Reason: RedriveTruncated, Detail: "the input of the failed step is not in the recorded history"}
	}
	return &Redrive{ExecutionID: rec.ExecutionID, State: ev.State, Input: ev.Input, History: rec.History}, nil
}

// MarkRedriven records on rec a redrive started at t: running again,
// under the same ID, its history kept until the engine reports the end.
func (rec *Record) MarkRedriven(t time.Time) {
	t = t.UTC()
	rec.Status, rec.StoppedAt, rec.Error = StatusRunning, nil, ""
	rec.RedriveCount++
	rec.RedrivenAt = &t
}
