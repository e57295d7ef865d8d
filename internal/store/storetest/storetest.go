// Package storetest is the conformance suite of the store port: every
// adapter runs Run against a fresh instance per subtest, so that the
// embedded and the DynamoDB adapters are held to the same behaviour.
package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/store"
)

// Factory returns a new, empty store whose clock (used for ExpiresAt) is
// now, and registers its own cleanup on t. Run calls it once per subtest,
// possibly from parallel subtests.
type Factory func(t *testing.T, now func() time.Time) store.Store

// Run runs the conformance suite against stores made by newStore.
func Run(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store, clk *clock)
	}{
		{"GetPutDelete", testGetPutDelete},
		{"Conditions", testConditions},
		{"InvalidRequests", testInvalidRequests},
		{"Transact", testTransact},
		{"TransactLimits", testTransactLimits},
		{"Query", testQuery},
		{"QueryPagination", testQueryPagination},
		{"QueryLimits", testQueryLimits},
		{"InvalidCursor", testInvalidCursor},
		{"Index", testIndex},
		{"Expiry", testExpiry},
		{"TenantIsolation", testTenantIsolation},
		{"ConcurrentConditionalPuts", testConcurrentPuts},
		{"BinaryData", testBinaryData},
		{"LargeItem", testLargeItem},
		{"CanceledContext", testCanceledContext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
			tt.fn(t, newStore(t, clk.Now), clk)
		})
	}
}

// clock is a manually advanced clock, safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(t time.Time) *clock { return &clock{now: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
