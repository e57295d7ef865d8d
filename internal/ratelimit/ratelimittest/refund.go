package ratelimittest

import (
	"context"
	"testing"
	"time"

	"github.com/portico/portico/internal/ratelimit"
)

// testRefund checks that a refunded unit can be taken again, exactly once,
// under every algorithm.
func testRefund(t *testing.T, s ratelimit.Store) {
	for _, alg := range []ratelimit.Algorithm{ratelimit.FixedWindow, ratelimit.SlidingWindow, ratelimit.TokenBucket} {
		t.Run(alg.String(), func(t *testing.T) {
			l := ratelimit.Limit{Algorithm: alg, Limit: 5, Window: time.Minute}
			k := key(t)
			now := Base.Add(10 * time.Second)
			if d := take(t, s, k, l, now, 5); !d.Allowed || d.Remaining != 0 {
				t.Fatalf("take 5 of 5: %+v", d)
			}
			if err := ratelimit.Refund(context.Background(), s, k, l, now); err != nil {
				t.Fatalf("Refund: %v", err)
			}
			if d := take(t, s, k, l, now, 1); !d.Allowed || d.Remaining != 0 {
				t.Fatalf("take the refunded unit: %+v", d)
			}
			if d := take(t, s, k, l, now, 1); d.Allowed {
				t.Fatalf("refund gave back more than one unit: %+v", d)
			}
		})
	}
}
