package workflow

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Record is what is kept of one execution started through the gateway or
// a test run, for the console's execution view. ID is sortable newest
// first (a reverse timestamp and a random suffix); ExecutionID is the
// engine's (the execution ARN on AWS; empty for express executions the
// engine does not name).
type Record struct {
	ID             string          `json:"id"`
	Tenant         string          `json:"tenant"`
	Workflow       string          `json:"workflow"`
	ExecutionID    string          `json:"executionId,omitempty"`
	Kind           Kind            `json:"kind"`
	Source         string          `json:"source"` // SourceGateway or SourceTest
	Status         ExecutionStatus `json:"status"`
	StartedAt      time.Time       `json:"startedAt"`
	StoppedAt      *time.Time      `json:"stoppedAt,omitempty"`
	Error          string          `json:"error,omitempty"` // the error name; the cause stays internal
	IdempotencyKey string          `json:"idempotencyKey,omitempty"`
	// History is the execution's events, bounded by BoundHistory;
	// HistoryTruncated says events or payloads were left out.
	History          []Event `json:"history,omitempty"`
	HistoryTruncated bool    `json:"historyTruncated,omitempty"`
	// RedriveCount counts the redrives of the execution (MarkRedriven);
	// RedrivenAt is when the latest started.
	RedriveCount int        `json:"redriveCount,omitempty"`
	RedrivenAt   *time.Time `json:"redrivenAt,omitempty"`
}

// Record sources.
const (
	SourceGateway = "gateway"
	SourceTest    = "test"
)

// Recorder stores execution records (the catalog, in the store).
type Recorder interface {
	RecordExecution(ctx context.Context, r *Record) error
}

// History bounds: a record must fit one store item (DynamoDB's 400 KB).
const (
	MaxHistoryEvents       = 200
	MaxHistoryPayloadBytes = 8 << 10
	MaxHistoryBytes        = 256 << 10
)

// BoundHistory returns events within the history bounds: at most
// MaxHistoryEvents (the first ones, then the last event, which says how
// the execution ended), each input or output over MaxHistoryPayloadBytes
// dropped, and payloads dropped altogether once MaxHistoryBytes is spent.
// truncated reports whether anything was left out.
func BoundHistory(events []Event) (out []Event, truncated bool) {
	if len(events) > MaxHistoryEvents {
		out = append(append(out, events[:MaxHistoryEvents-1]...), events[len(events)-1])
		truncated = true
	} else {
		out = append(out, events...)
	}
	budget := MaxHistoryBytes
	for i := range out {
		ev := &out[i]
		for _, p := range []*json.RawMessage{&ev.Input, &ev.Output} {
			if len(*p) == 0 {
				continue
			}
			if len(*p) > MaxHistoryPayloadBytes || len(*p) > budget {
				*p, truncated = nil, true
				continue
			}
			budget -= len(*p)
		}
	}
	return out, truncated
}

// NewRecordID returns a record ID for an execution started at t: 16 hex
// digits of the reverse Unix nanoseconds (newest sorts first) and 8
// random ones.
func NewRecordID(t time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], ^uint64(t.UnixNano()))
	_, _ = rand.Read(b[8:])
	return hex.EncodeToString(b[:])
}

// ObservedExecutor is implemented by engines that report an express
// execution's history as it runs (Local).
type ObservedExecutor interface {
	ExecuteObserved(ctx context.Context, ref string, input json.RawMessage, onEvent func(Event)) (json.RawMessage, error)
}

// Recording is an Engine that records the executions it runs or starts.
// Build one per invocation: it carries the tenant, workflow and
// idempotency key. A record that cannot be written is logged, never
// failed: the execution happened.
type Recording struct {
	Engine
	Recorder       Recorder
	Tenant         string
	Workflow       string
	Source         string
	IdempotencyKey string
	Log            *slog.Logger     // default slog.Default()
	Now            func() time.Time // default time.Now
	// RecordID is set to the id of the record Execute or Start saved (for
	// one caller's Recording: it is not meant to be shared).
	RecordID string
}

func (r *Recording) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

func (r *Recording) newRecord(kind Kind) *Record {
	t := r.now()
	return &Record{ID: NewRecordID(t), Tenant: r.Tenant, Workflow: r.Workflow, Kind: kind, Source: r.Source,
		Status: StatusRunning, StartedAt: t, IdempotencyKey: r.IdempotencyKey}
}

func (r *Recording) save(ctx context.Context, rec *Record) {
	if r.Recorder == nil {
		return
	}
	r.RecordID = rec.ID
	if err := r.Recorder.RecordExecution(context.WithoutCancel(ctx), rec); err != nil {
		r.RecordID = ""
		log := r.Log
		if log == nil {
			log = slog.Default()
		}
		log.Warn("workflow execution not recorded", "tenant", rec.Tenant, "workflow", rec.Workflow, "record", rec.ID, "error", err)
	}
}

// Execute implements Engine, recording the execution when it ends (with
// its history where the engine is an ObservedExecutor).
func (r *Recording) Execute(ctx context.Context, ref string, input json.RawMessage) (json.RawMessage, error) {
	rec := r.newRecord(KindExpress)
	var (
		mu     sync.Mutex
		events []Event
	)
	var out json.RawMessage
	var err error
	if o, ok := r.Engine.(ObservedExecutor); ok {
		out, err = o.ExecuteObserved(ctx, ref, input, func(ev Event) {
			mu.Lock()
			events = append(events, ev)
			mu.Unlock()
		})
	} else {
		out, err = r.Engine.Execute(ctx, ref, input)
	}
	if errors.Is(err, ErrNotDeployed) {
		return out, err // nothing ran
	}
	mu.Lock()
	rec.History, rec.HistoryTruncated = BoundHistory(events)
	mu.Unlock()
	Finish(rec, r.now(), err)
	r.save(ctx, rec)
	return out, err
}

// Start implements Engine, recording the started execution as running;
// its end is recorded when it is next described (Refresh).
func (r *Recording) Start(ctx context.Context, ref, key string, input json.RawMessage) (string, error) {
	id, err := r.Engine.Start(ctx, ref, key, input)
	if err != nil {
		return id, err
	}
	rec := r.newRecord(KindStandard)
	rec.ExecutionID = id
	if key != "" {
		rec.IdempotencyKey = key
	}
	r.save(ctx, rec)
	return id, nil
}

// Finish sets rec's status, stop time and error name from an execution's
// result err (nil: succeeded).
func Finish(rec *Record, stopped time.Time, err error) {
	rec.StoppedAt = &stopped
	var e *Error
	switch {
	case err == nil:
		rec.Status, rec.Error = StatusSucceeded, ""
	case errors.As(err, &e) && e.Name == ErrorTimeout:
		rec.Status, rec.Error = StatusTimedOut, e.Name
	case errors.As(err, &e):
		rec.Status, rec.Error = StatusFailed, e.Name
	default:
		rec.Status, rec.Error = StatusFailed, ErrorRuntime
	}
}

// Refresh updates a running record from the engine's description of its
// execution and reports whether it changed (the execution ended).
func Refresh(ctx context.Context, eng Engine, rec *Record, now time.Time) (bool, error) {
	if rec.Status != StatusRunning || rec.ExecutionID == "" {
		return false, nil
	}
	x, err := eng.Describe(ctx, rec.ExecutionID)
	if err != nil {
		return false, err
	}
	if x.Status == StatusRunning || x.Status == "" {
		return false, nil
	}
	rec.Status = x.Status
	if x.Error != nil {
		rec.Error = x.Error.Name
	}
	stopped := now.UTC()
	if x.StoppedAt != nil {
		stopped = *x.StoppedAt
	}
	rec.StoppedAt = &stopped
	if len(x.History) > 0 {
		rec.History, rec.HistoryTruncated = BoundHistory(x.History)
		rec.HistoryTruncated = rec.HistoryTruncated || x.HistoryTruncated
	}
	return true, nil
}

var _ Engine = (*Recording)(nil)
