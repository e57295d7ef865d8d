package workflow

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

type memRecorder struct {
	mu   sync.Mutex
	recs []Record
}

func (m *memRecorder) RecordExecution(_ context.Context, r *Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs = append(m.recs, *r)
	return nil
}

func TestRecordingEngine(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	tasks := newScripted(clock, map[string][]outcome{"fetch": ok(`{"v":1}`), "reshape": {{Error: "Upstream.5xx"}}})
	ex, _ := NewExecutor(ExecutorConfig{Tasks: tasks, Clock: clock})
	eng := NewLocal(ex)
	def := compileFixture(t, "linear").JSON()
	ref, err := eng.Deploy(ctx, Deployment{Tenant: "acme", Workflow: "enrich", Definition: def})
	if err != nil {
		t.Fatal(err)
	}
	rec := &memRecorder{}
	r := &Recording{Engine: eng, Recorder: rec, Tenant: "acme", Workflow: "enrich", Source: SourceGateway, IdempotencyKey: "k1", Now: clock.Now}
	if _, err := r.Execute(ctx, ref, json.RawMessage(`{"body":{"id":1}}`)); err == nil {
		t.Fatal("want the scripted failure")
	}
	if len(rec.recs) != 1 {
		t.Fatalf("records = %d", len(rec.recs))
	}
	got := rec.recs[0]
	if got.Tenant != "acme" || got.Workflow != "enrich" || got.Kind != KindExpress || got.Status != StatusFailed ||
		got.Error != "Upstream.5xx" || got.IdempotencyKey != "k1" || got.StoppedAt == nil || len(got.ID) != 24 {
		t.Errorf("record = %+v", got)
	}
	if n := len(got.History); n == 0 || got.History[n-1].Type != EventExecutionFailed {
		t.Errorf("history = %+v", got.History)
	}
	// Not deployed: nothing ran, nothing recorded.
	if _, err := r.Execute(ctx, "local:nope", nil); err == nil || len(rec.recs) != 1 {
		t.Errorf("err = %v, records = %d", err, len(rec.recs))
	}

	// Standard: recorded running, then refreshed from Describe.
	sref, _ := eng.Deploy(ctx, Deployment{Tenant: "acme", Workflow: "long", Kind: KindStandard, Definition: def})
	id, err := r.Start(ctx, sref, "k2", json.RawMessage(`{"body":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	srec := rec.recs[1]
	if srec.ExecutionID != id || srec.Status != StatusRunning || srec.Kind != KindStandard || srec.IdempotencyKey != "k2" {
		t.Fatalf("record = %+v", srec)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		changed, err := Refresh(ctx, eng, &srec, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if changed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("execution never ended")
		}
		time.Sleep(time.Millisecond)
	}
	if srec.Status != StatusFailed || srec.Error != "Upstream.5xx" || len(srec.History) == 0 || srec.StoppedAt == nil {
		t.Errorf("refreshed = %+v", srec)
	}
}

func TestBoundHistory(t *testing.T) {
	big := json.RawMessage(`"` + strings.Repeat("x", MaxHistoryPayloadBytes) + `"`)
	small := json.RawMessage(`{"a":1}`)
	many := make([]Event, MaxHistoryEvents+10)
	for i := range many {
		many[i] = Event{Type: EventStateEntered, Input: small}
	}
	many[len(many)-1].Type = EventExecutionSucceed
	tests := []struct {
		name      string
		in        []Event
		wantN     int
		truncated bool
	}{
		{"small", []Event{{Type: EventStateEntered, Input: small}}, 1, false},
		{"big payload", []Event{{Type: EventStateEntered, Input: big, Output: small}}, 1, true},
		{"too many", many, MaxHistoryEvents, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, tr := BoundHistory(tt.in)
			if len(out) != tt.wantN || tr != tt.truncated {
				t.Fatalf("len = %d, truncated = %v", len(out), tr)
			}
			if out[len(out)-1].Type != tt.in[len(tt.in)-1].Type {
				t.Error("the last event must be kept")
			}
			b, _ := json.Marshal(out)
			if len(b) > MaxHistoryBytes+MaxHistoryEvents*200 {
				t.Errorf("history is %d bytes", len(b))
			}
			for _, ev := range out {
				if len(ev.Input) > MaxHistoryPayloadBytes {
					t.Error("payload over the bound kept")
				}
			}
		})
	}
	// Record IDs sort newest first.
	t0 := time.Unix(1000, 0)
	if a, b := NewRecordID(t0.Add(time.Second)), NewRecordID(t0); a >= b {
		t.Errorf("%s should sort before %s", a, b)
	}
}
