package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Memory is the in-process Store: exact within one process, shared by
// nothing else. Keys whose state has expired are swept as the map grows, so
// memory stays proportional to the keys active in the last window.
type Memory struct {
	shards [memShards]memShard
}

const memShards = 64

type memShard struct {
	mu      sync.Mutex
	m       map[string]*memEntry
	sweepAt int // sweep expired entries when len(m) reaches it
}

type memEntry struct {
	st      State
	expires int64 // unix nanos after which the state is worthless
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory store.
func NewMemory() *Memory {
	m := &Memory{}
	for i := range m.shards {
		m.shards[i].m = make(map[string]*memEntry)
		m.shards[i].sweepAt = 1024
	}
	return m
}

// Take implements Store. It does not allocate for a key it has seen.
func (m *Memory) Take(_ context.Context, key string, l Limit, now time.Time, n int64) (Decision, error) {
	if err := l.Validate(); err != nil {
		return Decision{}, err
	}
	s := &m.shards[fnv32(key)%memShards]
	nowNs := now.UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[key]
	var st State
	if e != nil && e.expires > nowNs {
		st = e.st
	}
	d, next := Evaluate(l, now, Roll(l, now, st), n)
	if !d.Allowed {
		return d, nil
	}
	if e == nil {
		if len(s.m) >= s.sweepAt {
			s.sweep(nowNs)
		}
		e = &memEntry{}
		s.m[key] = e
	}
	e.st = next
	e.expires = nowNs + int64(Expiry(l, now, next))
	return d, nil
}

// sweep drops expired entries and sets the next sweep at twice the live
// size, so sweeping costs O(1) amortised per insert.
func (s *memShard) sweep(now int64) {
	for k, e := range s.m {
		if e.expires <= now {
			delete(s.m, k)
		}
	}
	s.sweepAt = max(1024, 2*len(s.m))
}

// Len is the number of keys held, expired or not.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// Expiry is how long a written state matters: until the end of the window
// after the current one (a sliding window still weighs it), or until the
// bucket is full again.
func Expiry(l Limit, now time.Time, st State) time.Duration {
	if l.Algorithm == TokenBucket {
		return max(us(st.TAT-Micros(now)), 0) + time.Millisecond
	}
	_, e := WindowIndex(l.Window, now)
	left := ms(l.Window.Milliseconds() - e)
	if l.Algorithm == SlidingWindow {
		left += l.Window
	}
	return left
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
