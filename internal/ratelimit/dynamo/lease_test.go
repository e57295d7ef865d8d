package dynamo_test

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/portico/portico/internal/ratelimit"
	"github.com/portico/portico/internal/ratelimit/dynamo"
	storedynamo "github.com/portico/portico/internal/store/dynamo"
	"github.com/portico/portico/internal/testenv/dynamolocal"
)

// ops counts the DynamoDB operations a client sends, by SDK middleware:
// every call, including conditional writes that fail (they consume write
// capacity too).
type ops struct{ writes, reads atomic.Int64 }

func (o *ops) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("portico-count-ops",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			switch in.Parameters.(type) {
			case *dynamodb.UpdateItemInput, *dynamodb.PutItemInput, *dynamodb.DeleteItemInput,
				*dynamodb.BatchWriteItemInput, *dynamodb.TransactWriteItemsInput:
				o.writes.Add(1)
			case *dynamodb.GetItemInput, *dynamodb.QueryInput, *dynamodb.BatchGetItemInput:
				o.reads.Add(1)
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// TestLeasingHotKey measures the figure against DynamoDB Local: a
// hot key of 1,000/min hit through 10 gateway instances (separate Stores
// with their own clients, sharing the table), lease 20. DynamoDB writes per
// request must stay <= 0.1 and over-admission <= 5% of the limit.
func TestLeasingHotKey(t *testing.T) {
	if testing.Short() {
		t.Skip("starts DynamoDB Local")
	}
	const instances, limit, lease = 10, 1000, 20
	endpoint := dynamolocal.Start(t)
	if err := storedynamo.CreateTable(context.Background(), dynamolocal.NewClient(endpoint), "portico"); err != nil {
		t.Fatal(err)
	}
	count := &ops{}
	stores := make([]ratelimit.Store, instances)
	for i := range stores {
		client := dynamolocal.NewClient(endpoint)
		client = dynamodb.New(client.Options(), func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, count.middleware) })
		s, err := dynamo.New(dynamo.Config{Client: client, Table: "portico", Lease: ratelimit.LeaseConfig{Size: lease}})
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	base := time.Date(2026, 3, 2, 10, 0, 5, 0, time.UTC) // 5 s into a minute
	// Requests arrive in bursts at these offsets, all within one minute.
	phases := []struct {
		at       time.Duration
		requests int
	}{{0, 1500}, {time.Second, 500}, {20 * time.Second, 500}, {45 * time.Second, 500}}
	for _, alg := range []ratelimit.Algorithm{ratelimit.FixedWindow, ratelimit.SlidingWindow, ratelimit.TokenBucket} {
		t.Run(alg.String(), func(t *testing.T) {
			l := ratelimit.Limit{Algorithm: alg, Limit: limit, Window: time.Minute}
			key := "hot/" + alg.String()
			w0, r0 := count.writes.Load(), count.reads.Load()
			var admitted, requests atomic.Int64
			for _, p := range phases {
				now := base.Add(p.at)
				var wg sync.WaitGroup
				work := make(chan struct{})
				for w := range 5 * instances {
					s := stores[w%instances]
					wg.Go(func() {
						for range work {
							requests.Add(1)
							d, err := s.Take(context.Background(), key, l, now, 1)
							if err != nil {
								t.Error(err)
								return
							}
							if d.Allowed {
								admitted.Add(1)
							}
						}
					})
				}
				for range p.requests {
					work <- struct{}{}
				}
				close(work)
				wg.Wait()
			}
			// What the algorithm alone admits over the run: the limit for the
			// windows (one window, nothing before it), the burst plus 45 s of
			// refill for the bucket.
			exact := int64(limit)
			if alg == ratelimit.TokenBucket {
				exact += int64(math.Floor(limit * 45.0 / 60))
			}
			writes, reads := count.writes.Load()-w0, count.reads.Load()-r0
			perReq := float64(writes) / float64(requests.Load())
			over := float64(admitted.Load()-exact) / limit
			t.Logf("REPORT leasing %s: %d instances, lease %d, limit %d/min: %d requests, admitted %d (exact %d, over-admission %+.1f%% of the limit), DynamoDB writes %d (%.3f/request), reads %d",
				alg, instances, lease, limit, requests.Load(), admitted.Load(), exact, 100*over, writes, perReq, reads)
			if perReq > 0.1 {
				t.Errorf("%.3f DynamoDB writes per request, want <= 0.1", perReq)
			}
			if over > 0.05 {
				t.Errorf("over-admission %.1f%% of the limit, want <= 5%%", 100*over)
			}
			if admitted.Load() < exact-instances*lease {
				t.Errorf("admitted %d, below the under-admission bound %d", admitted.Load(), exact-instances*lease)
			}
		})
	}
}
