package workflow

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"
)

// fakeClock is virtual time: Sleep returns at once after advancing the
// clock, firing the timeouts it passes.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	slept  []time.Duration
	timers []*fakeTimer
}

type fakeTimer struct {
	at     time.Time
	cancel context.CancelFunc
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.slept = append(c.slept, d)
	target := c.now.Add(d)
	slices.SortFunc(c.timers, func(a, b *fakeTimer) int { return a.at.Compare(b.at) })
	for len(c.timers) > 0 && !c.timers[0].at.After(target) {
		t := c.timers[0]
		c.timers = c.timers[1:]
		c.now = t.at
		t.cancel()
		if ctx.Err() != nil {
			c.mu.Unlock()
			return ctx.Err()
		}
	}
	c.now = target
	c.mu.Unlock()
	return ctx.Err()
}

func (c *fakeClock) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	c.mu.Lock()
	c.timers = append(c.timers, &fakeTimer{at: c.now.Add(d), cancel: cancel})
	c.mu.Unlock()
	return ctx, cancel
}

func (c *fakeClock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.slept)
}

// outcome is one scripted result of a Task state.
type outcome struct {
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
	Cause  string          `json:"cause,omitempty"`
	// Sleep makes the task take this long on the fake clock (Go side only).
	Sleep time.Duration `json:"-"`
	// Hang never finishes (until the state's timeout).
	Hang bool `json:"hang,omitempty"`
}

// scripted runs Task states from a script per state name (the last
// outcome repeats) and records every call's input.
type scripted struct {
	clock  *fakeClock
	script map[string][]outcome
	mu     sync.Mutex
	used   map[string]int
	calls  map[string][]json.RawMessage
	order  []string
}

func newScripted(clock *fakeClock, script map[string][]outcome) *scripted {
	return &scripted{clock: clock, script: script, used: map[string]int{}, calls: map[string][]json.RawMessage{}}
}

func (s *scripted) RunTask(ctx context.Context, t Task) (json.RawMessage, error) {
	s.mu.Lock()
	s.calls[t.State] = append(s.calls[t.State], t.Input)
	s.order = append(s.order, t.State)
	script := s.script[t.State]
	if len(script) == 0 {
		script = []outcome{{Result: json.RawMessage(`{}`)}}
	}
	o := script[min(s.used[t.State], len(script)-1)]
	s.used[t.State]++
	s.mu.Unlock()
	if o.Hang {
		o.Sleep = 24 * time.Hour
	}
	if o.Sleep > 0 {
		if err := s.clock.Sleep(ctx, o.Sleep); err != nil {
			return nil, err
		}
	}
	if o.Error != "" {
		return nil, &Error{Name: o.Error, Cause: o.Cause}
	}
	if o.Result == nil {
		return json.RawMessage(`null`), nil
	}
	return o.Result, nil
}
