package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/ratelimit"
)

// counting counts the store's writes (takes of n != 0 units).
type counting struct {
	ratelimit.Store
	writes atomic.Int64
}

func (c *counting) Take(ctx context.Context, key string, l ratelimit.Limit, now time.Time, n int64) (ratelimit.Decision, error) {
	c.writes.Add(1)
	return c.Store.Take(ctx, key, l, now, n)
}

var leaseBase = time.Date(2026, 3, 2, 10, 0, 10, 0, time.UTC)

func mustTake(t *testing.T, s ratelimit.Store, k string, l ratelimit.Limit, now time.Time) ratelimit.Decision {
	t.Helper()
	d, err := s.Take(context.Background(), k, l, now, 1)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLeasingSpendsLocally(t *testing.T) {
	store := &counting{Store: ratelimit.NewMemory()}
	s := ratelimit.NewLeasing(store, ratelimit.LeaseConfig{Size: 10})
	l := ratelimit.Limit{Algorithm: ratelimit.FixedWindow, Limit: 25, Window: time.Minute}
	prev := int64(l.Limit)
	admitted := 0
	for i := range 40 {
		d := mustTake(t, s, "k", l, leaseBase.Add(time.Duration(i)*time.Millisecond))
		if d.Allowed {
			admitted++
		}
		if d.Remaining > prev {
			t.Fatalf("request %d: remaining went up %d -> %d", i, prev, d.Remaining)
		}
		prev = d.Remaining
	}
	if admitted != 25 {
		t.Fatalf("admitted %d, want 25 (the last 5 leased as a remainder)", admitted)
	}
	// 10 + 10 + a rejected 10 + the remaining 5 + one rejected 10; then
	// the rejection is remembered until the window ends.
	if got := store.writes.Load(); got != 5 {
		t.Fatalf("store writes = %d, want 5", got)
	}
	if d := mustTake(t, s, "k", l, leaseBase.Add(50*time.Second)); !d.Allowed || d.Remaining != 24 {
		t.Fatalf("next window: %+v, want a fresh lease", d)
	}
	if got := store.writes.Load(); got != 6 {
		t.Fatalf("store writes = %d, want 6", got)
	}
}

func TestLeasingRefundReturnsToLease(t *testing.T) {
	store := &counting{Store: ratelimit.NewMemory()}
	s := ratelimit.NewLeasing(store, ratelimit.LeaseConfig{Size: 2})
	l := ratelimit.Limit{Algorithm: ratelimit.FixedWindow, Limit: 2, Window: time.Minute}
	mustTake(t, s, "k", l, leaseBase)
	mustTake(t, s, "k", l, leaseBase)
	if d := mustTake(t, s, "k", l, leaseBase); d.Allowed {
		t.Fatalf("third of 2 admitted: %+v", d)
	}
	if err := ratelimit.Refund(context.Background(), s, "k", l, leaseBase); err != nil {
		t.Fatal(err)
	}
	if d := mustTake(t, s, "k", l, leaseBase); !d.Allowed {
		t.Fatalf("refunded unit not admitted: %+v", d)
	}
	if d := mustTake(t, s, "k", l, leaseBase); d.Allowed {
		t.Fatalf("refund gave back more than one unit: %+v", d)
	}
	if got := store.writes.Load(); got != 2 {
		t.Fatalf("store writes = %d, want 2 (one lease, one remembered rejection)", got)
	}
}

// TestLeasingInstances: 500 requests over 10 instances against 100/min.
// Window leases never over-admit; writes stay near requests/Size.
func TestLeasingInstances(t *testing.T) {
	const instances, requests, limit, size = 10, 500, 100, 10
	store := &counting{Store: ratelimit.NewMemory()}
	var ls []*ratelimit.Leasing
	for range instances {
		ls = append(ls, ratelimit.NewLeasing(store, ratelimit.LeaseConfig{Size: size}))
	}
	for _, alg := range []ratelimit.Algorithm{ratelimit.FixedWindow, ratelimit.SlidingWindow} {
		t.Run(alg.String(), func(t *testing.T) {
			store.writes.Store(0)
			l := ratelimit.Limit{Algorithm: alg, Limit: limit, Window: time.Minute}
			var admitted atomic.Int64
			var wg sync.WaitGroup
			for i := range requests {
				s := ls[i%instances]
				wg.Go(func() {
					if mustTake(t, s, "hot/"+alg.String(), l, leaseBase).Allowed {
						admitted.Add(1)
					}
				})
			}
			wg.Wait()
			if a := admitted.Load(); a > limit || a < limit-(size-1)*instances {
				t.Fatalf("admitted %d, want within [%d, %d]", a, limit-(size-1)*instances, limit)
			}
			if w := store.writes.Load(); float64(w)/requests > 0.1 {
				t.Fatalf("%d writes for %d requests: > 0.1 per request", w, requests)
			}
		})
	}
}

// TestLeasingBucketBound: a token bucket's leases are spent up to MaxAge
// (default Size/rate) after they were taken, so the instances together
// admit at most Size more than the bucket over any interval.
func TestLeasingBucketBound(t *testing.T) {
	const instances, size = 10, 10
	l := ratelimit.Limit{Algorithm: ratelimit.TokenBucket, Limit: 100, Window: time.Minute}
	store := ratelimit.NewMemory()
	var ls []*ratelimit.Leasing
	for range instances {
		ls = append(ls, ratelimit.NewLeasing(store, ratelimit.LeaseConfig{Size: size}))
	}
	// Every instance leases once, spends one unit, then the bucket refills
	// completely; all spend their leftovers and the whole bucket again.
	admitted := 0
	for _, s := range ls {
		if mustTake(t, s, "b", l, leaseBase).Allowed {
			admitted++
		}
	}
	at := leaseBase.Add(5 * time.Second) // < MaxAge = 6 s
	for i := range 200 {
		if mustTake(t, ls[i%instances], "b", l, at).Allowed {
			admitted++
		}
	}
	// The bucket alone admits 100 at leaseBase plus 5 s of refill (8).
	exact := 100 + 8
	if over := admitted - exact; over > size {
		t.Fatalf("admitted %d, exact %d: over-admission %d > lease %d", admitted, exact, over, size)
	}
	t.Logf("token bucket: admitted %d, exact %d", admitted, exact)
}
