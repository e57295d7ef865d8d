// Command loadgen is the open-loop load test of `make bench`: over
// loopback only, it sends -rate requests per second for -duration to a
// 1 KB JSON upstream directly, then through the gateway (JSON access log,
// CORS, security headers) in front of the same upstream, and reports the
// added p99 latency, errors and the upstream connections opened after the
// warm-up (counted with a ConnState hook). It appends a markdown section
// to -out (docs/benchmarks.md); like cmd/benchreport it marks a missed
// figure in the report rather than failing.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico/portico/internal/app"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/gateway"
	"github.com/portico/portico/internal/loadtest"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
)

func main() {
	rate := flag.Int("rate", 5000, "requests per second")
	duration := flag.Duration("duration", 10*time.Second, "measured duration per target and round")
	warmup := flag.Duration("warmup", 2*time.Second, "warm-up per target and round, at the same rate, not measured")
	rounds := flag.Int("rounds", 3, "interleaved rounds (direct, then gateway); the report gives the median added p99")
	lambdaMemory := flag.Int("lambda-memory", 1024, "apply the gateway function's GC tuning for this memory size in MB (0: Go's defaults)")
	out := flag.String("out", "", "markdown file to append the report to (default stdout)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the gateway runs to this file")
	flag.Parse()
	if *rate <= 0 || *rate > 20_000 || *duration <= 0 || *duration > time.Minute || *warmup < 0 || *warmup > time.Minute || *rounds < 1 || *rounds > 9 || *lambdaMemory < 0 {
		fail(fmt.Errorf("rate must be 1-20000, durations at most 1m, rounds 1-9"))
	}
	gc := "Go's defaults"
	if *lambdaMemory > 0 {
		// The process plays the gateway function: the same GC settings as
		// internal/app applies on Lambda (they also apply to the generator
		// and the upstream sharing the process, direct run included).
		mem := strconv.Itoa(*lambdaMemory)
		if p, l, ok := app.TuneGC(func(k string) string {
			if k == "AWS_LAMBDA_FUNCTION_MEMORY_SIZE" {
				return mem
			}
			return os.Getenv(k)
		}); ok {
			gogc := strconv.Itoa(p)
			if p < 0 {
				gogc = "off"
			}
			gc = fmt.Sprintf("the gateway function's GC tuning for %d MB (GOGC=%s, soft memory limit %d MiB)", *lambdaMemory, gogc, l>>20)
		}
	}

	var upstreamConns, upstreamClosed atomic.Int64
	fill := &poolFill{}
	up := httptest.NewUnstartedServer(fill.wrap(upstreamHandler()))
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			upstreamConns.Add(1)
		case http.StateClosed, http.StateHijacked:
			upstreamClosed.Add(1)
		}
	}
	up.Start()
	defer up.Close()

	gw, err := gateway.New(gateway.Config{
		Source:    staticSource{cfg: tenantConfig(up.URL)},
		Forwarder: proxy.New(proxy.Config{Logger: slog.New(slog.DiscardHandler)}),
		Logger:    slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		fail(err)
	}
	front := httptest.NewServer(gw)
	defer front.Close()

	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute, DisableCompression: true}, Timeout: 10 * time.Second}
	hdr := http.Header{"Accept": {"application/json"}, "Origin": {"https://app.example.com"}}
	directURL, viaURL := up.URL+"/items/42", front.URL+"/t/acme/v1/items/42"
	// A warm instance's pools hold as many connections as its peak
	// concurrency; a few seconds at a steady rate rarely reach that peak,
	// so the pools are first filled to the most requests in flight.
	for _, url := range []string{directURL, viaURL} {
		if err := fill.run(client, url, hdr, workers); err != nil {
			fail(err)
		}
	}
	run := func(url string) (*loadtest.Result, int64, int64) {
		if *warmup > 0 {
			if _, err := loadtest.Run(context.Background(), loadtest.Config{URL: url, Header: hdr, Client: client, Rate: *rate, Duration: *warmup, Workers: workers, MaxInFlight: 2000}); err != nil {
				fail(err)
			}
		}
		before, closedBefore := upstreamConns.Load(), upstreamClosed.Load()
		res, err := loadtest.Run(context.Background(), loadtest.Config{URL: url, Header: hdr, Client: client, Rate: *rate, Duration: *duration, Workers: workers, BodyLen: len(body), MaxInFlight: 2000})
		if err != nil {
			fail(err)
		}
		return res, upstreamConns.Load() - before, upstreamClosed.Load() - closedBefore
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail(err)
		}
		defer f.Close()
	}
	var rs []round
	for range *rounds {
		var r round
		r.direct, _, _ = run(directURL)
		if *cpuprofile != "" && len(rs) == 0 {
			f, err := os.OpenFile(*cpuprofile, os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				fail(err)
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				fail(err)
			}
		}
		r.via, r.conns, r.closed = run(viaURL)
		pprof.StopCPUProfile()
		rs = append(rs, r)
	}

	md, added, conns, errs, missed := report(*rate, *duration, gc, rs)
	if *out == "" {
		fmt.Print(md)
	} else {
		f, err := os.OpenFile(*out, os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fail(err)
		}
		if _, err := f.WriteString(md); err != nil {
			fail(err)
		}
		if err := f.Close(); err != nil {
			fail(err)
		}
		fmt.Printf("loadgen: appended to %s (median added p99 %s, %d errors, %d new upstream connections, %d figure(s) missed)\n", *out, fmtDur(added), errs, conns, missed)
	}
}

// workers is the most requests in flight (like wrk2's connections).
const workers = 64

// round is one direct run and the gateway run after it.
type round struct {
	direct, via   *loadtest.Result
	conns, closed int64 // upstream connections opened and closed during the gateway run
}

func (r round) added() time.Duration { return r.via.Percentile(99) - r.direct.Percentile(99) }

func report(rate int, d time.Duration, gc string, rs []round) (md string, median time.Duration, conns, errs int64, missed int) {
	var b strings.Builder
	row := func(what, measured, target string, met bool) {
		status := "met"
		if !met {
			status, missed = "**missed**", missed+1
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", what, measured, target, status)
	}
	fmt.Fprintf(&b, "\n## Open-loop load (cmd/loadgen)\n\n%d req/s for %s over loopback (%d CPUs), %d interleaved rounds of: straight to a 1 KB JSON upstream, then through the gateway (JSON access log, CORS, security headers) in front of it, each after a warm-up at the same rate. Before the first round both paths' connection pools are filled to the most requests in flight (%d, a burst held at the upstream until all arrived), as a warm instance's pools are. Requests start on schedule whatever the answers (open loop) and at most %d are in flight (requests due meanwhile queue); latency is measured from each request's scheduled start, queueing included (no coordinated omission). The process runs with %s. The load generator, the gateway and the upstream share this machine, so a busy machine shows in the tails: the figure is the median of the rounds' added p99.\n\n",
		rate, d, runtime.NumCPU(), len(rs), workers, workers, gc)
	b.WriteString("| round | p99 direct | p99 gateway | added p99 | p50 direct | p50 gateway | new upstream connections |\n|---|---|---|---|---|---|---|\n")
	var sent int64
	adds := make([]time.Duration, 0, len(rs))
	first := ""
	for i, r := range rs {
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %d opened, %d closed |\n", i+1, fmtDur(r.direct.Percentile(99)), fmtDur(r.via.Percentile(99)), fmtDur(r.added()),
			fmtDur(r.direct.Percentile(50)), fmtDur(r.via.Percentile(50)), r.conns, r.closed)
		adds = append(adds, r.added())
		conns += r.conns
		errs += int64(r.direct.Errors + r.via.Errors)
		sent += int64(r.direct.Sent + r.via.Sent)
		if first == "" {
			first = r.via.FirstError + r.direct.FirstError
		}
	}
	slices.Sort(adds)
	median = adds[len(adds)/2]
	b.WriteString("\n| figure | measured | target | status |\n|---|---|---|---|\n")
	row("Added p99 latency, gateway vs direct (median of rounds)", fmtDur(median), "<= 1 ms", median <= time.Millisecond)
	e := fmt.Sprintf("%d of %d", errs, sent)
	if first != "" {
		e += " (first: " + first + ")"
	}
	row("Errors", e, "0", errs == 0)
	row("New upstream connections after warm-up (all gateway runs)", strconv.FormatInt(conns, 10), "~0 (<= 2)", conns <= 2)
	return b.String(), median, conns, errs, missed
}

// poolFill fills connection pools: while a fill runs, the upstream holds
// every request until n have arrived (or a second has passed), so n
// connections are open at once on every hop.
type poolFill struct {
	mu      sync.Mutex
	want    int
	arrived int
	release chan struct{}
}

func (f *poolFill) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		ch := f.release
		if ch != nil {
			f.arrived++
			if f.arrived == f.want {
				close(ch)
				f.release = nil
			}
		}
		f.mu.Unlock()
		if ch != nil {
			t := time.NewTimer(time.Second)
			select {
			case <-ch:
			case <-t.C:
			}
			t.Stop()
		}
		h.ServeHTTP(w, r)
	})
}

// run sends n concurrent GETs to url and waits for their answers.
func (f *poolFill) run(client *http.Client, url string, hdr http.Header, n int) error {
	f.mu.Lock()
	f.want, f.arrived, f.release = n, 0, make(chan struct{})
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.release = nil
		f.mu.Unlock()
	}()
	errs := make(chan error, n)
	for range n {
		go func() {
			req, err := http.NewRequest(http.MethodGet, url, nil)
			if err != nil {
				errs <- err
				return
			}
			req.Header = hdr.Clone()
			resp, err := client.Do(req)
			if err != nil {
				errs <- err
				return
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			return fmt.Errorf("fill the pools through %s: %w", url, err)
		}
	}
	return nil
}

func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	os.Exit(2)
}

// body is the upstream's 1 KB JSON document.
var body = func() []byte {
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i := 0; b.Len() < 1000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":` + strconv.Itoa(i) + `,"name":"item"}`)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}()

func upstreamHandler() http.Handler {
	length := strconv.Itoa(len(body))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", length)
		_, _ = w.Write(body)
	})
}

// tenantConfig is tenant acme with one endpoint, GET /v1/items/{id}, on an
// HTTP integration at upstream, with a CORS policy.
func tenantConfig(upstream string) *catalog.TenantConfig {
	return &catalog.TenantConfig{
		Version:      1,
		Tenant:       model.Tenant{ID: "acme", Name: "acme"},
		APIs:         []model.API{{Slug: "api", Name: "API"}},
		Versions:     []model.Version{{API: "api", Name: "v1", Status: model.StatusPublished}},
		Integrations: []model.Integration{{Slug: "up", Type: model.IntegrationHTTP, URL: upstream}},
		Endpoints: []model.Endpoint{{
			ID: "items", API: "api", Version: "v1", Method: "GET", Path: "/items/{id}",
			Target:   model.Target{Type: model.TargetIntegration, Integration: "up", Path: "/items/{id}"},
			Policies: model.Policies{CORS: &model.CORSPolicy{AllowOrigins: []string{"https://app.example.com"}, ExposeHeaders: []string{"X-Request-Id"}}},
		}},
	}
}

// staticSource serves one configuration that never changes.
type staticSource struct{ cfg *catalog.TenantConfig }

func (s staticSource) ConfigVersion(_ context.Context, tenant string) (int64, error) {
	if tenant != s.cfg.Tenant.ID {
		return 0, catalog.ErrNotFound
	}
	return s.cfg.Version, nil
}

func (s staticSource) LoadTenantConfig(_ context.Context, tenant string) (*catalog.TenantConfig, error) {
	if tenant != s.cfg.Tenant.ID {
		return nil, catalog.ErrNotFound
	}
	return s.cfg, nil
}

var _ gateway.ConfigSource = staticSource{}
