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
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/gateway"
	"github.com/portico/portico/internal/loadtest"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
)

func main() {
	rate := flag.Int("rate", 5000, "requests per second")
	duration := flag.Duration("duration", 10*time.Second, "measured duration per target")
	warmup := flag.Duration("warmup", 2*time.Second, "warm-up per target, at the same rate, not measured")
	out := flag.String("out", "", "markdown file to append the report to (default stdout)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the gateway run to this file")
	flag.Parse()
	if *rate <= 0 || *rate > 20_000 || *duration <= 0 || *duration > time.Minute || *warmup < 0 || *warmup > time.Minute {
		fail(fmt.Errorf("rate must be 1-20000 and durations at most 1m"))
	}

	var upstreamConns, upstreamClosed atomic.Int64
	up := httptest.NewUnstartedServer(upstreamHandler())
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
	var closed int64
	run := func(url string) (*loadtest.Result, int64) {
		if *warmup > 0 {
			if _, err := loadtest.Run(context.Background(), loadtest.Config{URL: url, Header: hdr, Client: client, Rate: *rate, Duration: *warmup, MaxInFlight: 2000}); err != nil {
				fail(err)
			}
		}
		before, closedBefore := upstreamConns.Load(), upstreamClosed.Load()
		res, err := loadtest.Run(context.Background(), loadtest.Config{URL: url, Header: hdr, Client: client, Rate: *rate, Duration: *duration, BodyLen: len(body), MaxInFlight: 2000})
		if err != nil {
			fail(err)
		}
		closed = upstreamClosed.Load() - closedBefore
		return res, upstreamConns.Load() - before
	}
	direct, _ := run(up.URL + "/items/42")
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer f.Close()
	}
	via, conns := run(front.URL + "/t/acme/v1/items/42")
	pprof.StopCPUProfile()
	workers := 64 // loadtest's default: the most requests in flight

	added := via.Percentile(99) - direct.Percentile(99)
	md, missed := report(*rate, *duration, direct, via, added, conns, closed, workers)
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
	}
	if *out != "" {
		fmt.Printf("loadgen: appended to %s (added p99 %s, %d errors, %d new upstream connections, %d figure(s) missed)\n", *out, added, direct.Errors+via.Errors, conns, missed)
	}
}

func report(rate int, d time.Duration, direct, via *loadtest.Result, added time.Duration, conns, closed int64, workers int) (string, int) {
	var b strings.Builder
	missed := 0
	row := func(what, measured, target string, met bool) {
		status := "met"
		if !met {
			status, missed = "**missed**", missed+1
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", what, measured, target, status)
	}
	fmt.Fprintf(&b, "\n## Open-loop load (cmd/loadgen)\n\n%d req/s for %s over loopback (%d CPUs), after a warm-up at the same rate: first straight to a 1 KB JSON upstream, then through the gateway (JSON access log, CORS, security headers) in front of it. Requests start on schedule whatever the answers (open loop) and at most %d are in flight (requests due meanwhile queue); latency is measured from each request's scheduled start, queueing included (no coordinated omission). The load generator, the gateway and the upstream share this machine, so a busy machine shows in the tails.\n\n",
		rate, d, runtime.NumCPU(), workers)
	b.WriteString("| figure | measured | target | status |\n|---|---|---|---|\n")
	row("Added p99 latency, gateway vs direct", fmt.Sprintf("%s (p99 %s vs %s; p50 %s vs %s)", fmtDur(added), fmtDur(via.Percentile(99)), fmtDur(direct.Percentile(99)), fmtDur(via.Percentile(50)), fmtDur(direct.Percentile(50))), "<= 1 ms", added <= time.Millisecond)
	errs := fmt.Sprintf("%d of %d through the gateway, %d of %d direct", via.Errors, via.Sent, direct.Errors, direct.Sent)
	if via.FirstError != "" || direct.FirstError != "" {
		errs += " (first: " + via.FirstError + direct.FirstError + ")"
	}
	row("Errors", errs, "0", via.Errors == 0 && direct.Errors == 0)
	row("New upstream connections after warm-up (gateway run)", fmt.Sprintf("%d opened, %d closed", conns, closed), "~0 (<= 2)", conns <= 2)
	return b.String(), missed
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
