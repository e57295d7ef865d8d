package integration

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/portico/portico/internal/integration/retry"
	"github.com/portico/portico/internal/integration/ssrf"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/proxy"
)

// flaky is an upstream that answers from a script, then 200.
type flaky struct {
	*httptest.Server
	calls  atomic.Int64
	mu     sync.Mutex
	bodies []string
}

func newFlaky(t testing.TB, script ...func(w http.ResponseWriter)) *flaky {
	t.Helper()
	f := &flaky{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.bodies = append(f.bodies, string(b))
		f.mu.Unlock()
		n := int(f.calls.Add(1))
		if n <= len(script) {
			script[n-1](w)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(f.Close)
	return f
}

func status(code int, h ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(h); i += 2 {
			w.Header().Set(h[i], h[i+1])
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "upstream says "+http.StatusText(code))
	}
}

// reset closes the connection without an answer.
func reset(w http.ResponseWriter) {
	c, _, _ := http.NewResponseController(w).Hijack()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return nil
}

func newEngine(t testing.TB, guard *ssrf.Guard) (*Engine, *sleeps) {
	t.Helper()
	s := &sleeps{}
	e, err := New(Config{
		Forwarder: proxy.New(proxy.Config{Logger: slog.New(slog.DiscardHandler)}),
		Guard:     guard,
		Rand:      func() float64 { return 0.5 },
		Sleep:     s.sleep,
		Now:       func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return e, s
}

func plan(attempts int) *Plan {
	return &Plan{Tenant: "acme", Integration: "backend", Retry: retry.Policy{MaxAttempts: attempts, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}.Normalized()}
}

func target(t testing.TB, raw string) proxy.Target {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return proxy.Target{BaseURL: u, Path: "/x"}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		key         string
		body        string
		script      []func(http.ResponseWriter)
		attempts    int
		wantStatus  int
		wantCalls   int64
		wantSleeps  []time.Duration
		wantProblem string
	}{
		{name: "503 then 200", method: "GET", script: []func(http.ResponseWriter){status(503)}, attempts: 3, wantStatus: 200, wantCalls: 2, wantSleeps: []time.Duration{50 * time.Millisecond}},
		{name: "backoff doubles", method: "GET", script: []func(http.ResponseWriter){status(502), status(504), status(503)}, attempts: 4, wantStatus: 200, wantCalls: 4,
			wantSleeps: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}},
		{name: "gives up after max attempts", method: "GET", script: []func(http.ResponseWriter){status(503), status(503), status(503)}, attempts: 3, wantStatus: 503, wantCalls: 3,
			wantSleeps: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}},
		{name: "500 is not retried by default", method: "GET", script: []func(http.ResponseWriter){status(500)}, attempts: 3, wantStatus: 500, wantCalls: 1},
		{name: "404 is not retried", method: "GET", script: []func(http.ResponseWriter){status(404)}, attempts: 3, wantStatus: 404, wantCalls: 1},
		{name: "Retry-After seconds honoured", method: "GET", script: []func(http.ResponseWriter){status(429, "Retry-After", "2")}, attempts: 2, wantStatus: 200, wantCalls: 2, wantSleeps: []time.Duration{2 * time.Second}},
		{name: "Retry-After date honoured", method: "GET", script: []func(http.ResponseWriter){status(503, "Retry-After", "Thu, 01 Jan 2026 00:00:03 GMT")}, attempts: 2, wantStatus: 200, wantCalls: 2, wantSleeps: []time.Duration{3 * time.Second}},
		{name: "Retry-After too long is not waited for", method: "GET", script: []func(http.ResponseWriter){status(503, "Retry-After", "120")}, attempts: 3, wantStatus: 503, wantCalls: 1},
		{name: "POST without key never retried", method: "POST", body: "order", script: []func(http.ResponseWriter){status(503)}, attempts: 3, wantStatus: 503, wantCalls: 1},
		{name: "POST with Idempotency-Key retried with its body", method: "POST", key: "k-1", body: "order", script: []func(http.ResponseWriter){status(503)}, attempts: 3, wantStatus: 200, wantCalls: 2, wantSleeps: []time.Duration{50 * time.Millisecond}},
		{name: "PUT retried with its body", method: "PUT", body: "doc", script: []func(http.ResponseWriter){status(502)}, attempts: 2, wantStatus: 200, wantCalls: 2, wantSleeps: []time.Duration{50 * time.Millisecond}},
		{name: "connection reset retried", method: "GET", script: []func(http.ResponseWriter){reset}, attempts: 2, wantStatus: 200, wantCalls: 2, wantSleeps: []time.Duration{50 * time.Millisecond}},
		{name: "connection reset, no retries left", method: "GET", script: []func(http.ResponseWriter){reset}, attempts: 1, wantCalls: 1, wantProblem: proxy.TypeUpstreamUnavailable},
		{name: "POST reset without key not retried", method: "POST", body: "x", script: []func(http.ResponseWriter){reset}, attempts: 3, wantCalls: 1, wantProblem: proxy.TypeUpstreamUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up := newFlaky(t, tc.script...)
			e, s := newEngine(t, nil)
			var rd io.Reader
			if tc.body != "" {
				rd = strings.NewReader(tc.body)
			}
			r := httptest.NewRequest(tc.method, "/x", rd)
			if tc.key != "" {
				r.Header.Set("Idempotency-Key", tc.key)
			}
			w := httptest.NewRecorder()
			st, err := e.Do(w, r, plan(tc.attempts), target(t, up.URL))
			if tc.wantProblem != "" {
				var p *problem.Problem
				if !errors.As(err, &p) || !strings.HasSuffix(p.Type, tc.wantProblem) {
					t.Fatalf("err = %v, want problem %s", err, tc.wantProblem)
				}
			} else if err != nil || w.Code != tc.wantStatus {
				t.Fatalf("status %d, err %v; want %d", w.Code, err, tc.wantStatus)
			}
			if got := up.calls.Load(); got != tc.wantCalls || int64(st.Attempts) != tc.wantCalls {
				t.Errorf("upstream calls %d, stats attempts %d; want %d", got, st.Attempts, tc.wantCalls)
			}
			if len(s.d) != len(tc.wantSleeps) {
				t.Fatalf("sleeps %v, want %v", s.d, tc.wantSleeps)
			}
			for i := range s.d {
				if s.d[i] != tc.wantSleeps[i] {
					t.Errorf("sleep %d = %v, want %v", i, s.d[i], tc.wantSleeps[i])
				}
			}
			if tc.body != "" {
				for i, b := range up.bodies {
					if b != tc.body {
						t.Errorf("attempt %d body %q, want %q", i+1, b, tc.body)
					}
				}
			}
		})
	}
}

func TestRetryBudgetStopsRetryStorm(t *testing.T) {
	up := newFlaky(t)
	up.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { up.calls.Add(1); w.WriteHeader(503) })
	e, _ := newEngine(t, nil)
	for range 20 {
		_, _ = e.Do(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil), plan(3), target(t, up.URL))
	}
	// Without a budget: 60 calls. With it: 20 + the few retries allowed
	// while more than half the 10 tokens remained.
	if c := up.calls.Load(); c > 25 {
		t.Errorf("%d upstream calls for 20 requests, want the retry budget to hold it near 20", c)
	}
}

func TestDeadlineMargin(t *testing.T) {
	up := newFlaky(t)
	e, _ := newEngine(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond) // < the 250ms margin
	defer cancel()
	_, err := e.Do(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil).WithContext(ctx), plan(1), target(t, up.URL))
	var p *problem.Problem
	if !errors.As(err, &p) || p.Status != http.StatusGatewayTimeout || up.calls.Load() != 0 {
		t.Fatalf("err %v, calls %d; want 504 without calling", err, up.calls.Load())
	}
}

func TestRetryNotScheduledPastDeadline(t *testing.T) {
	up := newFlaky(t, status(503))
	e, s := newEngine(t, nil)
	p := plan(3)
	p.Timeout = 300 * time.Millisecond
	p.Retry.BaseDelay, p.Retry.MaxDelay = 2*time.Second, 2*time.Second // 1s wait: beyond the deadline
	w := httptest.NewRecorder()
	if _, err := e.Do(w, httptest.NewRequest("GET", "/x", nil), p, target(t, up.URL)); err != nil || w.Code != 503 {
		t.Fatalf("got %d %v", w.Code, err)
	}
	if len(s.d) != 0 || up.calls.Load() != 1 {
		t.Errorf("slept %v, %d calls", s.d, up.calls.Load())
	}
}

func TestCircuitBreaker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var fail atomic.Bool
		fail.Store(true)
		var calls atomic.Int64
		tr := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			calls.Add(1)
			code := 200
			if fail.Load() {
				code = 503
			}
			return &http.Response{StatusCode: code, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("x")), Request: r}, nil
		})
		e, err := New(Config{Forwarder: proxy.New(proxy.Config{Transport: tr}), Sleep: func(context.Context, time.Duration) error { return nil }})
		if err != nil {
			t.Fatal(err)
		}
		p := plan(1)
		p.Breaker = &BreakerSettings{FailureRatio: 0.5, MinRequests: 4, Open: 5 * time.Second}
		do := func() (int, error) {
			w := httptest.NewRecorder()
			_, err := e.Do(w, httptest.NewRequest("GET", "/x", nil), p, proxy.Target{BaseURL: &url.URL{Scheme: "http", Host: "upstream.test"}})
			return w.Code, err
		}
		for i := range 4 {
			if code, err := do(); code != 503 || err != nil {
				t.Fatalf("call %d: %d %v", i, code, err)
			}
		}
		if h, _ := e.Health("acme", "backend"); h.Breaker != "open" {
			t.Fatalf("breaker %q after 4/4 failures, want open", h.Breaker)
		}
		_, err = do()
		var pr *problem.Problem
		if !errors.As(err, &pr) || !strings.HasSuffix(pr.Type, TypeCircuitOpen) || pr.Headers.Get("Retry-After") != "5" || calls.Load() != 4 {
			t.Fatalf("open breaker: err %v, calls %d", err, calls.Load())
		}
		time.Sleep(5*time.Second + time.Millisecond) // fake time inside the bubble
		if h, _ := e.Health("acme", "backend"); h.Breaker != "half-open" {
			t.Fatalf("breaker %q after the open period, want half-open", h.Breaker)
		}
		fail.Store(false)
		if code, err := do(); code != 200 || err != nil {
			t.Fatalf("probe: %d %v", code, err)
		}
		if h, _ := e.Health("acme", "backend"); h.Breaker != "closed" {
			t.Fatalf("breaker %q after a good probe, want closed", h.Breaker)
		}
		// Each transition counted once, for the metrics export.
		want := []BreakerStats{{Tenant: "acme", Integration: "backend", Opened: 1, HalfOpened: 1, Closed: 1}}
		if got := e.BreakerStats(); !slices.Equal(got, want) {
			t.Fatalf("BreakerStats = %+v, want %+v", got, want)
		}
	})
}

func TestBreakerStaysClosedBelowRatio(t *testing.T) {
	up := newFlaky(t, status(503), status(200), status(200), status(200), status(503), status(200))
	e, _ := newEngine(t, nil)
	p := plan(1)
	p.Breaker = &BreakerSettings{FailureRatio: 0.5, MinRequests: 4, Open: time.Minute}
	for range 6 {
		_, _ = e.Do(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil), p, target(t, up.URL))
	}
	if h, _ := e.Health("acme", "backend"); h.Breaker != "closed" || h.Failures != 2 || h.Requests != 6 {
		t.Errorf("health %+v, want closed with 2/6 failures", h)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRedirects(t *testing.T) {
	final := newFlaky(t)
	finalAddr := netip.MustParseAddrPort(final.Listener.Addr().String())
	redirector := func(loc string, code int) *flaky {
		return newFlaky(t, func(w http.ResponseWriter) { w.Header().Set("Location", loc); w.WriteHeader(code) })
	}
	guard := func(allow ...netip.AddrPort) *ssrf.Guard {
		var a []ssrf.Allowed
		for _, ap := range allow {
			a = append(a, ssrf.Allowed{Prefix: netip.PrefixFrom(ap.Addr(), 32), Port: ap.Port()})
		}
		return ssrf.New(ssrf.Policy{Allow: a})
	}
	tests := []struct {
		name        string
		loc         string
		code        int
		follow      bool
		allowFinal  bool
		wantStatus  int
		wantProblem string
		wantFinal   int64
	}{
		{name: "not followed by default", loc: final.URL + "/there", code: 302, wantStatus: 302},
		{name: "followed when allowed and guard passes", loc: final.URL + "/there", code: 302, follow: true, allowFinal: true, wantStatus: 200, wantFinal: 1},
		{name: "to the metadata address", loc: "http://169.254.169.254/latest/meta-data/", code: 302, follow: true, wantProblem: TypeRedirectDenied},
		{name: "to a decimal loopback", loc: "http://2130706433/", code: 307, follow: true, wantProblem: TypeRedirectDenied},
		{name: "to a non-allowlisted loopback port", loc: final.URL, code: 301, follow: true, wantProblem: TypeRedirectDenied},
		{name: "to another scheme", loc: "file:///etc/passwd", code: 302, follow: true, wantProblem: TypeRedirectDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			final.calls.Store(0)
			first := redirector(tc.loc, tc.code)
			allow := []netip.AddrPort{netip.MustParseAddrPort(first.Listener.Addr().String())}
			if tc.allowFinal {
				allow = append(allow, finalAddr)
			}
			e, _ := newEngine(t, guard(allow...))
			p := plan(1)
			p.FollowRedirects = tc.follow
			w := httptest.NewRecorder()
			_, err := e.Do(w, httptest.NewRequest("GET", "/x", nil), p, target(t, first.URL))
			if tc.wantProblem != "" {
				var pr *problem.Problem
				if !errors.As(err, &pr) || !strings.HasSuffix(pr.Type, tc.wantProblem) {
					t.Fatalf("err %v, want %s", err, tc.wantProblem)
				}
			} else if err != nil || w.Code != tc.wantStatus {
				t.Fatalf("got %d %v, want %d", w.Code, err, tc.wantStatus)
			}
			if final.calls.Load() != tc.wantFinal {
				t.Errorf("final upstream calls %d, want %d", final.calls.Load(), tc.wantFinal)
			}
		})
	}
}

// TestPooledConnections extends proxy's TestForwardReusesConnections to
// the engine with a retry policy and a breaker configured: 1,000
// sequential calls open at most 2 connections.
func TestPooledConnections(t *testing.T) {
	var conns atomic.Int64
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	up.Start()
	t.Cleanup(up.Close)
	addr := netip.MustParseAddrPort(up.Listener.Addr().String())
	g := ssrf.New(ssrf.Policy{Allow: []ssrf.Allowed{{Prefix: netip.PrefixFrom(addr.Addr(), 32), Port: addr.Port()}}})
	tr := proxy.NewTransportWith(proxy.TransportConfig{Control: g.Control, NoProxy: true})
	e, err := New(Config{Forwarder: proxy.New(proxy.Config{Transport: tr}), Guard: g})
	if err != nil {
		t.Fatal(err)
	}
	p := plan(3)
	p.Breaker = &BreakerSettings{FailureRatio: 0.5, MinRequests: 10, Open: time.Second}
	n := 1000
	if testing.Short() {
		n = 100
	}
	for i := range n {
		w := httptest.NewRecorder()
		if _, err := e.Do(w, httptest.NewRequest("GET", "/x", nil), p, target(t, up.URL)); err != nil || w.Code != 200 {
			t.Fatalf("call %d: %d %v", i, w.Code, err)
		}
	}
	if c := conns.Load(); c > 2 {
		t.Errorf("%d sequential calls opened %d connections, want at most 2", n, c)
	}
}

func TestDialTimeGuardThroughEngine(t *testing.T) {
	up := newFlaky(t)
	g := ssrf.New(ssrf.Policy{AnyPort: true}) // loopback not allowlisted
	tr := proxy.NewTransportWith(proxy.TransportConfig{Control: g.Control, NoProxy: true})
	e, _ := New(Config{Forwarder: proxy.New(proxy.Config{Transport: tr})})
	_, port, _ := net.SplitHostPort(up.Listener.Addr().String())
	_, err := e.Do(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil), plan(3), target(t, "http://localhost:"+port))
	var pr *problem.Problem
	if !errors.As(err, &pr) || !errors.Is(err, ssrf.ErrDenied) {
		t.Fatalf("err %v, want a problem caused by ssrf.ErrDenied", err)
	}
	if up.calls.Load() != 0 {
		t.Error("upstream reached")
	}
}
