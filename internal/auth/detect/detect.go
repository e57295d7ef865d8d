// Package detect counts failed authentications and reacts to attacks:
// per tenant, failures are counted by source IP, by credential prefix (the
// public start of an API key) and by consumer, in fixed windows. Crossing a
// threshold raises a security Event (once per window and subject); an IP
// crossing its threshold is also blocked for a while (the gateway answers
// 429 with Retry-After).
//
// Only source IPs are ever blocked: a credential prefix or consumer name is
// something an attacker can put in a request, so blocking by it would let
// anyone lock a legitimate consumer out. Those produce events only.
package detect

import (
	"sync"
	"sync/atomic"
	"time"
)

// Dimension says what a counter counts by.
type Dimension string

// Dimensions.
const (
	ByIP       Dimension = "ip"
	ByPrefix   Dimension = "prefix"
	ByConsumer Dimension = "consumer"
)

// Event is a threshold crossed.
type Event struct {
	Time     time.Time
	Tenant   string
	By       Dimension
	Value    string
	Failures int
	// BlockedUntil is set when the source IP is blocked.
	BlockedUntil time.Time
}

// Config configures a Detector; zero values take defaults.
type Config struct {
	// Window of the counters; default 1 minute.
	Window time.Duration
	// IPThreshold failures per window from one IP raise an event and block
	// it; default 50.
	IPThreshold int
	// Threshold failures per window for one credential prefix or consumer
	// raise an event; default 20.
	Threshold int
	// EnumerationThreshold unknown-tenant answers per window to one IP
	// raise an event and block it from every tenant (enumerate.go);
	// default 50.
	EnumerationThreshold int
	// BlockFor is how long an IP stays blocked; default 5 minutes.
	BlockFor time.Duration
	// MaxEntries bounds the counters; past it the oldest window is
	// forgotten. Default 100000.
	MaxEntries int
	// OnEvent receives events (audit, metric, alert hook); nil drops them.
	// It is called synchronously: keep it short.
	OnEvent func(Event)
}

type key struct {
	tenant string
	by     Dimension
	value  string
}

type counter struct {
	window int64 // window start, unix nanos
	n      int
}

// Detector is safe for concurrent use.
type Detector struct {
	cfg Config

	mu     sync.Mutex
	counts map[key]*counter
	blocks map[key]time.Time
	// nBlocks lets the success path skip the lock when nothing is blocked.
	nBlocks atomic.Int64
}

// New fills defaults.
func New(cfg Config) *Detector {
	if cfg.Window <= 0 {
		cfg.Window = time.Minute
	}
	if cfg.IPThreshold <= 0 {
		cfg.IPThreshold = 50
	}
	if cfg.Threshold <= 0 {
		cfg.Threshold = 20
	}
	if cfg.EnumerationThreshold <= 0 {
		cfg.EnumerationThreshold = 50
	}
	if cfg.BlockFor <= 0 {
		cfg.BlockFor = 5 * time.Minute
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 100_000
	}
	return &Detector{cfg: cfg, counts: map[key]*counter{}, blocks: map[key]time.Time{}}
}

// Blocked reports whether ip is blocked for tenant at now, and for how long
// still. It does not allocate, and takes no lock while nothing is blocked.
func (d *Detector) Blocked(tenant, ip string, now time.Time) (time.Duration, bool) {
	if d.nBlocks.Load() == 0 {
		return 0, false
	}
	return d.blocked(key{tenant, ByIP, ip}, now)
}

// blocked is Blocked for any key, once some block exists.
func (d *Detector) blocked(k key, now time.Time) (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	until, ok := d.blocks[k]
	if !ok {
		return 0, false
	}
	if !now.Before(until) {
		delete(d.blocks, k)
		d.nBlocks.Add(-1)
		return 0, false
	}
	return until.Sub(now), true
}

// Failed records a failed authentication. ip, prefix and consumer may be "".
func (d *Detector) Failed(tenant, ip, prefix, consumer string, now time.Time) {
	var events [3]Event
	n := 0
	d.mu.Lock()
	if len(d.counts) >= d.cfg.MaxEntries {
		d.prune(now)
	}
	if ip == "" {
		// no source to count or block
	} else if ev, ok := d.count(key{tenant, ByIP, ip}, d.cfg.IPThreshold, now); ok {
		ev.BlockedUntil = now.Add(d.cfg.BlockFor)
		if _, had := d.blocks[key{tenant, ByIP, ip}]; !had {
			d.nBlocks.Add(1)
		}
		d.blocks[key{tenant, ByIP, ip}] = ev.BlockedUntil
		events[n] = ev
		n++
	}
	if prefix != "" {
		if ev, ok := d.count(key{tenant, ByPrefix, prefix}, d.cfg.Threshold, now); ok {
			events[n] = ev
			n++
		}
	}
	if consumer != "" {
		if ev, ok := d.count(key{tenant, ByConsumer, consumer}, d.cfg.Threshold, now); ok {
			events[n] = ev
			n++
		}
	}
	d.mu.Unlock()
	if d.cfg.OnEvent != nil {
		for _, ev := range events[:n] {
			d.cfg.OnEvent(ev)
		}
	}
}

// count adds one failure and reports the event when this one reaches the
// threshold (once per window). Called with mu held.
func (d *Detector) count(k key, threshold int, now time.Time) (Event, bool) {
	w := now.UnixNano() - now.UnixNano()%int64(d.cfg.Window)
	c := d.counts[k]
	if c == nil {
		c = &counter{window: w}
		d.counts[k] = c
	} else if c.window != w {
		c.window, c.n = w, 0
	}
	c.n++
	if c.n != threshold {
		return Event{}, false
	}
	return Event{Time: now, Tenant: k.tenant, By: k.by, Value: k.value, Failures: c.n}, true
}

// prune forgets counters of past windows, and all of them if that is not
// enough (a flood of distinct IPs). Called with mu held.
func (d *Detector) prune(now time.Time) {
	w := now.UnixNano() - now.UnixNano()%int64(d.cfg.Window)
	for k, c := range d.counts {
		if c.window != w {
			delete(d.counts, k)
		}
	}
	if len(d.counts) >= d.cfg.MaxEntries {
		clear(d.counts)
	}
	for k, until := range d.blocks {
		if !now.Before(until) {
			delete(d.blocks, k)
			d.nBlocks.Add(-1)
		}
	}
}
