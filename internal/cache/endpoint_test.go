package cache_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/portico/portico/internal/cache"
)

// TestEndpointStats: stored entries, L1 bytes and evictions are counted per
// tenant and endpoint; hits and misses are what the gateway reports.
func TestEndpointStats(t *testing.T) {
	clk := newClock()
	c := newCache(t, cache.Config{Now: clk.Now, MaxBytes: 64 << 10, MaxEntryBytes: 8 << 10})
	ctx := context.Background()
	body := string(make([]byte, 4<<10))
	small := entry(clk, "x", time.Hour)
	small.Endpoint = "small"
	c.Set(ctx, "acme:small", small)
	for i := range 100 { // ~400 KiB offered to a 64 KiB cache
		e := entry(clk, body, time.Hour)
		e.Endpoint = "big"
		c.Set(ctx, fmt.Sprintf("acme:%d", i), e)
	}
	other := entry(clk, "y", time.Hour)
	other.Tenant, other.Endpoint = "globex", "small"
	c.Set(ctx, "globex:small", other)
	c.Endpoint("acme", "small").Hit()
	c.Endpoint("acme", "small").Miss()

	st := c.EndpointStats("acme")
	if len(st) != 2 || st[0].Endpoint != "big" || st[1].Endpoint != "small" {
		t.Fatalf("endpoints %+v, want big and small of acme", st)
	}
	big, sm := st[0], st[1]
	if big.Stored != 100 || big.Evictions == 0 || big.Bytes > 64<<10 || big.Bytes != big.Entries*int64(entry(clk, body, 0).Size()+len("big")) {
		t.Fatalf("big: %+v", big)
	}
	if sm.Hits != 1 || sm.Misses != 1 || sm.Stored != 1 {
		t.Fatalf("small: %+v", sm)
	}
	all := c.Stats()
	if got := big.Bytes + sm.Bytes + c.EndpointStats("globex")[0].Bytes; got != all.L1Bytes {
		t.Fatalf("endpoint bytes sum to %d, L1 holds %d", got, all.L1Bytes)
	}
	// A purge takes the bytes out too.
	if _, err := c.Purge(ctx, cache.Selector{Tenant: "acme"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range c.EndpointStats("acme") {
		if s.Bytes != 0 || s.Entries != 0 {
			t.Fatalf("after purge: %+v", s)
		}
	}
}
