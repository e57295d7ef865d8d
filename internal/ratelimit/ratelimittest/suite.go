// Package ratelimittest is the conformance suite every ratelimit.Store
// passes: the same decisions, to the millisecond, from memory, Redis and
// DynamoDB, with time injected (no sleeps).
package ratelimittest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/ratelimit"
)

// Open returns a client of the store under test. Each call may return a new
// client, but all share one backend: the suite uses several as separate
// gateway instances.
type Open func() ratelimit.Store

// Base is the suite's clock origin: 10 s into a minute-aligned window.
var Base = time.Date(2026, 3, 2, 10, 0, 10, 0, time.UTC)

var seq atomic.Int64

// key returns a key no other test uses, so stores can be shared.
func key(t *testing.T) string {
	return fmt.Sprintf("t/%s/%d", t.Name(), seq.Add(1))
}

// Run runs the suite against the store opened by open.
func Run(t *testing.T, open Open) {
	t.Run("FixedWindow", func(t *testing.T) { testFixed(t, open()) })
	t.Run("FixedWindowBoundaryBurst", func(t *testing.T) { testFixedBurst(t, open()) })
	t.Run("RejectedDoesNotConsume", func(t *testing.T) { testRejected(t, open()) })
	t.Run("Refund", func(t *testing.T) { testRefund(t, open()) })
	t.Run("SlidingWindow", func(t *testing.T) { testSliding(t, open()) })
	t.Run("TokenBucket", func(t *testing.T) { testBucket(t, open()) })
	t.Run("KeysAreIndependent", func(t *testing.T) { testKeys(t, open()) })
	t.Run("InvalidLimit", func(t *testing.T) { testInvalid(t, open()) })
	t.Run("ConcurrentInstances", func(t *testing.T) { testConcurrent(t, open) })
}

func take(t *testing.T, s ratelimit.Store, k string, l ratelimit.Limit, now time.Time, n int64) ratelimit.Decision {
	t.Helper()
	d, err := s.Take(context.Background(), k, l, now, n)
	if err != nil {
		t.Fatalf("Take(%q, n=%d) at %v: %v", k, n, now.Format(time.StampMilli), err)
	}
	return d
}

func want(t *testing.T, step string, got, want ratelimit.Decision) {
	t.Helper()
	if got != want {
		t.Fatalf("%s:\n got %+v\nwant %+v", step, got, want)
	}
}

func testFixed(t *testing.T, s ratelimit.Store) {
	l := ratelimit.Limit{Algorithm: ratelimit.FixedWindow, Limit: 3, Window: time.Minute}
	k := key(t)
	reset := 50 * time.Second
	prevRemaining := int64(l.Limit)
	for i := int64(1); i <= 3; i++ {
		d := take(t, s, k, l, Base, 1)
		want(t, fmt.Sprintf("request %d", i), d, ratelimit.Decision{Allowed: true, Limit: 3, Remaining: 3 - i, Reset: reset})
		if d.Remaining > prevRemaining {
			t.Fatalf("remaining went up: %d -> %d", prevRemaining, d.Remaining)
		}
		prevRemaining = d.Remaining
	}
	at := Base.Add(20 * time.Second)
	want(t, "over the limit", take(t, s, k, l, at, 1),
		ratelimit.Decision{Limit: 3, Remaining: 0, Reset: 30 * time.Second, RetryAfter: 30 * time.Second})
	want(t, "next window", take(t, s, k, l, Base.Add(50*time.Second), 1),
		ratelimit.Decision{Allowed: true, Limit: 3, Remaining: 2, Reset: time.Minute})
	want(t, "a window later still", take(t, s, k, l, Base.Add(50*time.Second+2*time.Minute+time.Millisecond), 1),
		ratelimit.Decision{Allowed: true, Limit: 3, Remaining: 2, Reset: time.Minute - time.Millisecond})
}

// testFixedBurst shows fixed window's documented weakness: 2x the limit
// within two milliseconds across a boundary.
func testFixedBurst(t *testing.T, s ratelimit.Store) {
	l := ratelimit.Limit{Algorithm: ratelimit.FixedWindow, Limit: 5, Window: time.Minute}
	k := key(t)
	end := Base.Add(50*time.Second - time.Millisecond) // last ms of the window
	admitted := 0
	for _, at := range []time.Time{end, end.Add(time.Millisecond)} {
		for range 6 {
			if take(t, s, k, l, at, 1).Allowed {
				admitted++
			}
		}
	}
	if admitted != 10 {
		t.Fatalf("admitted %d across the boundary, want 10 (2x limit)", admitted)
	}
}

func testRejected(t *testing.T, s ratelimit.Store) {
	for _, alg := range []ratelimit.Algorithm{ratelimit.FixedWindow, ratelimit.SlidingWindow, ratelimit.TokenBucket} {
		t.Run(alg.String(), func(t *testing.T) {
			l := ratelimit.Limit{Algorithm: alg, Limit: 5, Window: time.Minute}
			k := key(t)
			if d := take(t, s, k, l, Base, 3); !d.Allowed || d.Remaining != 2 {
				t.Fatalf("take 3 of 5: %+v", d)
			}
			for i := range 3 {
				if d := take(t, s, k, l, Base, 3); d.Allowed || d.Remaining != 2 {
					t.Fatalf("rejected take %d: %+v, want rejected with 2 remaining", i, d)
				}
			}
			if d := take(t, s, k, l, Base, 2); !d.Allowed || d.Remaining != 0 {
				t.Fatalf("take the last 2: %+v", d)
			}
			if d := take(t, s, k, l, Base, 6); d.Allowed {
				t.Fatalf("n above the limit admitted: %+v", d)
			}
		})
	}
}

func testSliding(t *testing.T, s ratelimit.Store) {
	l := ratelimit.Limit{Algorithm: ratelimit.SlidingWindow, Limit: 10, Window: 10 * time.Second}
	k := key(t)
	w0 := Base.Truncate(10 * time.Second) // window start
	for i := range 10 {
		if d := take(t, s, k, l, w0.Add(9*time.Second), 1); !d.Allowed {
			t.Fatalf("request %d of 10 rejected: %+v", i+1, d)
		}
	}
	w1 := w0.Add(10 * time.Second)
	// At the next window's start the previous ten still weigh in fully.
	want(t, "at the boundary", take(t, s, k, l, w1, 1),
		ratelimit.Decision{Limit: 10, Remaining: 0, Reset: 10 * time.Second, RetryAfter: time.Second})
	// Halfway, they weigh 5: five more pass.
	mid := w1.Add(5 * time.Second)
	for i := range 5 {
		d := take(t, s, k, l, mid, 1)
		want(t, fmt.Sprintf("halfway %d", i+1), d, ratelimit.Decision{Allowed: true, Limit: 10, Remaining: int64(4 - i), Reset: 5 * time.Second})
	}
	// prev*(w-t)/w <= 10-1-5 once t >= 6 s.
	want(t, "halfway, full", take(t, s, k, l, mid, 1),
		ratelimit.Decision{Limit: 10, Remaining: 0, Reset: 5 * time.Second, RetryAfter: time.Second})
	want(t, "after Retry-After", take(t, s, k, l, w1.Add(6*time.Second), 1),
		ratelimit.Decision{Allowed: true, Limit: 10, Remaining: 0, Reset: 4 * time.Second})
	// Two windows on, nothing weighs.
	want(t, "two windows on", take(t, s, k, l, w1.Add(20*time.Second), 1),
		ratelimit.Decision{Allowed: true, Limit: 10, Remaining: 9, Reset: 10 * time.Second})
}

func testBucket(t *testing.T, s ratelimit.Store) {
	// One token per second, five at most.
	l := ratelimit.Limit{Algorithm: ratelimit.TokenBucket, Limit: 10, Window: 10 * time.Second, Burst: 5}
	k := key(t)
	for i := int64(1); i <= 5; i++ {
		want(t, fmt.Sprintf("burst %d", i), take(t, s, k, l, Base, 1),
			ratelimit.Decision{Allowed: true, Limit: 10, Remaining: 5 - i, Reset: time.Duration(i) * time.Second})
	}
	want(t, "empty", take(t, s, k, l, Base, 1),
		ratelimit.Decision{Limit: 10, Remaining: 0, Reset: 5 * time.Second, RetryAfter: time.Second})
	want(t, "one refilled", take(t, s, k, l, Base.Add(time.Second), 1),
		ratelimit.Decision{Allowed: true, Limit: 10, Remaining: 0, Reset: 5 * time.Second})
	want(t, "half a token", take(t, s, k, l, Base.Add(1500*time.Millisecond), 1),
		ratelimit.Decision{Limit: 10, Remaining: 0, Reset: 4500 * time.Millisecond, RetryAfter: 500 * time.Millisecond})
	want(t, "full again", take(t, s, k, l, Base.Add(time.Minute), 1),
		ratelimit.Decision{Allowed: true, Limit: 10, Remaining: 4, Reset: time.Second})
}

func testKeys(t *testing.T, s ratelimit.Store) {
	l := ratelimit.Limit{Algorithm: ratelimit.FixedWindow, Limit: 1, Window: time.Minute}
	a, b := key(t)+"/tenant-a", key(t)+"/tenant-b"
	if !take(t, s, a, l, Base, 1).Allowed || take(t, s, a, l, Base, 1).Allowed {
		t.Fatal("tenant a: want one admitted, then rejected")
	}
	if !take(t, s, b, l, Base, 1).Allowed {
		t.Fatal("tenant b was limited by tenant a's requests")
	}
}

func testInvalid(t *testing.T, s ratelimit.Store) {
	for _, l := range []ratelimit.Limit{
		{Algorithm: ratelimit.FixedWindow, Limit: 0, Window: time.Second},
		{Algorithm: ratelimit.FixedWindow, Limit: 1, Window: time.Microsecond},
		{Algorithm: 0, Limit: 1, Window: time.Second},
		{Algorithm: ratelimit.TokenBucket, Limit: ratelimit.MaxRate + 1, Window: time.Second},
	} {
		if _, err := s.Take(context.Background(), key(t), l, Base, 1); err == nil {
			t.Errorf("Take with %+v: no error", l)
		}
	}
}

// testConcurrent sends 500 requests through 10 clients (simulated gateway
// instances) against a limit of 100: exactly 100 pass, for every algorithm.
func testConcurrent(t *testing.T, open Open) {
	const instances, requests, limit = 10, 500, 100
	stores := make([]ratelimit.Store, instances)
	for i := range stores {
		stores[i] = open()
	}
	for _, alg := range []ratelimit.Algorithm{ratelimit.FixedWindow, ratelimit.SlidingWindow, ratelimit.TokenBucket} {
		t.Run(alg.String(), func(t *testing.T) {
			l := ratelimit.Limit{Algorithm: alg, Limit: limit, Window: time.Minute}
			k := key(t)
			var admitted, failed atomic.Int64
			var firstErr atomic.Value
			var wg sync.WaitGroup
			work := make(chan int)
			for w := range 50 {
				s := stores[w%instances]
				wg.Go(func() {
					for range work {
						d, err := s.Take(context.Background(), k, l, Base, 1)
						switch {
						case err != nil:
							failed.Add(1)
							firstErr.CompareAndSwap(nil, err)
						case d.Allowed:
							admitted.Add(1)
						}
					}
				})
			}
			for i := range requests {
				work <- i
			}
			close(work)
			wg.Wait()
			if failed.Load() > 0 {
				t.Fatalf("%d requests failed, first: %v", failed.Load(), firstErr.Load())
			}
			if admitted.Load() != limit {
				t.Fatalf("admitted %d of %d, want exactly %d", admitted.Load(), requests, limit)
			}
		})
	}
}
