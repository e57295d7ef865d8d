// Package redis is the Redis ratelimit.Store: one Lua script per decision,
// so a decision is one round trip and atomic across every gateway instance
// sharing the server. The script mirrors ratelimit.Evaluate; Go then
// recomputes the decision from the state the script read, so both agree by
// construction (and the conformance suite checks it).
package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/portico/portico/internal/ratelimit"
)

// script takes n units atomically. ARGV: algorithm, n, then per algorithm
// fixed: limit, ttl ms; sliding: limit, window ms, elapsed ms, ttl ms;
// bucket: now us, t us, b*t us, tolerance. KEYS: the current window (and
// the previous one for sliding), or the bucket. It returns {allowed, state
// read...}; numbers of the bucket as %.17g strings so no precision is lost.
var script = goredis.NewScript(`
local alg = ARGV[1]
local n = tonumber(ARGV[2])
if alg == 'f' then
  local limit, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
  local c = tonumber(redis.call('GET', KEYS[1]) or '0')
  if c + n <= limit then
    redis.call('INCRBY', KEYS[1], n)
    redis.call('PEXPIRE', KEYS[1], ttl)
    return {1, c}
  end
  return {0, c}
elseif alg == 's' then
  local limit, w, e, ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
  local c = tonumber(redis.call('GET', KEYS[1]) or '0')
  local p = tonumber(redis.call('GET', KEYS[2]) or '0')
  local weighted = 0
  if p > 0 then weighted = math.ceil(p * (w - e) / w) end
  if weighted + c + n <= limit then
    redis.call('INCRBY', KEYS[1], n)
    redis.call('PEXPIRE', KEYS[1], ttl)
    return {1, c, p}
  end
  return {0, c, p}
else
  local now, t, bt, tol = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
  local raw = redis.call('GET', KEYS[1])
  local tat = tonumber(raw or '0')
  local base = tat
  if now > base then base = now end
  local nxt = base + n * t
  if nxt - now <= bt + t * tol then
    redis.call('SET', KEYS[1], string.format('%.17g', nxt), 'PX', math.ceil((nxt - now) / 1000) + 1)
    return {1, string.format('%.17g', tat)}
  end
  return {0, string.format('%.17g', tat)}
end
`)

// Config configures New.
type Config struct {
	// Client is a go-redis client (single node, or a cluster: keys of one
	// decision share a hash tag).
	Client goredis.Scripter
	// Prefix starts every key; default "rl:".
	Prefix string
}

// Store is a ratelimit.Store on Redis. It is safe for concurrent use.
type Store struct {
	c      goredis.Scripter
	prefix string
}

var _ ratelimit.Store = (*Store)(nil)

// New returns a Store using cfg.Client.
func New(cfg Config) (*Store, error) {
	if cfg.Client == nil {
		return nil, errors.New("ratelimit/redis: nil Client")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "rl:"
	}
	return &Store{c: cfg.Client, prefix: cfg.Prefix}, nil
}

// Take implements ratelimit.Store in one round trip.
func (s *Store) Take(ctx context.Context, key string, l ratelimit.Limit, now time.Time, n int64) (ratelimit.Decision, error) {
	if err := l.Validate(); err != nil {
		return ratelimit.Decision{}, err
	}
	base := s.prefix + "{" + key + "}"
	idx, e := ratelimit.WindowIndex(l.Window, now)
	w := l.Window.Milliseconds()
	var keys []string
	var args []any
	switch l.Algorithm {
	case ratelimit.FixedWindow:
		keys = []string{base + ":" + strconv.FormatInt(idx, 10)}
		args = []any{"f", n, l.Limit, w - e}
	case ratelimit.SlidingWindow:
		keys = []string{base + ":" + strconv.FormatInt(idx, 10), base + ":" + strconv.FormatInt(idx-1, 10)}
		args = []any{"s", n, l.Limit, w, e, 2*w - e}
	case ratelimit.TokenBucket:
		t := float64(l.Window.Microseconds()) / float64(l.Limit)
		keys = []string{base + ":b"}
		args = []any{"b", n, fmtFloat(ratelimit.Micros(now)), fmtFloat(t), fmtFloat(float64(l.Capacity()) * t), "0.001"}
	}
	res, err := script.Run(ctx, s.c, keys, args...).Slice()
	if err != nil {
		return ratelimit.Decision{}, fmt.Errorf("%w: redis: %w", ratelimit.ErrUnavailable, err)
	}
	st := ratelimit.State{Index: idx}
	allowed, ok := res[0].(int64)
	if !ok || len(res) < 2 {
		return ratelimit.Decision{}, fmt.Errorf("%w: redis: unexpected reply %v", ratelimit.ErrUnavailable, res)
	}
	switch l.Algorithm {
	case ratelimit.FixedWindow:
		st.Count, _ = res[1].(int64)
	case ratelimit.SlidingWindow:
		st.Count, _ = res[1].(int64)
		if len(res) > 2 {
			st.Prev, _ = res[2].(int64)
		}
	case ratelimit.TokenBucket:
		raw, _ := res[1].(string)
		if st.TAT, err = strconv.ParseFloat(raw, 64); err != nil {
			return ratelimit.Decision{}, fmt.Errorf("%w: redis: bucket state %q: %w", ratelimit.ErrUnavailable, raw, err)
		}
	}
	d, _ := ratelimit.Evaluate(l, now, st, n)
	if d.Allowed != (allowed == 1) {
		return ratelimit.Decision{}, fmt.Errorf("%w: redis: script and Evaluate disagree on %+v", ratelimit.ErrUnavailable, st)
	}
	return d, nil
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', 17, 64) }
