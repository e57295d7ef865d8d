package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Algorithm selects how requests are counted.
type Algorithm uint8

// Algorithms.
const (
	// FixedWindow counts requests per aligned window; up to 2x Limit can
	// pass in a short burst across a window boundary.
	FixedWindow Algorithm = iota + 1
	// SlidingWindow is the weighted two-window counter: the previous
	// window's count, weighted by how much of it the sliding window still
	// covers, plus the current window's count.
	SlidingWindow
	// TokenBucket is GCRA: a bucket of Burst tokens refilled at
	// Limit/Window.
	TokenBucket
)

func (a Algorithm) String() string {
	switch a {
	case FixedWindow:
		return "fixedWindow"
	case SlidingWindow:
		return "slidingWindow"
	case TokenBucket:
		return "tokenBucket"
	}
	return "unknown"
}

// MaxRate is the fastest token-bucket rate (per second) Evaluate accepts:
// GCRA's state is a float64 of microseconds since Epoch (the Redis script
// has only doubles), whose rounding stays far below tolerance up to it.
const MaxRate = 10_000

// Limit is one rate limit.
type Limit struct {
	Algorithm Algorithm
	// Limit is how many requests a Window admits.
	Limit int64
	// Window is a whole number of milliseconds, at least 1 ms.
	Window time.Duration
	// Burst is the token bucket's capacity; 0 means Limit.
	Burst int64
}

// ErrInvalidLimit is returned for a Limit that Validate refuses.
var ErrInvalidLimit = errors.New("ratelimit: invalid limit")

// ErrUnavailable wraps a store error: the state could not be read or
// written, so no decision was made.
var ErrUnavailable = errors.New("ratelimit: store unavailable")

// Validate reports whether l can be evaluated.
func (l Limit) Validate() error {
	switch {
	case l.Algorithm < FixedWindow || l.Algorithm > TokenBucket:
		return fmt.Errorf("%w: unknown algorithm %d", ErrInvalidLimit, l.Algorithm)
	case l.Limit < 1:
		return fmt.Errorf("%w: limit %d < 1", ErrInvalidLimit, l.Limit)
	case l.Window < time.Millisecond || l.Window%time.Millisecond != 0:
		return fmt.Errorf("%w: window %v is not a whole number of milliseconds", ErrInvalidLimit, l.Window)
	case l.Burst < 0:
		return fmt.Errorf("%w: burst %d < 0", ErrInvalidLimit, l.Burst)
	case l.Algorithm == TokenBucket && float64(l.Limit)/l.Window.Seconds() > MaxRate:
		return fmt.Errorf("%w: token bucket faster than %d/s", ErrInvalidLimit, MaxRate)
	}
	return nil
}

// Capacity is the most requests that can pass at one instant.
func (l Limit) Capacity() int64 {
	if l.Algorithm == TokenBucket && l.Burst > 0 {
		return l.Burst
	}
	return l.Limit
}

// Decision is the outcome of one request against one limit.
type Decision struct {
	Allowed bool
	// Limit is the quota per window (Limit.Limit).
	Limit int64
	// Remaining is how many more requests would pass now. Within a fixed
	// window it never increases; sliding windows and buckets regain quota
	// only as time passes, never through a request.
	Remaining int64
	// Reset is when the quota is whole again: the end of the current
	// window, or when the bucket is full.
	Reset time.Duration
	// RetryAfter is, for a rejected request, the earliest time it would
	// pass if nothing else were admitted; 0 when allowed.
	RetryAfter time.Duration
}

// Store applies a Limit to a key atomically: the request is admitted and
// counted, or rejected and not counted. Keys are opaque; callers scope them
// (the gateway prefixes every key with its tenant).
type Store interface {
	// Take asks for n units of key's quota under l at now. A store error
	// wraps ErrUnavailable.
	Take(ctx context.Context, key string, l Limit, now time.Time, n int64) (Decision, error)
}

// State is what a Store keeps per key. Which fields matter depends on the
// algorithm: Count (fixed window); Count and Prev, the counts of the
// windows Index and Index-1 (sliding window); TAT, the theoretical arrival
// time in microseconds since Epoch (token bucket).
type State struct {
	Index int64
	Count int64
	Prev  int64
	TAT   float64
}

// Epoch is the origin of token-bucket times: float64 microseconds since it
// stay exact to about 0.01 us for decades.
var Epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

var epochMicros = Epoch.UnixMicro()

// WindowIndex is the number of the window holding now (windows are aligned
// to the Unix epoch), and the milliseconds elapsed in it.
func WindowIndex(w time.Duration, now time.Time) (idx, elapsed int64) {
	wms := w.Milliseconds()
	ms := now.UnixMilli()
	idx = ms / wms
	if ms < 0 && ms%wms != 0 {
		idx--
	}
	return idx, ms - idx*wms
}

// Micros is now as GCRA measures it: microseconds since Epoch.
func Micros(now time.Time) float64 { return float64(now.UnixMicro() - epochMicros) }

// Evaluate decides n units against l at now, given the key's state as
// read, and returns the state to write when allowed. st must already be
// rolled to now's window (see Roll). It is the single definition of every
// algorithm: the Redis script mirrors it operation for operation, and the
// conformance suite checks they agree.
func Evaluate(l Limit, now time.Time, st State, n int64) (Decision, State) {
	d := Decision{Limit: l.Limit}
	switch l.Algorithm {
	case FixedWindow:
		_, e := WindowIndex(l.Window, now)
		w := l.Window.Milliseconds()
		d.Reset = ms(w - e)
		if st.Count+n <= l.Limit {
			st.Count += n
			d.Allowed = true
		} else {
			d.RetryAfter = d.Reset
		}
		d.Remaining = max(0, l.Limit-st.Count)
	case SlidingWindow:
		_, e := WindowIndex(l.Window, now)
		w := l.Window.Milliseconds()
		used := Weighted(st.Prev, w, e) + st.Count
		d.Reset = ms(w - e)
		if used+n <= l.Limit {
			st.Count += n
			used += n
			d.Allowed = true
		} else {
			d.RetryAfter = slidingRetry(l.Limit, w, e, st.Prev, st.Count, n)
		}
		d.Remaining = max(0, l.Limit-used)
	case TokenBucket:
		t := float64(l.Window.Microseconds()) / float64(l.Limit)
		bt := float64(l.Capacity()) * t
		nowUs := Micros(now)
		tat := max(st.TAT, nowUs)
		next := tat + float64(n)*t
		if next-nowUs <= bt+t*tolerance {
			st.TAT = next
			tat = next
			d.Allowed = true
		} else {
			d.RetryAfter = us(next - nowUs - bt)
		}
		d.Remaining = max(0, int64(math.Floor((bt+t*tolerance-(tat-nowUs))/t)))
		d.Reset = us(tat - nowUs)
	}
	return d, st
}

// Roll moves a stored window state to now's window: counts of windows
// that ended are dropped or become Prev.
func Roll(l Limit, now time.Time, st State) State {
	if l.Algorithm == TokenBucket {
		return st
	}
	idx, _ := WindowIndex(l.Window, now)
	switch {
	case st.Index == idx:
	case st.Index == idx-1 && l.Algorithm == SlidingWindow:
		st.Prev, st.Count = st.Count, 0
	default:
		st.Prev, st.Count = 0, 0
	}
	st.Index = idx
	return st
}

// Weighted is the previous window's share of the sliding window, rounded
// up: ceil(prev*(w-e)/w) in float64, exactly as the Redis script computes.
func Weighted(prev, w, e int64) int64 {
	if prev == 0 {
		return 0
	}
	return int64(math.Ceil(float64(prev) * float64(w-e) / float64(w)))
}

// slidingRetry is the wait until a sliding window admits n more, if
// nothing else is admitted meanwhile.
func slidingRetry(limit, w, e, prev, cur, n int64) time.Duration {
	if n > limit {
		return ms(2*w - e) // never; report two windows
	}
	if cur+n <= limit {
		// The previous window's weight must fall: prev*(w-t)/w <= limit-n-cur.
		t := w - (limit-n-cur)*w/prev
		return ms(max(t-e, 1))
	}
	// Wait for the next window, where cur is the previous one.
	t := w - (limit-n)*w/cur
	return ms(w - e + max(t, 0))
}

// tolerance absorbs float64 rounding in GCRA: a token counts as there
// when all but a thousandth of it has refilled.
const tolerance = 1e-3

func ms(v int64) time.Duration { return time.Duration(v) * time.Millisecond }

func us(v float64) time.Duration {
	return time.Duration(math.Ceil(v)) * time.Microsecond
}
