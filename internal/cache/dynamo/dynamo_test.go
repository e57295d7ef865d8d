package dynamo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portico/portico/internal/cache"
	"github.com/portico/portico/internal/cache/dynamo"
	storedynamo "github.com/portico/portico/internal/store/dynamo"
	"github.com/portico/portico/internal/testenv/dynamolocal"
)

var tableSeq atomic.Int32

// open starts (once per test) DynamoDB Local with a fresh table and
// returns a store on it with the clock now, and the raw client.
func open(t *testing.T, now func() time.Time) (*dynamo.Store, *dynamodb.Client, func(func() time.Time) *dynamo.Store) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts DynamoDB Local")
	}
	endpoint := dynamolocal.Start(t)
	client := dynamolocal.NewClient(endpoint)
	table := "portico" + strconv.Itoa(int(tableSeq.Add(1)))
	if err := storedynamo.CreateTable(context.Background(), client, table); err != nil {
		t.Fatal(err)
	}
	mk := func(now func() time.Time) *dynamo.Store {
		s, err := dynamo.New(dynamo.Config{Client: dynamolocal.NewClient(endpoint), Table: table, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return mk(now), client, mk
}

func entry(now time.Time, tenant, api, ver, path string) *cache.Entry {
	return &cache.Entry{Status: 200, Header: http.Header{"Etag": {`"1"`}}, Body: []byte(path), StoredAt: now, TTL: time.Minute,
		Tenant: tenant, API: api, Version: ver, Path: path}
}

func TestStore(t *testing.T) {
	var clock atomic.Int64
	t0 := time.Now().Truncate(time.Second)
	clock.Store(t0.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	s, client, mk := open(t, now)
	ctx := context.Background()

	t.Run("SetGetTTL", func(t *testing.T) {
		if e, err := s.Get(ctx, "acme:k"); e != nil || err != nil {
			t.Fatalf("Get of nothing = %v, %v", e, err)
		}
		if err := s.Set(ctx, "acme:k", entry(now(), "acme", "orders", "v1", "/v1/orders/1")); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "acme:k")
		if err != nil || got == nil || string(got.Body) != "/v1/orders/1" || got.Header.Get("Etag") != `"1"` {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		// The table's TTL attribute is set just past the entry's expiry.
		out, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(tableName(t, client))})
		if err != nil || len(out.Items) != 1 {
			t.Fatalf("scan: %d items, %v", len(out.Items), err)
		}
		if ttl := out.Items[0]["TTL"].(*types.AttributeValueMemberN).Value; ttl != strconv.FormatInt(t0.Add(time.Minute).Unix()+1, 10) {
			t.Errorf("TTL = %s, want expiry+1s", ttl)
		}
		if pk := out.Items[0]["PK"].(*types.AttributeValueMemberS).Value; pk != "CACHE#acme" {
			t.Errorf("PK = %s", pk)
		}
		// DynamoDB deletes lazily: an expired item is a miss at once.
		clock.Add(int64(time.Minute))
		if e, err := s.Get(ctx, "acme:k"); e != nil || err != nil {
			t.Fatalf("expired entry served: %v, %v", e, err)
		}
		if err := s.Set(ctx, "acme:late", entry(now().Add(-2*time.Minute), "acme", "o", "v1", "/v1/x")); err != nil {
			t.Fatal(err)
		}
		if e, _ := s.Get(ctx, "acme:late"); e != nil {
			t.Fatal("an expired entry was written")
		}
	})

	t.Run("StaleWindowKept", func(t *testing.T) {
		e := entry(now(), "acme", "orders", "v1", "/v1/orders/stale")
		e.StaleIfError = 5 * time.Minute
		if err := s.Set(ctx, "acme:stale", e); err != nil {
			t.Fatal(err)
		}
		// Past the TTL, within the window: Get still returns it (the
		// cache tells stale from fresh); past the window it is gone.
		clock.Add(int64(2 * time.Minute))
		if got, err := s.Get(ctx, "acme:stale"); err != nil || got == nil || got.StaleIfError != 5*time.Minute {
			t.Fatalf("Get within the stale window = %+v, %v", got, err)
		}
		clock.Add(int64(4 * time.Minute))
		if got, err := s.Get(ctx, "acme:stale"); err != nil || got != nil {
			t.Fatalf("Get after the stale window = %+v, %v", got, err)
		}
	})

	t.Run("TooLargeNotWritten", func(t *testing.T) {
		e := entry(now(), "acme", "orders", "v1", "/v1/big")
		e.Body = bytes.Repeat([]byte("x"), dynamo.MaxEntryBytes)
		if err := s.Set(ctx, "acme:big", e); err != nil {
			t.Fatalf("Set of a large entry: %v", err)
		}
		if got, err := s.Get(ctx, "acme:big"); got != nil || err != nil {
			t.Fatalf("large entry = %v, %v; want not stored", got, err)
		}
	})

	t.Run("KeyWithoutTenant", func(t *testing.T) {
		if _, err := s.Get(ctx, "nokey"); err == nil {
			t.Fatal("key without tenant accepted")
		}
	})

	t.Run("Purge", func(t *testing.T) {
		all := map[string]*cache.Entry{
			"acme:1":  entry(now(), "acme", "orders", "v1", "/v1/orders/1"),
			"acme:1b": entry(now(), "acme", "orders", "v1", "/v1/orders/1"),
			"acme:2":  entry(now(), "acme", "orders", "v1", "/v1/orders/2"),
			"acme:3":  entry(now(), "acme", "orders", "v2", "/v2/orders/1"),
			"acme:4":  entry(now(), "acme", "users", "v1", "/v1/users/1"),
			"other:1": entry(now(), "other", "orders", "v1", "/v1/orders/1"),
		}
		all["acme:1"].Tags = []string{"orders"}
		all["acme:3"].Tags = []string{"v2", "orders"}
		all["other:1"].Tags = []string{"orders"}
		tests := []struct {
			name string
			sel  cache.Selector
			gone []string
		}{
			{"one path, every variant", cache.Selector{Tenant: "acme", API: "orders", Version: "v1", Path: "/v1/orders/1"}, []string{"acme:1", "acme:1b"}},
			{"version", cache.Selector{Tenant: "acme", API: "orders", Version: "v1"}, []string{"acme:1", "acme:1b", "acme:2"}},
			{"api", cache.Selector{Tenant: "acme", API: "orders"}, []string{"acme:1", "acme:1b", "acme:2", "acme:3"}},
			{"tenant", cache.Selector{Tenant: "acme"}, []string{"acme:1", "acme:1b", "acme:2", "acme:3", "acme:4"}},
			{"tag", cache.Selector{Tenant: "acme", Tag: "orders"}, []string{"acme:1", "acme:3"}},
			{"other tag", cache.Selector{Tenant: "acme", Tag: "v2"}, []string{"acme:3"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := s.Purge(ctx, cache.Selector{Tenant: "acme"}); err != nil {
					t.Fatal(err)
				}
				for k, e := range all {
					if err := s.Set(ctx, k, e); err != nil {
						t.Fatal(err)
					}
				}
				n, err := s.Purge(ctx, tc.sel)
				if err != nil || n != len(tc.gone) {
					t.Fatalf("Purge = %d, %v; want %d", n, err, len(tc.gone))
				}
				gone := map[string]bool{}
				for _, k := range tc.gone {
					gone[k] = true
				}
				for k := range all {
					e, err := s.Get(ctx, k)
					if err != nil || (e == nil) != gone[k] {
						t.Errorf("%s present=%v (%v) after purge", k, e != nil, err)
					}
				}
			})
		}
		if _, err := s.Purge(ctx, cache.Selector{}); err == nil {
			t.Fatal("purge without tenant")
		}
		if _, err := s.Purge(ctx, cache.Selector{Tenant: "acme", API: "orders", Tag: "orders"}); !errors.Is(err, cache.ErrSelector) {
			t.Fatalf("a tag with an API: %v", err)
		}
	})

	t.Run("PurgeManyBatches", func(t *testing.T) {
		for i := range 60 {
			if err := s.Set(ctx, fmt.Sprintf("bulk:%d", i), entry(now(), "bulk", "a", "v1", "/v1/x")); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := s.Purge(ctx, cache.Selector{Tenant: "bulk"}); err != nil || n != 60 {
			t.Fatalf("Purge = %d, %v; want 60", n, err)
		}
		if n, err := s.Purge(ctx, cache.Selector{Tenant: "bulk"}); err != nil || n != 0 {
			t.Fatalf("second Purge = %d, %v; want 0", n, err)
		}
	})

	// Two caches (two Lambda instances) share the table: a fill through
	// one is an L2 hit in the other, and a purge through one is seen by
	// the other once its L1 copy ages out.
	t.Run("SharedAcrossInstances", func(t *testing.T) {
		newInstance := func() *cache.Cache {
			c, err := cache.New(cache.Config{L2: mk(now), L1TTL: 5 * time.Second, L2Timeout: 5 * time.Second, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		a, b := newInstance(), newInstance()
		var fills atomic.Int32
		fill := func(context.Context) (*cache.Entry, error) {
			fills.Add(1)
			return entry(now(), "shared", "orders", "v1", "/v1/orders/1"), nil
		}
		a.Do(ctx, "shared:k", fill)
		if _, out, _ := b.Do(ctx, "shared:k", fill); out != cache.Hit || fills.Load() != 1 {
			t.Fatalf("instance b: %v after %d fills; want an L2 hit", out, fills.Load())
		}
		if _, err := a.Purge(ctx, cache.Selector{Tenant: "shared", API: "orders", Version: "v1"}); err != nil {
			t.Fatal(err)
		}
		if a.Get(ctx, "shared:k") != nil {
			t.Fatal("purging instance still serves the entry")
		}
		clock.Add(int64(5 * time.Second))
		if b.Get(ctx, "shared:k") != nil {
			t.Fatal("b serves a purged entry after L1TTL")
		}
	})
}

// tableName is the one table of the test's DynamoDB Local.
func tableName(t *testing.T, c *dynamodb.Client) string {
	t.Helper()
	out, err := c.ListTables(context.Background(), &dynamodb.ListTablesInput{})
	if err != nil || len(out.TableNames) != 1 {
		t.Fatalf("tables %v, %v", out, err)
	}
	return out.TableNames[0]
}
