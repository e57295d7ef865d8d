package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestScheduleDelay(t *testing.T) {
	s := DefaultSchedule
	cases := []struct {
		n    int
		rnd  float64
		want time.Duration
	}{
		{1, 0, 5 * time.Second},
		{2, 0, 15 * time.Second},
		{3, 0, 45 * time.Second},
		{4, 0, 135 * time.Second},
		{9, 0, 4 * time.Hour}, // 5 s * 3^8 = 9h6m: capped
		{1000, 0, 4 * time.Hour},
		{1, 0.5, 4500 * time.Millisecond}, // up to 20 % less
		{0, 0, 5 * time.Second},
	}
	for _, tc := range cases {
		if got := s.Delay(tc.n, func() float64 { return tc.rnd }); got != tc.want {
			t.Errorf("Delay(%d, %v) = %v, want %v", tc.n, tc.rnd, got, tc.want)
		}
	}
}

// TestDefaultScheduleHorizon: without jitter the default schedule makes
// 13 attempts, the last about 20.5 h after the event, within 24 h.
func TestDefaultScheduleHorizon(t *testing.T) {
	s := DefaultSchedule
	var at time.Duration
	attempts := 1
	for {
		next := at + s.Delay(attempts, func() float64 { return 0 })
		if next > s.Horizon {
			break
		}
		at = next
		attempts++
	}
	if attempts != 13 || at < 20*time.Hour || at > 21*time.Hour {
		t.Fatalf("%d attempts, the last at %v", attempts, at)
	}
}

func TestNewDispatcherConfig(t *testing.T) {
	del, err := NewDeliverer(DelivererConfig{Client: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	ob := &memOutbox{}
	targets := func(context.Context, string, string) ([]Subscription, error) { return nil, nil }
	cases := []struct {
		name string
		cfg  DispatcherConfig
		ok   bool
	}{
		{"complete", DispatcherConfig{Outbox: ob, Targets: targets, Deliverer: del}, true},
		{"no outbox", DispatcherConfig{Targets: targets, Deliverer: del}, false},
		{"no targets", DispatcherConfig{Outbox: ob, Deliverer: del}, false},
		{"no deliverer", DispatcherConfig{Outbox: ob, Targets: targets}, false},
		{"lease shorter than an attempt", DispatcherConfig{Outbox: ob, Targets: targets, Deliverer: del, Lease: time.Second}, false},
		{"bad schedule", DispatcherConfig{Outbox: ob, Targets: targets, Deliverer: del, Schedule: Schedule{First: time.Second, Factor: 0.5, Max: time.Hour, Horizon: time.Hour}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewDispatcher(tc.cfg); (err == nil) != tc.ok {
				t.Fatalf("NewDispatcher: %v", err)
			}
		})
	}
}

// memOutbox is an in-memory Outbox with the same version semantics as the
// catalog's.
type memOutbox struct {
	mu   sync.Mutex
	msgs map[string]Message
}

func (o *memOutbox) add(m Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.msgs == nil {
		o.msgs = map[string]Message{}
	}
	m.Ref = MessageRef{Tenant: m.Tenant, Key: m.ID}
	m.Version = 1
	o.msgs[m.ID] = m
}

func (o *memOutbox) Due(_ context.Context, now time.Time, limit int) ([]MessageRef, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []MessageRef
	for _, m := range o.msgs {
		if m.Due(now) {
			out = append(out, m.Ref)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out[:min(limit, len(out))], nil
}

func (o *memOutbox) Load(_ context.Context, ref MessageRef) (Message, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	m, ok := o.msgs[ref.Key]
	if !ok {
		return m, ErrNoMessage
	}
	m.Targets = append([]Target(nil), m.Targets...)
	return m, nil
}

func (o *memOutbox) Save(_ context.Context, m *Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.msgs[m.Ref.Key].Version != m.Version {
		return ErrConflict
	}
	m.Version++
	c := *m
	c.Targets = append([]Target(nil), m.Targets...)
	o.msgs[m.Ref.Key] = c
	return nil
}

func (o *memOutbox) get(id string) Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.msgs[id]
}

// TestDispatchOutcomes: single messages against receivers answering in
// different ways.
func TestDispatchOutcomes(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	secret := "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYqrTwjU"
	cases := []struct {
		name      string
		status    int
		header    http.Header
		secret    string
		wantState string
		wantNext  time.Duration // from t0; 0: none
		wantLog   string
	}{
		{"delivered", 204, nil, secret, StateDelivered, 0, "webhook delivered"},
		{"retried on the schedule", 500, nil, secret, StatePending, 5 * time.Second, "webhook attempt failed"},
		{"Retry-After beyond the backoff", 429, http.Header{"Retry-After": {"60"}}, secret, StatePending, time.Minute, "webhook attempt failed"},
		{"redirects are failures", 302, http.Header{"Location": {"/elsewhere"}}, secret, StatePending, 5 * time.Second, "webhook attempt failed"},
		{"unusable secret", 204, nil, "whsec_short", StateFailed, 0, "webhook delivery failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header()[k] = v
				}
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			lg := &memLog{}
			now := func() time.Time { return t0 }
			del, err := NewDeliverer(DelivererConfig{Client: srv.Client(), Log: lg, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			ob := &memOutbox{}
			ob.add(Message{Tenant: "acme", ID: "msg_1", Event: Event{Type: "config.changed", Timestamp: t0, Data: []byte(`{}`)}, CreatedAt: t0, NextAt: t0})
			var logs bytes.Buffer
			d, err := NewDispatcher(DispatcherConfig{Outbox: ob, Deliverer: del, Rand: func() float64 { return 0 },
				Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
				Targets: func(context.Context, string, string) ([]Subscription, error) {
					return []Subscription{{ID: "wh_1", URL: srv.URL, Secret: tc.secret}}, nil
				}})
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := d.Dispatch(t.Context(), MessageRef{Tenant: "acme", Key: "msg_1"}); !ok || err != nil {
				t.Fatalf("Dispatch = %v, %v", ok, err)
			}
			m := ob.get("msg_1")
			tg := m.Targets[0]
			if tg.State != tc.wantState || tg.Tries != 1 || m.Lease != (Lease{}) {
				t.Fatalf("message %+v", m)
			}
			wantNext := time.Time{}
			if tc.wantNext > 0 {
				wantNext = t0.Add(tc.wantNext)
			}
			if !tg.NextAt.Equal(wantNext) || !m.NextAt.Equal(wantNext) || m.Done != (tc.wantNext == 0) {
				t.Fatalf("next %v (message %v, done %v), want %v", tg.NextAt, m.NextAt, m.Done, wantNext)
			}
			if len(lg.ds) != 1 || lg.ds[0].State != tc.wantState || lg.ds[0].ID != "msg_1" {
				t.Fatalf("log %+v", lg.ds)
			}
			var line struct {
				Msg          string `json:"msg"`
				Tenant       string `json:"tenant"`
				Subscription string `json:"subscription"`
			}
			if err := json.Unmarshal(logs.Bytes(), &line); err != nil || line.Msg != tc.wantLog || line.Tenant != "acme" || line.Subscription != "wh_1" ||
				strings.Contains(logs.String(), srv.URL) || strings.Contains(logs.String(), tc.secret) {
				t.Fatalf("log line %s (%v), want %q without URL or secret", logs.String(), err, tc.wantLog)
			}
		})
	}
}

// TestRunWakes: Run drains at start and on every Wake, and stops with its
// context.
func TestRunWakes(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	got := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get(HeaderID)
	}))
	defer srv.Close()
	del, err := NewDeliverer(DelivererConfig{Client: srv.Client(), Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	ob := &memOutbox{}
	d, err := NewDispatcher(DispatcherConfig{Outbox: ob, Deliverer: del,
		Targets: func(context.Context, string, string) ([]Subscription, error) {
			return []Subscription{{ID: "wh_1", URL: srv.URL, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYqrTwjU"}}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx, nil)
	}()
	for _, id := range []string{"msg_1", "msg_2"} {
		ob.add(Message{Tenant: "acme", ID: id, Event: Event{Type: "config.changed", Timestamp: t0}, CreatedAt: t0, NextAt: t0})
		d.Wake()
		if g := <-got; g != id {
			t.Fatalf("received %s, want %s", g, id)
		}
	}
	cancel()
	<-done
}

// TestMessageFit: a message of many subscriptions that keep failing with
// long errors is trimmed to fit one store item, newest attempts kept.
func TestMessageFit(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		targets  int
		wantKept int
	}{
		{"small", 10, maxKeptAttempts},
		{"many subscriptions", 60, 8},
		{"very many", 400, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := Message{Tenant: "acme", ID: "msg_1", CreatedAt: t0}
			for i := range tc.targets {
				tg := Target{Subscription: fmt.Sprintf("wh_%016d", i), State: StatePending, NextAt: t0, Tries: 20}
				for n := range maxKeptAttempts {
					tg.Attempts = append(tg.Attempts, Attempt{At: t0.Add(time.Duration(n) * time.Minute), Status: 500 + n, Error: strings.Repeat("x", maxErrorLen)})
				}
				m.Targets = append(m.Targets, tg)
			}
			m.fit()
			b, _ := json.Marshal(&m)
			if len(b) > maxMessageBytes {
				t.Fatalf("%d bytes", len(b))
			}
			for _, tg := range m.Targets {
				if len(tg.Attempts) != tc.wantKept || tg.Attempts[len(tg.Attempts)-1].Status != 500+maxKeptAttempts-1 {
					t.Fatalf("kept %d attempts (last %+v), want the newest %d", len(tg.Attempts), tg.Attempts[len(tg.Attempts)-1], tc.wantKept)
				}
			}
		})
	}
}

// TestDispatchNoTimeLeft: with less than an attempt's time before ctx's
// deadline (a Lambda about to time out), nothing is sent and the message
// stays due, its lease released.
func TestDispatchNoTimeLeft(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls++ }))
	defer srv.Close()
	del, err := NewDeliverer(DelivererConfig{Client: srv.Client(), Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	ob := &memOutbox{}
	ob.add(Message{Tenant: "acme", ID: "msg_1", Event: Event{Type: "config.changed", Timestamp: t0}, CreatedAt: t0, NextAt: t0})
	d, err := NewDispatcher(DispatcherConfig{Outbox: ob, Deliverer: del,
		Targets: func(context.Context, string, string) ([]Subscription, error) {
			return []Subscription{{ID: "wh_1", URL: srv.URL, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYqrTwjU"}}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), DefaultAttemptTimeout)
	defer cancel()
	if ok, err := d.Dispatch(ctx, MessageRef{Tenant: "acme", Key: "msg_1"}); !ok || err != nil {
		t.Fatalf("Dispatch = %v, %v", ok, err)
	}
	m := ob.get("msg_1")
	if calls != 0 || !m.Due(t0) || len(m.Targets) != 1 || m.Targets[0].Tries != 0 || m.Targets[0].State != StatePending {
		t.Fatalf("%d calls, message %+v", calls, m)
	}
}
