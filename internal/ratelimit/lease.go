package ratelimit

import (
	"context"
	"sync"
	"time"
)

// LeaseConfig configures NewLeasing.
type LeaseConfig struct {
	// Size is how many units one store write takes for a key; at least 2
	// (1 would be no leasing).
	Size int64
	// MaxAge bounds how long a token-bucket lease may be spent after it was
	// taken; 0 means Size/rate, the time the bucket takes to refill one
	// lease. Window leases always end with their window.
	MaxAge time.Duration
}

// Leasing is a Store that takes units from another Store Size at a time
// and spends them locally, so a hot key costs one store write per Size
// requests (docs/ratelimit.md, "Token leasing"). One Leasing is one
// gateway instance; instances share the underlying store's state only.
//
// A lease of a fixed or sliding window is counted in its window and dies
// with it, so leasing never over-admits there; a token-bucket lease may be
// spent up to MaxAge after it was taken, so over any interval the
// instances together admit at most min(Size x instances, rate x MaxAge)
// more than the bucket would. Units leased but not spent are lost
// (under-admission of at most Size-1 per instance and key). When the store
// rejects, the rejection is remembered until its RetryAfter, so an
// exhausted key costs no writes.
type Leasing struct {
	store  Store
	size   int64
	maxAge time.Duration

	mu      sync.Mutex
	m       map[string]*lease
	sweepAt int
}

type lease struct {
	mu     sync.Mutex
	window int64     // window index of the units (window algorithms)
	taken  time.Time // when the units were taken
	until  time.Time // units and the denial are void from then on
	units  int64     // leased units not yet spent
	store  int64     // the store's remaining after the last write
	reset  time.Time // the store's reset after the last write
	denied time.Time // rejected until then (zero: not denied)
}

var _ Store = (*Leasing)(nil)

// NewLeasing returns a Leasing over store. It panics if cfg.Size < 2.
func NewLeasing(store Store, cfg LeaseConfig) *Leasing {
	if cfg.Size < 2 {
		panic("ratelimit: lease size < 2")
	}
	return &Leasing{store: store, size: cfg.Size, maxAge: cfg.MaxAge, m: make(map[string]*lease), sweepAt: 1024}
}

// Take implements Store. Refunds (n < 0) go back to a live lease; requests
// for more than Size units, and refunds without a live lease, go to the
// store directly.
func (s *Leasing) Take(ctx context.Context, key string, l Limit, now time.Time, n int64) (Decision, error) {
	if err := l.Validate(); err != nil {
		return Decision{}, err
	}
	if n > s.size || n == 0 {
		return s.store.Take(ctx, key, l, now, n)
	}
	e := s.entry(key, now)
	e.mu.Lock()
	defer e.mu.Unlock()
	live := s.live(e, l, now)
	if n < 0 {
		if !live {
			return s.store.Take(ctx, key, l, now, n)
		}
		e.units -= n
		return s.decision(e, l, now, true), nil
	}
	if !live {
		e.units, e.denied, e.taken, e.until = 0, time.Time{}, time.Time{}, time.Time{}
	}
	if e.units >= n {
		e.units -= n
		return s.decision(e, l, now, true), nil
	}
	if !e.denied.IsZero() && now.Before(e.denied) {
		d := s.decision(e, l, now, false)
		d.RetryAfter = e.denied.Sub(now)
		return d, nil
	}
	// Take a lease; if the store has less left, take what it has.
	want := s.size
	for range 3 {
		d, err := s.store.Take(ctx, key, l, now, want)
		if err != nil {
			return Decision{}, err
		}
		if d.Allowed {
			s.fill(e, l, now, want, d)
			e.units -= n
			return s.decision(e, l, now, true), nil
		}
		if d.Remaining < n-e.units || d.Remaining >= want {
			e.denied = now.Add(d.RetryAfter)
			e.store, e.reset = d.Remaining, now.Add(d.Reset)
			s.setUntil(e, l, now)
			d.Remaining += e.units
			return d, nil
		}
		want = d.Remaining
	}
	d := s.decision(e, l, now, false)
	d.RetryAfter = time.Millisecond
	return d, nil
}

// live reports whether e's units and denial still apply at now.
func (s *Leasing) live(e *lease, l Limit, now time.Time) bool {
	if e.until.IsZero() || now.Before(e.taken) || !now.Before(e.until) {
		return false
	}
	if l.Algorithm != TokenBucket {
		idx, _ := WindowIndex(l.Window, now)
		return idx == e.window
	}
	return true
}

func (s *Leasing) fill(e *lease, l Limit, now time.Time, got int64, d Decision) {
	if e.units == 0 || e.taken.IsZero() {
		e.taken = now
	}
	e.units += got
	e.store, e.reset = d.Remaining, now.Add(d.Reset)
	e.denied = time.Time{}
	s.setUntil(e, l, now)
}

func (s *Leasing) setUntil(e *lease, l Limit, now time.Time) {
	if l.Algorithm != TokenBucket {
		idx, el := WindowIndex(l.Window, now)
		e.window = idx
		e.taken = now.Add(-ms(el))
		e.until = now.Add(ms(l.Window.Milliseconds() - el))
		return
	}
	age := s.maxAge
	if age <= 0 {
		age = time.Duration(float64(l.Window) * float64(s.size) / float64(l.Limit))
	}
	if e.taken.IsZero() || e.units == 0 {
		e.taken = now
	}
	e.until = e.taken.Add(age)
	if !e.denied.IsZero() && e.denied.After(e.until) {
		e.until = e.denied
	}
}

// decision reports what this instance knows: the store's remaining at its
// last write plus the units it still holds, which never increases within a
// window.
func (s *Leasing) decision(e *lease, l Limit, now time.Time, allowed bool) Decision {
	d := Decision{Allowed: allowed, Limit: l.Limit, Remaining: e.store + e.units}
	if l.Algorithm != TokenBucket {
		_, el := WindowIndex(l.Window, now)
		d.Reset = ms(l.Window.Milliseconds() - el)
	} else {
		d.Reset = max(e.reset.Sub(now), 0)
	}
	return d
}

// entry returns key's lease, creating it; expired entries are swept as the
// map grows, so memory follows the keys active recently.
func (s *Leasing) entry(key string, now time.Time) *lease {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[key]
	if e == nil {
		if len(s.m) >= s.sweepAt {
			for k, old := range s.m {
				if old.mu.TryLock() {
					if old.until.IsZero() || !now.Before(old.until) {
						delete(s.m, k)
					}
					old.mu.Unlock()
				}
			}
			s.sweepAt = max(1024, 2*len(s.m))
		}
		e = &lease{}
		s.m[key] = e
	}
	return e
}
