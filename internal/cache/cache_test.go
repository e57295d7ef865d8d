package cache_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/cache"
)

// clock is an injected clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func entry(clk *clock, body string, ttl time.Duration) *cache.Entry {
	return &cache.Entry{
		Status: 200, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte(body),
		StoredAt: clk.Now(), TTL: ttl, Tenant: "acme", API: "orders", Version: "v1", Path: "/v1/orders/1",
	}
}

func newCache(t *testing.T, cfg cache.Config) *cache.Cache {
	t.Helper()
	c, err := cache.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGetSetExpiry(t *testing.T) {
	clk := newClock()
	c := newCache(t, cache.Config{Now: clk.Now})
	ctx := context.Background()
	if e := c.Get(ctx, "acme:k"); e != nil {
		t.Fatal("empty cache hit")
	}
	if !c.Set(ctx, "acme:k", entry(clk, "hello", 10*time.Second)) {
		t.Fatal("Set refused a small fresh entry")
	}
	clk.Add(9 * time.Second)
	e := c.Get(ctx, "acme:k")
	if e == nil || string(e.Body) != "hello" {
		t.Fatalf("Get = %v, want hello", e)
	}
	if got := e.Age(clk.Now()); got != 9 {
		t.Fatalf("Age = %d, want 9", got)
	}
	clk.Add(time.Second)
	if e := c.Get(ctx, "acme:k"); e != nil {
		t.Fatal("served an entry at its expiry")
	}
	st := c.Stats()
	if st.Hits != 1 || st.Misses != 2 || st.Stored != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestSetRefuses(t *testing.T) {
	clk := newClock()
	c := newCache(t, cache.Config{Now: clk.Now, MaxEntryBytes: 1000})
	tests := []struct {
		name string
		e    *cache.Entry
	}{
		{"larger than MaxEntryBytes", entry(clk, string(make([]byte, 1000)), time.Minute)},
		{"already stale", entry(clk, "x", 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if c.Set(context.Background(), "acme:"+tc.name, tc.e) {
				t.Fatal("stored")
			}
			if c.Get(context.Background(), "acme:"+tc.name) != nil {
				t.Fatal("served")
			}
		})
	}
}

func TestL1BoundedByBytes(t *testing.T) {
	clk := newClock()
	c := newCache(t, cache.Config{Now: clk.Now, MaxBytes: 64 << 10, MaxEntryBytes: 8 << 10})
	body := string(make([]byte, 4<<10))
	for i := range 200 { // ~800 KiB offered to a 64 KiB cache
		c.Set(context.Background(), fmt.Sprintf("acme:%d", i), entry(clk, body, time.Hour))
	}
	st := c.Stats()
	if st.L1Bytes > 64<<10 {
		t.Fatalf("L1 holds %d bytes, bound is %d", st.L1Bytes, 64<<10)
	}
	if st.Evictions == 0 {
		t.Fatalf("no evictions recorded: %+v", st)
	}
}

// TestStampede: 1,000 concurrent misses of one key make exactly one fill,
// and every caller gets the filled entry.
func TestStampede(t *testing.T) {
	clk := newClock()
	c := newCache(t, cache.Config{Now: clk.Now})
	const n = 1000
	var fills atomic.Int32
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(n)
	var done sync.WaitGroup
	bodies := make([]string, n)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			e, _, err := c.Do(context.Background(), "acme:hot", func(context.Context) (*cache.Entry, error) {
				fills.Add(1)
				<-release // hold the fill open while the others pile up
				return entry(clk, "filled", time.Minute), nil
			})
			if err != nil || e == nil {
				t.Errorf("Do = %v, %v", e, err)
				return
			}
			bodies[i] = string(e.Body)
		}()
	}
	started.Wait()
	close(release)
	done.Wait()
	if got := fills.Load(); got != 1 {
		t.Fatalf("%d fills for %d concurrent misses, want 1", got, n)
	}
	for i, b := range bodies {
		if b != "filled" {
			t.Fatalf("caller %d got %q", i, b)
		}
	}
	if st := c.Stats(); st.Fills != 1 || st.Coalesced+st.Hits != n-1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestDoOutcomes(t *testing.T) {
	clk := newClock()
	boom := errors.New("upstream down")
	tests := []struct {
		name      string
		fill      func(context.Context) (*cache.Entry, error)
		wantErr   error
		wantBody  string
		wantAgain cache.Outcome // outcome of a second Do
	}{
		{"stored", func(context.Context) (*cache.Entry, error) { return entry(clk, "ok", time.Minute), nil }, nil, "ok", cache.Hit},
		{"not storable", func(context.Context) (*cache.Entry, error) { return nil, nil }, nil, "", cache.Filled},
		{"error", func(context.Context) (*cache.Entry, error) { return nil, boom }, boom, "", cache.Filled},
		{"too large", func(context.Context) (*cache.Entry, error) {
			return entry(clk, string(make([]byte, 2<<20)), time.Minute), nil
		}, nil, "", cache.Filled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCache(t, cache.Config{Now: clk.Now})
			e, out, err := c.Do(context.Background(), "acme:k", tc.fill)
			if out != cache.Filled || !errors.Is(err, tc.wantErr) {
				t.Fatalf("Do = %v, %v, want Filled, %v", out, err, tc.wantErr)
			}
			if got := ""; e != nil {
				got = string(e.Body)
				if got != tc.wantBody {
					t.Fatalf("body %q, want %q", got, tc.wantBody)
				}
			} else if tc.wantBody != "" {
				t.Fatalf("no entry, want %q", tc.wantBody)
			}
			_, out, _ = c.Do(context.Background(), "acme:k", tc.fill)
			if out != tc.wantAgain {
				t.Fatalf("second Do outcome %v, want %v", out, tc.wantAgain)
			}
		})
	}
}

func TestPurgeL1(t *testing.T) {
	clk := newClock()
	mk := func(tenant, api, ver, path string) *cache.Entry {
		e := entry(clk, path, time.Hour)
		e.Tenant, e.API, e.Version, e.Path = tenant, api, ver, path
		return e
	}
	all := map[string]*cache.Entry{
		"acme:1":  mk("acme", "orders", "v1", "/v1/orders/1"),
		"acme:2":  mk("acme", "orders", "v1", "/v1/orders/2"),
		"acme:3":  mk("acme", "orders", "v2", "/v2/orders/1"),
		"acme:4":  mk("acme", "users", "v1", "/v1/users/1"),
		"other:1": mk("other", "orders", "v1", "/v1/orders/1"),
	}
	all["acme:1"].Tags = []string{"orders"}
	all["acme:3"].Tags = []string{"v2", "orders"}
	all["other:1"].Tags = []string{"orders"}
	tests := []struct {
		name string
		sel  cache.Selector
		gone []string
	}{
		{"one path", cache.Selector{Tenant: "acme", API: "orders", Version: "v1", Path: "/v1/orders/1"}, []string{"acme:1"}},
		{"version", cache.Selector{Tenant: "acme", API: "orders", Version: "v1"}, []string{"acme:1", "acme:2"}},
		{"api", cache.Selector{Tenant: "acme", API: "orders"}, []string{"acme:1", "acme:2", "acme:3"}},
		{"tenant", cache.Selector{Tenant: "acme"}, []string{"acme:1", "acme:2", "acme:3", "acme:4"}},
		{"tag", cache.Selector{Tenant: "acme", Tag: "orders"}, []string{"acme:1", "acme:3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCache(t, cache.Config{Now: clk.Now})
			for k, e := range all {
				c.Set(context.Background(), k, e)
			}
			n, err := c.Purge(context.Background(), tc.sel)
			if err != nil || n != len(tc.gone) {
				t.Fatalf("Purge = %d, %v, want %d", n, err, len(tc.gone))
			}
			gone := map[string]bool{}
			for _, k := range tc.gone {
				gone[k] = true
			}
			for k := range all {
				if got := c.Get(context.Background(), k) != nil; got == gone[k] {
					t.Errorf("%s present=%v after purge", k, got)
				}
			}
		})
	}
	if _, err := newCache(t, cache.Config{}).Purge(context.Background(), cache.Selector{}); !errors.Is(err, cache.ErrNoTenant) {
		t.Fatalf("purge without tenant: %v", err)
	}
	if _, err := newCache(t, cache.Config{}).Purge(context.Background(), cache.Selector{Tenant: "acme", API: "orders", Tag: "x"}); !errors.Is(err, cache.ErrSelector) {
		t.Fatalf("purge by tag and API: %v", err)
	}
}
