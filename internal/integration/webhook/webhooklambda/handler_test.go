package webhooklambda_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"sync"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/integration/webhook/webhooklambda"
)

// fakeDispatcher records calls and answers as configured.
type fakeDispatcher struct {
	mu         sync.Mutex
	refs       []webhook.MessageRef
	drains     int
	dispatchOK bool
	err        error
}

func (f *fakeDispatcher) Drain(context.Context) (int, error) {
	f.drains++
	return 3, f.err
}

func (f *fakeDispatcher) Dispatch(_ context.Context, ref webhook.MessageRef) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refs = append(f.refs, ref)
	return f.dispatchOK, f.err
}

func fixture(t *testing.T, name string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHandle(t *testing.T) {
	msg := webhook.MessageRef{Tenant: "acme", Key: "MSG#msg_47c77377c179b0cd"}
	boom := errors.New("store down")
	cases := []struct {
		name       string
		payload    string // fixture name, or literal JSON when it starts with {
		dispatchOK bool
		err        error
		want       webhooklambda.Result
		wantRefs   []webhook.MessageRef
		wantDrains int
		wantErr    error
	}{
		{name: "stream: the new outbox item only", payload: "dynamodb-outbox-insert.json", dispatchOK: true,
			want:     webhooklambda.Result{Source: webhooklambda.SourceStream, Dispatched: 1, Skipped: 2},
			wantRefs: []webhook.MessageRef{msg}},
		{name: "stream: claimed elsewhere or not due", payload: "dynamodb-outbox-insert.json",
			want:     webhooklambda.Result{Source: webhooklambda.SourceStream, Skipped: 3},
			wantRefs: []webhook.MessageRef{msg}},
		{name: "stream: failures are left to the schedule", payload: "dynamodb-outbox-insert.json", err: boom,
			want:     webhooklambda.Result{Source: webhooklambda.SourceStream, Failed: 1, Skipped: 2},
			wantRefs: []webhook.MessageRef{msg}},
		{name: "schedule drains", payload: "eventbridge-scheduled.json",
			want: webhooklambda.Result{Source: webhooklambda.SourceSchedule, Dispatched: 3}, wantDrains: 1},
		{name: "schedule reports a failed drain", payload: "eventbridge-scheduled.json", err: boom,
			want: webhooklambda.Result{Source: webhooklambda.SourceSchedule, Dispatched: 3}, wantDrains: 1, wantErr: boom},
		{name: "other EventBridge event", payload: `{"source":"aws.s3","detail-type":"Object Created","detail":{}}`, wantErr: webhooklambda.ErrUnknownEvent},
		{name: "API Gateway event", payload: `{"version":"2.0","rawPath":"/"}`, wantErr: webhooklambda.ErrUnknownEvent},
		{name: "not JSON", payload: `{`, wantErr: webhooklambda.ErrUnknownEvent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			payload := json.RawMessage(tc.payload)
			if tc.payload[0] != '{' {
				payload = fixture(t, tc.payload)
			}
			d := &fakeDispatcher{dispatchOK: tc.dispatchOK, err: tc.err}
			h := &webhooklambda.Handler{Dispatcher: d, Ref: catalog.OutboxRef}
			got, err := h.Handle(t.Context(), payload)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("result %+v, want %+v", got, tc.want)
			}
			if !reflect.DeepEqual(d.refs, tc.wantRefs) || d.drains != tc.wantDrains {
				t.Errorf("dispatched %v and drained %d times, want %v and %d", d.refs, d.drains, tc.wantRefs, tc.wantDrains)
			}
		})
	}
}
