package main

import (
	"strings"
	"testing"
	"time"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/portico/portico/internal/gateway
BenchmarkResolve-2        1000000   900 ns/op   0 B/op   0 allocs/op
BenchmarkResolve-2        1000000   1100 ns/op  0 B/op   0 allocs/op
BenchmarkResolve-2        1000000   1000 ns/op  0 B/op   0 allocs/op
BenchmarkGatewayProxy-2   10000     60000 ns/op 5000 B/op 50 allocs/op
BenchmarkReverseProxy-2   10000     50000 ns/op 4000 B/op 40 allocs/op
pkg: github.com/portico/portico/internal/route
BenchmarkMatch-2          1000000   3000 ns/op  16 B/op  1 allocs/op
`

func TestParseMedians(t *testing.T) {
	stats, err := parse(strings.NewReader(sample), "sample")
	if err != nil {
		t.Fatal(err)
	}
	s, ok := find(stats, "/internal/gateway", "Resolve")
	if !ok || s.runs != 3 || s.ns < 999.999 || s.ns > 1000.001 {
		t.Fatalf("Resolve = %+v, want 3 runs with median 1000 ns", s)
	}
}

func TestRenderMarksFigures(t *testing.T) {
	stats, err := parse(strings.NewReader(sample), "sample")
	if err != nil {
		t.Fatal(err)
	}
	md, missed := render(stats, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for _, want := range []string{
		"| Route match + config resolution, 1,000 endpoints, warm snapshot | 1.00 µs, 0 allocs/op | < 2.00 µs, 0 allocs/op | met |",
		"1.20x (60.00 µs vs 50.00 µs)",
		"| Route table match alone, 1,000 endpoints | 3.00 µs, 1 allocs/op | < 2.00 µs, 0 allocs/op | **missed** |",
		"| Forwarder alone vs plain httputil.ReverseProxy | not run | | missing |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q\n%s", want, md)
		}
	}
	// The sample covers the first four figures; later ones are missing too.
	if want := 2 + len(checks) - 4; missed != want {
		t.Errorf("missed = %d, want %d (route match, the absent proxy pair, figures not in the sample)", missed, want)
	}
}
