package metrics

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Unit is a CloudWatch metric unit.
type Unit string

// Units the gateway's metrics use.
const (
	Count Unit = "Count"
	Bytes Unit = "Bytes"
)

// Sample is one figure of one series at collection time.
type Sample struct {
	Tenant string
	// Dim and Value are the series' second dimension, for example
	// "Endpoint" and an endpoint ID, or "Integration" and its slug.
	Dim, Value string
	Metric     string
	Unit       Unit
	// Gauge: N is a level (bytes held), exported as is. Otherwise N is a
	// cumulative counter, exported as its increase since the last flush.
	Gauge bool
	N     int64
}

// Source adds the current samples of every series it knows; the Emitter
// calls it on each flush, never on the request path.
type Source func(add func(Sample))

// Defaults of Config.
const (
	DefaultNamespace = "Portico"
	DefaultInterval  = time.Minute
	// DefaultMaxSeries bounds the lines of one flush: at most this many
	// series (tenant and endpoint, or tenant and integration) per flush
	// and instance; the least active beyond it wait for the next flush.
	DefaultMaxSeries = 500
)

// Config configures an Emitter.
type Config struct {
	Out     io.Writer // required: os.Stdout in Lambda (CloudWatch Logs)
	Sources []Source
	// Namespace is the CloudWatch namespace; default "Portico".
	Namespace string
	// Interval is the least time between two flushes; default 60s.
	Interval time.Duration
	// MaxSeries bounds the series of one flush; default DefaultMaxSeries.
	MaxSeries int
	// Component, when set, adds to each flush one line with the dimension
	// set [Component] (Component=<this value>): every counter summed over
	// the series the flush wrote. It is what alarms watch, since CloudWatch
	// alarms cannot SEARCH the per-tenant series.
	Component string
	Now       func() time.Time
	Logger    *slog.Logger
}

// Emitter writes its Sources' figures as EMF lines at most every Interval.
// It is safe for concurrent use.
type Emitter struct {
	cfg  Config
	next atomic.Int64 // unix ns when the next flush is due
	mu   sync.Mutex   // serialises flushes; guards last
	last map[sampleKey]int64
}

type sampleKey struct{ tenant, dim, value, metric string }

type seriesKey struct{ tenant, dim, value string }

// New validates cfg and returns an Emitter whose first flush is due one
// Interval from now.
func New(cfg Config) (*Emitter, error) {
	if cfg.Out == nil {
		return nil, errors.New("metrics: Config.Out is required")
	}
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultNamespace
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.MaxSeries <= 0 {
		cfg.MaxSeries = DefaultMaxSeries
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	e := &Emitter{cfg: cfg, last: map[sampleKey]int64{}}
	e.next.Store(cfg.Now().Add(cfg.Interval).UnixNano())
	return e, nil
}

// FlushIfDue flushes when an Interval has passed since the last flush. Its
// check is one clock read and one atomic load, so it may run after every
// request.
func (e *Emitter) FlushIfDue(ctx context.Context) {
	if e.cfg.Now().UnixNano() < e.next.Load() {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	if now.UnixNano() < e.next.Load() {
		return // another caller flushed meanwhile
	}
	e.flush(ctx, now)
}

// Flush writes every series that moved since the last flush, due or not
// (at shutdown, or from Run's ticker).
func (e *Emitter) Flush(ctx context.Context) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.flush(ctx, e.cfg.Now())
}

// Handler runs next, then flushes if due: in Lambda the process may be
// frozen as soon as the invocation returns, so the flush rides on the
// invocation that finds it due.
func (e *Emitter) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		e.FlushIfDue(r.Context())
	})
}

// series is one output line being built.
type series struct {
	key      seriesKey
	samples  []Sample // N: what is exported (a counter's increase)
	raw      []int64  // the sources' N, recorded once written
	activity int64    // sum of the counters' increases
	moved    bool
}

// flush collects, computes increases, and writes; e.mu is held.
func (e *Emitter) flush(ctx context.Context, now time.Time) {
	e.next.Store(now.Add(e.cfg.Interval).UnixNano())
	byKey := map[seriesKey]*series{}
	var all []*series
	for _, src := range e.cfg.Sources {
		src(func(s Sample) {
			k := seriesKey{s.Tenant, s.Dim, s.Value}
			sr := byKey[k]
			if sr == nil {
				sr = &series{key: k}
				byKey[k] = sr
				all = append(all, sr)
			}
			prev, seen := e.last[sampleKey{s.Tenant, s.Dim, s.Value, s.Metric}]
			out := s
			switch {
			case s.Gauge:
				sr.moved = sr.moved || !seen && s.N != 0 || seen && s.N != prev
			case s.N >= prev:
				out.N = s.N - prev
			default: // the counter restarted
				out.N = s.N
			}
			if !s.Gauge {
				sr.activity += out.N
				sr.moved = sr.moved || out.N != 0
			}
			sr.samples = append(sr.samples, out)
			sr.raw = append(sr.raw, s.N)
		})
	}
	moved := slices.DeleteFunc(all, func(s *series) bool { return !s.moved })
	slices.SortFunc(moved, func(a, b *series) int {
		return cmp.Or(cmp.Compare(b.activity, a.activity), cmp.Compare(a.key.tenant, b.key.tenant),
			cmp.Compare(a.key.dim, b.key.dim), cmp.Compare(a.key.value, b.key.value))
	})
	dropped := 0
	if len(moved) > e.cfg.MaxSeries {
		dropped = len(moved) - e.cfg.MaxSeries
		moved = moved[:e.cfg.MaxSeries]
	}
	ts := now.UnixMilli()
	var buf bytes.Buffer
	for _, s := range moved {
		buf.Reset()
		e.appendLine(&buf, ts, s)
		if _, err := e.cfg.Out.Write(buf.Bytes()); err != nil {
			e.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "metrics: write", slog.String("error", err.Error()))
			return // unwritten series keep their increases for the next flush
		}
		// Only written series advance: a dropped one's increase carries
		// over to the next flush.
		for i, sm := range s.samples {
			e.last[sampleKey{s.key.tenant, s.key.dim, s.key.value, sm.Metric}] = s.raw[i]
		}
	}
	if e.cfg.Component != "" && len(moved) > 0 {
		buf.Reset()
		e.appendTotals(&buf, ts, moved)
		if _, err := e.cfg.Out.Write(buf.Bytes()); err != nil {
			e.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "metrics: write", slog.String("error", err.Error()))
		}
	}
	if dropped > 0 {
		buf.Reset()
		e.appendDropped(&buf, ts, dropped)
		_, _ = e.cfg.Out.Write(buf.Bytes())
		e.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "metrics: series over the cap wait for the next flush",
			slog.Int("dropped", dropped), slog.Int("maxSeries", e.cfg.MaxSeries))
	}
}

// appendLine writes s as one EMF document: the _aws metadata (one
// directive: dimension sets [Tenant, <Dim>] and [Tenant]), the dimension
// values, then each metric's value.
func (e *Emitter) appendLine(b *bytes.Buffer, ts int64, s *series) {
	b.WriteString(`{"_aws":{"Timestamp":`)
	b.WriteString(strconv.FormatInt(ts, 10))
	b.WriteString(`,"CloudWatchMetrics":[{"Namespace":`)
	appendString(b, e.cfg.Namespace)
	b.WriteString(`,"Dimensions":[["Tenant",`)
	appendString(b, s.key.dim)
	b.WriteString(`],["Tenant"]],"Metrics":[`)
	for i, sm := range s.samples {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"Name":`)
		appendString(b, sm.Metric)
		b.WriteString(`,"Unit":`)
		appendString(b, string(sm.Unit))
		b.WriteByte('}')
	}
	b.WriteString(`]}]},"Tenant":`)
	appendString(b, s.key.tenant)
	b.WriteByte(',')
	appendString(b, s.key.dim)
	b.WriteByte(':')
	appendString(b, s.key.value)
	for _, sm := range s.samples {
		b.WriteByte(',')
		appendString(b, sm.Metric)
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(sm.N, 10))
	}
	b.WriteString("}\n")
}

// appendTotals writes the sum of every counter of the written series as
// one EMF document with the dimension Component=cfg.Component, metrics in
// the order they first appear.
func (e *Emitter) appendTotals(b *bytes.Buffer, ts int64, written []*series) {
	var names []string
	units := map[string]Unit{}
	sums := map[string]int64{}
	for _, s := range written {
		for _, sm := range s.samples {
			if sm.Gauge {
				continue
			}
			if _, ok := units[sm.Metric]; !ok {
				names = append(names, sm.Metric)
				units[sm.Metric] = sm.Unit
			}
			sums[sm.Metric] += sm.N
		}
	}
	b.WriteString(`{"_aws":{"Timestamp":`)
	b.WriteString(strconv.FormatInt(ts, 10))
	b.WriteString(`,"CloudWatchMetrics":[{"Namespace":`)
	appendString(b, e.cfg.Namespace)
	b.WriteString(`,"Dimensions":[["Component"]],"Metrics":[`)
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"Name":`)
		appendString(b, n)
		b.WriteString(`,"Unit":`)
		appendString(b, string(units[n]))
		b.WriteByte('}')
	}
	b.WriteString(`]}]},"Component":`)
	appendString(b, e.cfg.Component)
	for _, n := range names {
		b.WriteByte(',')
		appendString(b, n)
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(sums[n], 10))
	}
	b.WriteString("}\n")
}

// DroppedMetric counts the series a flush left out over MaxSeries, with
// the dimension Component=metrics.
const DroppedMetric = "MetricsSeriesDropped"

func (e *Emitter) appendDropped(b *bytes.Buffer, ts int64, n int) {
	fmt.Fprintf(b, `{"_aws":{"Timestamp":%d,"CloudWatchMetrics":[{"Namespace":`, ts)
	appendString(b, e.cfg.Namespace)
	fmt.Fprintf(b, `,"Dimensions":[["Component"]],"Metrics":[{"Name":%q,"Unit":"Count"}]}]},"Component":"metrics",%q:%d}`+"\n",
		DroppedMetric, DroppedMetric, n)
}

// appendString writes s as a JSON string: printable ASCII without quotes
// or backslashes (IDs, slugs, metric names) as is, anything else through
// encoding/json.
func appendString(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			q, _ := json.Marshal(s) // a string always marshals
			b.Write(q)
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}
