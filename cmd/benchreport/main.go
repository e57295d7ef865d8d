// Command benchreport turns `go test -bench` output into docs/benchmarks.md:
// the median of every benchmark's runs, and the figures each issue promises
// (absolute bounds and ratios against a baseline measured in the same run),
// each marked met or missed. `make bench` runs it.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"
)

// stat is the median of one benchmark's runs.
type stat struct {
	pkg, name string
	runs      int
	ns, bytes float64
	allocs    float64
	// usPerState is the median of a custom "us/state" metric, when reported.
	usPerState float64
}

// check is one promised figure.
type check struct {
	what string
	// pkg suffix and benchmark names (without "Benchmark").
	pkg, bench, base string
	// basePkg is the baseline's package suffix when it is not pkg (the
	// native build of a wasm guest's logic lives in wasm-transforms).
	basePkg string
	// maxRatio bounds bench/base ns/op when base is set; maxNs and
	// maxAllocs bound bench alone (negative: unchecked).
	maxRatio  float64
	maxNs     float64
	maxAllocs float64
	// perState compares the benchmark's us/state metric (in ns) with maxNs
	// instead of its ns/op.
	perState bool
}

var checks = []check{
	{what: "Route match + config resolution, 1,000 endpoints, warm snapshot", pkg: "/internal/gateway", bench: "Resolve", maxNs: 2000, maxAllocs: 0},
	{what: "Route table match alone, 1,000 endpoints", pkg: "/internal/route", bench: "Match", maxNs: 2000, maxAllocs: 0},
	{what: "Gateway proxying a 1 KB response vs plain httputil.ReverseProxy", pkg: "/internal/gateway", bench: "GatewayProxy", base: "ReverseProxy", maxRatio: 1.3, maxNs: -1, maxAllocs: -1},
	{what: "Gateway with JSON access log + CORS + security headers vs plain httputil.ReverseProxy", pkg: "/internal/gateway", bench: "GatewayProxyFull", base: "ReverseProxy", maxRatio: 1.3, maxNs: -1, maxAllocs: -1},
	{what: "Forwarder alone vs plain httputil.ReverseProxy", pkg: "/internal/proxy", bench: "Forward", base: "ReverseProxy", maxRatio: 1.3, maxNs: -1, maxAllocs: -1},
	{what: "API-key auth on a cache hit (0 store calls)", pkg: "/internal/auth/apikey", bench: "AuthenticateHit", maxNs: 1000, maxAllocs: 0},
	{what: "Gateway with API-key auth vs without (throughput >= 0.9x)", pkg: "/internal/gateway", bench: "GatewayAPIKey", base: "GatewayNoAuth", maxRatio: 1 / 0.9, maxNs: -1, maxAllocs: -1},
	{what: "Tenant JWT verification (ES256, cached JWKS) vs raw go-jose verify", pkg: "/internal/auth/jwtauth", bench: "VerifyES256", base: "RawGoJoseES256", maxRatio: 1.2, maxNs: -1, maxAllocs: -1},
	{what: "1 MiB bearer token rejected", pkg: "/internal/auth/jwtauth", bench: "Reject1MiBToken", maxNs: 1000, maxAllocs: 0},
	{what: "Rate-limit decision, memory store, fixed window", pkg: "/internal/ratelimit", bench: "MemoryTake/fixedWindow", maxNs: 200, maxAllocs: 0},
	{what: "Rate-limit decision, memory store, sliding window", pkg: "/internal/ratelimit", bench: "MemoryTake/slidingWindow", maxNs: 200, maxAllocs: 0},
	{what: "Rate-limit decision, memory store, token bucket (GCRA)", pkg: "/internal/ratelimit", bench: "MemoryTake/tokenBucket", maxNs: 200, maxAllocs: 0},
	{what: "Cache hit through the gateway vs the same GET proxied upstream (>= 3x faster)", pkg: "/internal/gateway", bench: "GatewayCache/hit", base: "GatewayCache/upstream", maxRatio: 1.0 / 3, maxNs: -1, maxAllocs: -1},
	{what: "WASM pii-mask (AssemblyScript guest, 1.2 KB, warm pooled instance, watchdog deadline) vs the same logic native (Go)", pkg: "/internal/wasmhost", bench: "Guest/pii-mask-as/watchdog", basePkg: "/wasm-transforms", base: "Native/pii-mask", maxRatio: 3, maxNs: -1, maxAllocs: -1},
	{what: "Compiled 10-rule mapping of a 1 KB document", pkg: "/internal/transform", bench: "Mapping1KB/decoded", maxNs: 10_000, maxAllocs: -1},
	{what: "Workflow validate + compile, 50 steps", pkg: "/internal/workflow", bench: "Compile50Steps/validate+compile", maxNs: 1_000_000, maxAllocs: -1},
	{what: "Embedded workflow executor overhead per state (us/state metric)", pkg: "/internal/workflow", bench: "ExecutorPerState", perState: true, maxNs: 20_000, maxAllocs: -1},
}

func main() {
	in := flag.String("in", "-", "benchmark output to read (- for stdin)")
	out := flag.String("out", "docs/benchmarks.md", "markdown file to write")
	flag.Parse()
	var r io.Reader = os.Stdin
	if *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			fail(err)
		}
		defer f.Close()
		r = f
	}
	stats, err := parse(r, *in)
	if err != nil {
		fail(err)
	}
	md, missed := render(stats, time.Now())
	if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
		fail(err)
	}
	fmt.Printf("wrote %s (%d benchmarks, %d figure(s) missed)\n", *out, len(stats), missed)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchreport:", err)
	os.Exit(1)
}

// parse reads benchmark results and returns per-benchmark medians.
func parse(r io.Reader, name string) ([]stat, error) {
	type key struct{ pkg, name string }
	runs := map[key][][3]float64{}
	perState := map[key][]float64{}
	var order []key
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		res, ok := br.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		k := key{res.GetConfig("pkg"), benchName(res.Name)}
		if _, seen := runs[k]; !seen {
			order = append(order, k)
		}
		ns, _ := res.Value("sec/op")
		b, _ := res.Value("B/op")
		a, _ := res.Value("allocs/op")
		runs[k] = append(runs[k], [3]float64{ns * 1e9, b, a})
		if v, ok := res.Value("us/state"); ok {
			perState[k] = append(perState[k], v)
		}
	}
	if err := br.Err(); err != nil {
		return nil, fmt.Errorf("read benchmarks: %w", err)
	}
	out := make([]stat, 0, len(order))
	for _, k := range order {
		rs := runs[k]
		st := stat{pkg: k.pkg, name: k.name, runs: len(rs), ns: median(rs, 0), bytes: median(rs, 1), allocs: median(rs, 2)}
		if ps := perState[k]; len(ps) > 0 {
			rows := make([][3]float64, len(ps))
			for i, v := range ps {
				rows[i][0] = v
			}
			st.usPerState = median(rows, 0)
		}
		out = append(out, st)
	}
	return out, nil
}

// benchName is the benchmark's full name (sub-benchmarks included) without
// the "Benchmark" prefix and the -GOMAXPROCS suffix: "GatewayCache/hit".
func benchName(n benchfmt.Name) string {
	base, parts := n.Parts()
	name := string(base)
	for _, p := range parts {
		if len(p) > 0 && p[0] == '-' {
			continue
		}
		name += string(p)
	}
	return name
}

func median(rs [][3]float64, i int) float64 {
	v := make([]float64, len(rs))
	for j, r := range rs {
		v[j] = r[i]
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func find(stats []stat, pkgSuffix, name string) (stat, bool) {
	for _, s := range stats {
		if strings.HasSuffix(s.pkg, pkgSuffix) && s.name == name {
			return s, true
		}
	}
	return stat{}, false
}

// render writes the report and counts the figures missed.
func render(stats []stat, now time.Time) (string, int) {
	var b strings.Builder
	missed := 0
	fmt.Fprintf(&b, "# Benchmarks\n\nGenerated by `make bench` on %s (%s/%s, %d CPUs, %s). Values are the median of the runs; ratios compare benchmarks measured in the same run, since this machine is noisy.\n\n",
		now.UTC().Format("2006-01-02 15:04 MST"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	b.WriteString("## Figures\n\n| figure | measured | target | status |\n|---|---|---|---|\n")
	for _, c := range checks {
		s, ok := find(stats, c.pkg, c.bench)
		if !ok {
			fmt.Fprintf(&b, "| %s | not run | | missing |\n", c.what)
			missed++
			continue
		}
		var measured, target []string
		met := true
		if c.base != "" {
			bp := c.pkg
			if c.basePkg != "" {
				bp = c.basePkg
			}
			base, ok := find(stats, bp, c.base)
			if !ok {
				fmt.Fprintf(&b, "| %s | baseline %s not run | | missing |\n", c.what, c.base)
				missed++
				continue
			}
			ratio := s.ns / base.ns
			measured = append(measured, fmt.Sprintf("%.2fx (%s vs %s)", ratio, fmtNs(s.ns), fmtNs(base.ns)))
			target = append(target, fmt.Sprintf("<= %.2fx", c.maxRatio))
			met = met && ratio <= c.maxRatio
		}
		if c.maxNs >= 0 {
			v := s.ns
			if c.perState {
				v = s.usPerState * 1000
			}
			measured = append(measured, fmtNs(v))
			target = append(target, "< "+fmtNs(c.maxNs))
			met = met && v < c.maxNs
		}
		if c.maxAllocs >= 0 {
			measured = append(measured, fmt.Sprintf("%g allocs/op", s.allocs))
			target = append(target, fmt.Sprintf("%g allocs/op", c.maxAllocs))
			met = met && s.allocs <= c.maxAllocs
		}
		status := "met"
		if !met {
			status = "**missed**"
			missed++
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c.what, strings.Join(measured, ", "), strings.Join(target, ", "), status)
	}
	b.WriteString("\nHow: `make bench` runs `go test -bench . -benchmem -count=1` over the benchmark packages BENCHCOUNT times, interleaved, so a candidate and its baseline share machine conditions. " +
		"Resolve is the gateway's tenant lookup, snapshot check, canonical path and route match against one tenant with 1,000 endpoints. " +
		"GatewayProxy is the whole gateway ServeHTTP forwarding to an in-process upstream returning 1 KB of JSON; ReverseProxy is httputil.ReverseProxy with a pooled BufferPool and the same transport against the same upstream. " +
		"The gateway benchmarks also report cpu-ns/op (process CPU per request, from getrusage), which is steadier than wall time on a loaded machine.\n")
	b.WriteString("\n## All benchmarks\n\n| package | benchmark | runs | time/op | B/op | allocs/op |\n|---|---|---|---|---|---|\n")
	for _, s := range stats {
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %.0f | %g |\n", strings.TrimPrefix(s.pkg, "github.com/portico/portico/"), s.name, s.runs, fmtNs(s.ns), s.bytes, s.allocs)
	}
	return b.String(), missed
}

func fmtNs(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
	return fmt.Sprintf("%.1f ns", ns)
}
