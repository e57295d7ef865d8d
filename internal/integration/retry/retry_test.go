package retry

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoffFullJitter(t *testing.T) {
	p := Policy{MaxAttempts: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}.Normalized()
	tests := []struct {
		n    int
		rnd  float64
		want time.Duration
	}{
		{1, 0, 0},
		{1, 0.5, 50 * time.Millisecond},
		{2, 0.5, 100 * time.Millisecond},
		{3, 0.999, 399600 * time.Microsecond},
		{4, 0.5, 400 * time.Millisecond},
		{5, 0.5, 500 * time.Millisecond}, // capped at MaxDelay
		{200, 0.5, 500 * time.Millisecond},
	}
	for _, tc := range tests {
		if got := p.Backoff(tc.n, func() float64 { return tc.rnd }); got != tc.want {
			t.Errorf("Backoff(%d, %v) = %v, want %v", tc.n, tc.rnd, got, tc.want)
		}
	}
}

func TestNormalized(t *testing.T) {
	p := Policy{MaxAttempts: 3}.Normalized()
	if p.BaseDelay != DefaultBaseDelay || p.MaxDelay != DefaultMaxDelay || !p.RetryableStatus(503) || p.RetryableStatus(500) {
		t.Errorf("defaults: %+v", p)
	}
	p = Policy{BaseDelay: 5 * time.Second}.Normalized()
	if p.MaxDelay != 5*time.Second {
		t.Errorf("MaxDelay below BaseDelay: %v", p.MaxDelay)
	}
	p = Policy{Statuses: []int{500}}.Normalized()
	if !p.RetryableStatus(500) || p.RetryableStatus(503) {
		t.Errorf("explicit statuses: %+v", p)
	}
}

func TestReplayable(t *testing.T) {
	key := http.Header{"Idempotency-Key": {"k1"}}
	tests := []struct {
		method string
		h      http.Header
		want   bool
	}{
		{"GET", nil, true}, {"HEAD", nil, true}, {"PUT", nil, true}, {"DELETE", nil, true}, {"OPTIONS", nil, true},
		{"POST", nil, false}, {"PATCH", nil, false}, {"POST", key, true}, {"PATCH", key, true},
		{"POST", http.Header{"Idempotency-Key": {""}}, false},
	}
	for _, tc := range tests {
		if got := Replayable(tc.method, tc.h); got != tc.want {
			t.Errorf("Replayable(%s, %v) = %v", tc.method, tc.h, got)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false}, {"3", 3 * time.Second, true}, {"0", 0, true}, {"-1", 0, false}, {"soon", 0, false},
		{"99999999", time.Hour, true},
		{now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	}
	for _, tc := range tests {
		d, ok := RetryAfter(tc.v, now)
		if d != tc.want || ok != tc.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tc.v, d, ok, tc.want, tc.ok)
		}
	}
}

func TestBudget(t *testing.T) {
	b := NewBudget(10, 0.1)
	allowed := 0
	for range 20 {
		if b.Failure() {
			allowed++
		}
	}
	if allowed != 4 { // 9,8,7,6 > 5; then no more
		t.Fatalf("retries allowed while failing = %d, want 4", allowed)
	}
	for range 70 { // 0 + 7 tokens; a failure leaves 6 > 5
		b.Success()
	}
	if !b.Failure() {
		t.Error("budget did not refill after successes")
	}
	if b.Tokens() > 10 {
		t.Errorf("tokens %v above max", b.Tokens())
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"1", "Wed, 21 Oct 2015 07:28:00 GMT", "-5", "1e9", "18446744073709551616"} {
		f.Add(s)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := RetryAfter(v, now)
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("RetryAfter(%q) = %v, %v", v, d, ok)
		}
	})
}
