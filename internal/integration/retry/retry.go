// Package retry decides whether and when an upstream call is tried again:
// exponential backoff with full jitter, Retry-After, the statuses and
// methods that may be retried, and a retry budget that stops retries from
// multiplying the load on a failing upstream.
package retry

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// DefaultStatuses are retried when a policy names none.
var DefaultStatuses = []int{http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}

// Defaults for a policy's zero fields.
const (
	DefaultBaseDelay = 100 * time.Millisecond
	DefaultMaxDelay  = 2 * time.Second
	// MaxRetryAfter caps an honoured Retry-After; longer waits are not
	// retried (the response goes back to the client).
	MaxRetryAfter = 10 * time.Second
)

// Policy is a compiled retry policy.
type Policy struct {
	MaxAttempts int // including the first; < 2 means no retries
	BaseDelay   time.Duration
	MaxDelay    time.Duration
	Statuses    []int
}

// Normalized returns p with defaults filled in.
func (p Policy) Normalized() Policy {
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = max(DefaultMaxDelay, p.BaseDelay)
	}
	if len(p.Statuses) == 0 {
		p.Statuses = DefaultStatuses
	}
	return p
}

// RetryableStatus reports whether status is one p retries.
func (p Policy) RetryableStatus(status int) bool { return slices.Contains(p.Statuses, status) }

// Backoff returns the delay before retry number n (1 for the first retry):
// "full jitter", a uniform draw in [0, min(MaxDelay, BaseDelay*2^(n-1))).
// rnd returns a float in [0, 1).
func (p Policy) Backoff(n int, rnd func() float64) time.Duration {
	ceil := float64(p.BaseDelay) * math.Pow(2, float64(n-1))
	if ceil > float64(p.MaxDelay) || math.IsInf(ceil, 0) {
		ceil = float64(p.MaxDelay)
	}
	return time.Duration(rnd() * ceil)
}

// Replayable reports whether a request may be sent again: idempotent
// methods (RFC 9110 section 9.2.2), or any method carrying an
// Idempotency-Key.
func Replayable(method string, h http.Header) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return h.Get("Idempotency-Key") != ""
}

// RetryAfter parses a Retry-After value (delay-seconds or an HTTP date)
// relative to now. ok is false when absent or unparsable.
func RetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(time.Hour/time.Second) {
			n = int64(time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// Budget limits retries to a fraction of the traffic, as gRPC's retry
// throttling does: it holds up to Max tokens (starts full); a failed
// attempt takes one, a success gives Ratio back; retries are allowed only
// while more than half the tokens remain. A failing upstream thus gets at
// most about Ratio extra attempts per request once the budget is spent,
// instead of MaxAttempts times the load.
type Budget struct {
	mu     sync.Mutex
	tokens float64
	max    float64
	ratio  float64
}

// NewBudget returns a full budget; zero arguments mean 10 tokens, ratio 0.1.
func NewBudget(maxTokens, ratio float64) *Budget {
	if maxTokens <= 0 {
		maxTokens = 10
	}
	if ratio <= 0 {
		ratio = 0.1
	}
	return &Budget{tokens: maxTokens, max: maxTokens, ratio: ratio}
}

// Success records a successful attempt.
func (b *Budget) Success() {
	b.mu.Lock()
	b.tokens = min(b.max, b.tokens+b.ratio)
	b.mu.Unlock()
}

// Failure records a failed attempt and reports whether a retry may follow.
func (b *Budget) Failure() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = max(0, b.tokens-1)
	return b.tokens > b.max/2
}

// Tokens returns the current token count (for health reports).
func (b *Budget) Tokens() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokens
}
