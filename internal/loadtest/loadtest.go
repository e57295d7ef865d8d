// Package loadtest is an open-loop HTTP load generator: requests start on
// a fixed schedule whatever the server's latency (no coordinated
// omission), and each latency is measured from the request's scheduled
// start. It backs cmd/loadgen, which `make bench` runs over loopback.
package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Config is one load run.
type Config struct {
	URL      string
	Header   http.Header // sent with every request
	Client   *http.Client
	Rate     int           // requests per second; > 0
	Duration time.Duration // how long to send; > 0
	// BodyLen, when > 0, is the expected response body length; any other
	// length counts as an error.
	BodyLen int
	// Workers is how many requests may be in flight (like wrk2's
	// connections); zero means 64. Requests due while all are busy queue,
	// and the queueing shows in their latency.
	Workers int
	// MaxInFlight bounds the queue; a request due while it is full is not
	// sent and counts as an error. Zero means 10,000.
	MaxInFlight int
}

// Result is what a run measured.
type Result struct {
	Sent, Errors int
	FirstError   string
	Latencies    []time.Duration // of successful requests, sorted
	Elapsed      time.Duration
}

// Percentile returns the p-th percentile (0 < p <= 100) of the latencies.
func (r *Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.Latencies))*p/100+0.5) - 1
	return r.Latencies[min(max(i, 0), len(r.Latencies)-1)]
}

// Run sends cfg.Rate*cfg.Duration GETs to cfg.URL on schedule and waits
// for every answer.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Rate <= 0 || cfg.Duration <= 0 || cfg.Client == nil || cfg.URL == "" {
		return nil, fmt.Errorf("loadtest: URL, Client, Rate and Duration are required")
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = 10_000
	}
	if cfg.Workers == 0 {
		cfg.Workers = 64
	}
	n := int(int64(cfg.Rate) * int64(cfg.Duration) / int64(time.Second))
	period := time.Second / time.Duration(cfg.Rate)
	var (
		mu  sync.Mutex
		res = &Result{Latencies: make([]time.Duration, 0, n)}
		wg  sync.WaitGroup
	)
	fail := func(msg string) {
		mu.Lock()
		res.Errors++
		if res.FirstError == "" {
			res.FirstError = msg
		}
		mu.Unlock()
	}
	// Workers take scheduled start times from the queue; a request that
	// waits in the queue has that wait in its latency.
	queue := make(chan time.Time, cfg.MaxInFlight)
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for due := range queue {
				lat, err := one(ctx, cfg, due)
				if err != nil {
					fail(err.Error())
					continue
				}
				mu.Lock()
				res.Latencies = append(res.Latencies, lat)
				mu.Unlock()
			}
		}()
	}
	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(i) * period)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		if ctx.Err() != nil {
			break
		}
		res.Sent++
		select {
		case queue <- due:
		default:
			fail("too many requests queued")
		}
	}
	close(queue)
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(res.Latencies)
	return res, nil
}

func one(ctx context.Context, cfg Config, due time.Time) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.URL, nil)
	if err != nil {
		return 0, err
	}
	for k, vs := range cfg.Header {
		req.Header[k] = vs
	}
	resp, err := cfg.Client.Do(req)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	lat := time.Since(due)
	switch {
	case err != nil:
		return 0, err
	case resp.StatusCode != http.StatusOK:
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	case cfg.BodyLen > 0 && int(n) != cfg.BodyLen:
		return 0, fmt.Errorf("body of %d bytes, want %d", n, cfg.BodyLen)
	}
	return lat, nil
}
