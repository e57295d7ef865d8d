package ratelimit

import (
	"context"
	"time"
)

// Refund gives back one unit that Take admitted for key under l at now: the
// gateway calls it when a request passed this limit but another limit of
// the same request rejected it, so a rejected request consumes no quota.
//
// It is Take with n = -1 at the take's own now, so every store applies it
// with the script or condition that admitted the unit, and to the same
// window. Between the take and the refund the unit is held: a concurrent
// request can only be rejected spuriously (under-admission, bounded by the
// requests in flight), never admitted over the limit. A refund that fails
// loses one unit until the window ends (docs/ratelimit.md).
func Refund(ctx context.Context, s Store, key string, l Limit, now time.Time) error {
	_, err := s.Take(ctx, key, l, now, -1)
	return err
}
