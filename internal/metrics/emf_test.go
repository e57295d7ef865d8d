package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/metrics"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

type clock struct {
	mu sync.Mutex
	t  time.Time
}

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

// figures is a Source over counters the test sets: series -> metric -> N.
type figures struct {
	mu sync.Mutex
	m  map[[3]string]map[string]int64
}

func (f *figures) set(tenant, dim, value, metric string, n int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[[3]string]map[string]int64{}
	}
	k := [3]string{tenant, dim, value}
	if f.m[k] == nil {
		f.m[k] = map[string]int64{}
	}
	f.m[k][metric] = n
}

// source reports in a fixed order (metrics sorted), as the real sources do.
func (f *figures) source(add func(metrics.Sample)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	keys := make([][3]string, 0, len(f.m))
	for k := range f.m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [3]string) int { return strings.Compare(strings.Join(a[:], "|"), strings.Join(b[:], "|")) })
	for _, k := range keys {
		names := make([]string, 0, len(f.m[k]))
		for n := range f.m[k] {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			s := metrics.Sample{Tenant: k[0], Dim: k[1], Value: k[2], Metric: n, Unit: metrics.Count, N: f.m[k][n]}
			if n == "CacheBytes" {
				s.Unit, s.Gauge = metrics.Bytes, true
			}
			add(s)
		}
	}
}

func newEmitter(t *testing.T, f *figures, maxSeries int) (*metrics.Emitter, *bytes.Buffer, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)}
	var out bytes.Buffer
	e, err := metrics.New(metrics.Config{Out: &out, Sources: []metrics.Source{f.source}, Now: clk.Now, MaxSeries: maxSeries})
	if err != nil {
		t.Fatal(err)
	}
	return e, &out, clk
}

// lines splits and checks what a flush wrote: each line one EMF document.
func lines(t *testing.T, out *bytes.Buffer) []map[string]any {
	t.Helper()
	var docs []map[string]any
	for l := range strings.SplitSeq(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if l == "" {
			continue
		}
		docs = append(docs, validateEMF(t, l))
	}
	out.Reset()
	return docs
}

// validateEMF checks one log line against the EMF specification: a JSON
// object with _aws {Timestamp (ms), CloudWatchMetrics [{Namespace,
// Dimensions [[keys]], Metrics [{Name, Unit}]}]} and no other members in
// those objects; every dimension key a string member of the root, every
// metric a number member; at most 30 keys per dimension set and 100
// metrics per directive; units from CloudWatch's list.
func validateEMF(t *testing.T, line string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(line), &doc); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, line)
	}
	aws, ok := doc["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("no _aws object: %s", line)
	}
	only := func(obj map[string]any, keys ...string) {
		t.Helper()
		for k := range obj {
			if !slices.Contains(keys, k) {
				t.Fatalf("member %q not allowed here: %s", k, line)
			}
		}
	}
	only(aws, "Timestamp", "CloudWatchMetrics")
	if ts, ok := aws["Timestamp"].(float64); !ok || ts < 1e12 {
		t.Fatalf("Timestamp %v: want epoch milliseconds", aws["Timestamp"])
	}
	dirs, ok := aws["CloudWatchMetrics"].([]any)
	if !ok || len(dirs) == 0 {
		t.Fatalf("CloudWatchMetrics: %v", aws["CloudWatchMetrics"])
	}
	for _, d := range dirs {
		dir := d.(map[string]any)
		only(dir, "Namespace", "Dimensions", "Metrics")
		if ns, _ := dir["Namespace"].(string); ns == "" || len(ns) > 255 {
			t.Fatalf("Namespace %v", dir["Namespace"])
		}
		sets, ok := dir["Dimensions"].([]any)
		if !ok {
			t.Fatalf("Dimensions %v", dir["Dimensions"])
		}
		for _, set := range sets {
			keys := set.([]any)
			if len(keys) == 0 || len(keys) > 30 {
				t.Fatalf("dimension set %v", keys)
			}
			for _, k := range keys {
				if v, ok := doc[k.(string)].(string); !ok || v == "" || len(v) > 1024 {
					t.Fatalf("dimension %v has no string value at the root: %s", k, line)
				}
			}
		}
		ms, ok := dir["Metrics"].([]any)
		if !ok || len(ms) == 0 || len(ms) > 100 {
			t.Fatalf("Metrics %v", dir["Metrics"])
		}
		for _, m := range ms {
			md := m.(map[string]any)
			only(md, "Name", "Unit", "StorageResolution")
			name, _ := md["Name"].(string)
			if _, ok := doc[name].(float64); !ok {
				t.Fatalf("metric %q has no number at the root: %s", name, line)
			}
			if u := md["Unit"]; u != "Count" && u != "Bytes" {
				t.Fatalf("unit %v", u)
			}
		}
	}
	return doc
}

// TestFlushGolden: the EMF lines of a first and a second flush. The second
// holds increases only, and leaves out series that did not move.
func TestFlushGolden(t *testing.T) {
	f := &figures{}
	for _, s := range []struct {
		tenant, dim, value, metric string
		n                          int64
	}{
		{"acme", "Endpoint", "get-order", "CacheHits", 90},
		{"acme", "Endpoint", "get-order", "CacheMisses", 10},
		{"acme", "Endpoint", "get-order", "CacheStale", 2},
		{"acme", "Endpoint", "get-order", "CacheStored", 10},
		{"acme", "Endpoint", "get-order", "CacheEvictions", 1},
		{"acme", "Endpoint", "get-order", "CacheBytes", 20480},
		{"acme", "Endpoint", "get-order", "RateLimitAllowed", 100},
		{"acme", "Endpoint", "get-order", "RateLimited", 3},
		{"acme", "Endpoint", "list-orders", "CacheHits", 0},
		{"acme", "Endpoint", "list-orders", "CacheMisses", 4},
		{"globex", "Integration", "billing", "BreakerOpened", 1},
		{"globex", "Endpoint", "idle", "CacheHits", 0},
	} {
		f.set(s.tenant, s.dim, s.value, s.metric, s.n)
	}
	e, out, clk := newEmitter(t, f, 0)
	clk.Add(time.Minute)
	e.FlushIfDue(context.Background())
	first := out.String()
	lines(t, bytes.NewBufferString(first))

	f.set("acme", "Endpoint", "get-order", "CacheHits", 150)
	f.set("acme", "Endpoint", "get-order", "CacheBytes", 10240)
	clk.Add(time.Minute)
	e.FlushIfDue(context.Background())
	second := out.String()[len(first):]
	lines(t, bytes.NewBufferString(second))

	got := "# first flush\n" + first + "# second flush\n" + second
	golden := filepath.Join("testdata", "flush.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("flush output differs from %s (go test -update):\n%s", golden, got)
	}
}

// TestFlushDue: nothing is written before an Interval has passed, one
// flush when due, and not again until the next Interval.
func TestFlushDue(t *testing.T) {
	f := &figures{}
	f.set("acme", "Endpoint", "e", "CacheHits", 1)
	e, out, clk := newEmitter(t, f, 0)
	steps := []struct {
		advance time.Duration
		lines   int
	}{
		{59 * time.Second, 0},
		{time.Second, 1},
		{0, 0},
		{30 * time.Second, 0},
		{30 * time.Second, 0}, // due, but nothing moved
	}
	for i, s := range steps {
		clk.Add(s.advance)
		if i == 4 {
			f.set("acme", "Endpoint", "e", "CacheHits", 1)
		}
		e.FlushIfDue(context.Background())
		if n := len(lines(t, out)); n != s.lines {
			t.Fatalf("step %d: %d lines, want %d", i, n, s.lines)
		}
	}
}

// TestMaxSeries: over the cap, the most active series are written, a
// MetricsSeriesDropped line counts the rest, and their increases are
// written by the next flush rather than lost.
func TestMaxSeries(t *testing.T) {
	f := &figures{}
	f.set("acme", "Endpoint", "a", "CacheHits", 30)
	f.set("acme", "Endpoint", "b", "CacheHits", 20)
	f.set("acme", "Endpoint", "c", "CacheHits", 10)
	e, out, clk := newEmitter(t, f, 2)
	clk.Add(time.Minute)
	e.FlushIfDue(context.Background())
	docs := lines(t, out)
	if len(docs) != 3 || docs[0]["Endpoint"] != "a" || docs[1]["Endpoint"] != "b" || docs[2][metrics.DroppedMetric] != 1.0 {
		t.Fatalf("first flush %v", docs)
	}
	clk.Add(time.Minute)
	e.FlushIfDue(context.Background())
	docs = lines(t, out)
	if len(docs) != 1 || docs[0]["Endpoint"] != "c" || docs[0]["CacheHits"] != 10.0 {
		t.Fatalf("second flush %v: want c's 10 hits carried over", docs)
	}
}

// TestCounterRestart: a counter that went down (a new cache) is exported
// as its new value, never a negative increase.
func TestCounterRestart(t *testing.T) {
	f := &figures{}
	f.set("acme", "Endpoint", "a", "CacheHits", 30)
	e, out, clk := newEmitter(t, f, 0)
	e.Flush(context.Background())
	lines(t, out)
	f.set("acme", "Endpoint", "a", "CacheHits", 4)
	clk.Add(time.Minute)
	e.Flush(context.Background())
	if docs := lines(t, out); len(docs) != 1 || docs[0]["CacheHits"] != 4.0 {
		t.Fatalf("after restart %v", docs)
	}
}

// TestHandlerFlushesWhenDue: the middleware flushes after the request that
// finds a flush due, and its check allocates nothing.
func TestHandlerFlushesWhenDue(t *testing.T) {
	f := &figures{}
	f.set("acme", "Endpoint", "a", "CacheHits", 1)
	e, out, clk := newEmitter(t, f, 0)
	h := e.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	serve := func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}
	serve()
	if out.Len() != 0 {
		t.Fatal("flushed before due")
	}
	if n := testing.AllocsPerRun(100, func() { e.FlushIfDue(context.Background()) }); n != 0 {
		t.Fatalf("FlushIfDue when not due: %v allocs", n)
	}
	clk.Add(time.Minute)
	serve()
	if docs := lines(t, out); len(docs) != 1 || docs[0]["CacheHits"] != 1.0 {
		t.Fatalf("after a due request: %v", docs)
	}
}

func TestNewRequiresOut(t *testing.T) {
	if _, err := metrics.New(metrics.Config{}); err == nil {
		t.Fatal("no error without Out")
	}
}

// TestEscaping: dimension values that need escaping stay valid JSON.
func TestEscaping(t *testing.T) {
	f := &figures{}
	f.set(`te"n\ant`, "Endpoint", "é\n<x>", "CacheHits", 1)
	e, out, _ := newEmitter(t, f, 0)
	e.Flush(context.Background())
	docs := lines(t, out)
	if len(docs) != 1 || docs[0]["Tenant"] != `te"n\ant` || docs[0]["Endpoint"] != "é\n<x>" {
		t.Fatalf("%v", docs)
	}
}

// TestComponentTotals: with Config.Component each flush adds one line
// with the dimension Component: the increases of every counter written,
// summed over tenants (gauges left out); a flush that writes nothing adds
// nothing.
func TestComponentTotals(t *testing.T) {
	f := &figures{}
	f.set("acme", "Webhook", "wh_1", "WebhookFailed", 2)
	f.set("acme", "Webhook", "wh_1", "WebhookAttempts", 5)
	f.set("globex", "Webhook", "wh_2", "WebhookFailed", 1)
	f.set("globex", "Webhook", "wh_2", "WebhookAttempts", 1)
	f.set("globex", "Webhook", "wh_2", "CacheBytes", 100)
	clk := &clock{t: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)}
	var out bytes.Buffer
	e, err := metrics.New(metrics.Config{Out: &out, Sources: []metrics.Source{f.source}, Now: clk.Now, Component: "webhooks"})
	if err != nil {
		t.Fatal(err)
	}
	e.Flush(context.Background())
	docs := lines(t, &out)
	if len(docs) != 3 {
		t.Fatalf("first flush %v", docs)
	}
	tot := docs[2]
	if tot["Component"] != "webhooks" || tot["WebhookFailed"] != 3.0 || tot["WebhookAttempts"] != 6.0 || tot["CacheBytes"] != nil || tot["Tenant"] != nil {
		t.Fatalf("totals %v", tot)
	}
	f.set("acme", "Webhook", "wh_1", "WebhookFailed", 3)
	clk.Add(time.Minute)
	e.Flush(context.Background())
	if docs := lines(t, &out); len(docs) != 2 || docs[1]["WebhookFailed"] != 1.0 || docs[1]["WebhookAttempts"] != 0.0 {
		t.Fatalf("second flush %v", docs)
	}
	clk.Add(time.Minute)
	e.Flush(context.Background())
	if docs := lines(t, &out); len(docs) != 0 {
		t.Fatalf("a flush with nothing moved wrote %v", docs)
	}
}
