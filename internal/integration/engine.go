package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/portico/portico/internal/integration/retry"
	"github.com/portico/portico/internal/integration/ssrf"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/proxy"
)

// Problem type slugs of the engine (besides proxy's).
const (
	TypeCircuitOpen     = "upstream-circuit-open"
	TypeDeadlineTooNear = "upstream-timeout"
	TypeRedirectDenied  = "upstream-redirect-denied"
)

// DefaultSafetyMargin is kept free before the request's deadline, so the
// gateway can still answer (a Lambda killed at its deadline answers
// nothing).
const DefaultSafetyMargin = 250 * time.Millisecond

// maxReplayBody is the largest request body buffered for retries; a larger
// body is streamed and the request is not retried.
const maxReplayBody = 6 << 20

const maxRedirects = 5

// Config configures an Engine.
type Config struct {
	Forwarder *proxy.Forwarder // required
	// Guard re-checks redirect targets; nil means redirects are never
	// followed whatever the plan says.
	Guard *ssrf.Guard
	// Rand returns a float in [0, 1) for jitter; nil means math/rand/v2.
	Rand func() float64
	// Sleep waits d or until ctx is done; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for Retry-After dates; nil means time.Now.
	Now          func() time.Time
	SafetyMargin time.Duration // zero means DefaultSafetyMargin
	Logger       *slog.Logger
	// Secrets resolves the secrets of integrations with auth
	// (credential.go); nil answers their calls with 503.
	Secrets SecretSource
}

// Engine runs integration calls. It is safe for concurrent use.
type Engine struct {
	cfg Config
	mu  sync.Mutex
	cbs map[string]*breakerEntry // tenant + "\x00" + integration
	// trans counts breaker transitions by the same key (breakerstats.go).
	trans map[string]*transitions
}

type breakerEntry struct {
	settings string
	cb       *gobreaker.TwoStepCircuitBreaker[struct{}] // nil without a breaker policy
	budget   *retry.Budget
}

// New returns an Engine.
func New(cfg Config) (*Engine, error) {
	if cfg.Forwarder == nil {
		return nil, errors.New("integration: Config.Forwarder is required")
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SafetyMargin <= 0 {
		cfg.SafetyMargin = DefaultSafetyMargin
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Engine{cfg: cfg, cbs: map[string]*breakerEntry{}, trans: map[string]*transitions{}}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats says what a call did, for the access log.
type Stats struct {
	Attempts  int
	Redirects int
	Breaker   string // "", "closed", "half-open", "open"
}

// entry returns the breaker and budget of p's (tenant, integration),
// replacing the breaker when its settings changed.
func (e *Engine) entry(p *Plan) *breakerEntry {
	k := p.Tenant + "\x00" + p.Integration
	settings := ""
	if p.Breaker != nil {
		settings = p.Breaker.key()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	be := e.cbs[k]
	if be != nil && be.settings == settings {
		return be
	}
	nb := &breakerEntry{settings: settings, budget: retry.NewBudget(0, 0)}
	if be != nil {
		nb.budget = be.budget
	}
	if b := p.Breaker; b != nil {
		nb.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
			Name:        p.Tenant + "/" + p.Integration,
			MaxRequests: max(b.HalfOpenProbes, 1),
			Timeout:     b.Open,
			ReadyToTrip: func(c gobreaker.Counts) bool {
				return c.Requests >= b.MinRequests && float64(c.TotalFailures) >= b.FailureRatio*float64(c.Requests)
			},
			OnStateChange: e.transitionsOf(k, p).count,
		})
	}
	e.cbs[k] = nb
	return nb
}

// errUpstreamFailed marks an attempt the breaker counts as a failure.
var errUpstreamFailed = errors.New("integration: upstream failed")

// Do calls the upstream of t under p and writes the response to w. Its
// error contract is proxy.Forwarder.Forward's: a *problem.Problem when
// nothing was written, the client's context error when it went away, any
// other error after a partial response.
func (e *Engine) Do(w http.ResponseWriter, r *http.Request, p *Plan, t proxy.Target) (Stats, error) {
	return e.Call(r, p, t, func(x *proxy.Exchange, r *http.Request) error {
		return e.cfg.Forwarder.Write(w, r, x)
	})
}

// Call is Do with the final response handed to use instead of written:
// use gets the upstream exchange once retries and redirects are done,
// under the call's deadline (the request it gets carries it), and must
// consume or Discard it; its error is Call's. Call's own errors are Do's.
func (e *Engine) Call(r *http.Request, p *Plan, t proxy.Target, use func(x *proxy.Exchange, r *http.Request) error) (Stats, error) {
	var st Stats
	total := p.Timeout
	if total <= 0 {
		total = proxy.DefaultTimeout
	}
	if dl, ok := r.Context().Deadline(); ok {
		if left := time.Until(dl) - e.cfg.SafetyMargin; left < total {
			total = left
		}
	}
	if total <= 0 {
		return st, problem.New(http.StatusGatewayTimeout, TypeDeadlineTooNear, "Gateway Timeout",
			"no time is left to call the upstream before the request's deadline")
	}
	ctx, cancel := context.WithTimeout(r.Context(), total)
	defer cancel()
	if p.ConnectTimeout > 0 {
		ctx = proxy.WithConnectTimeout(ctx, p.ConnectTimeout)
	}
	deadline, _ := ctx.Deadline()
	credHeader := ""
	if p.Auth != nil {
		value, secret, prob := e.credential(ctx, p)
		if prob != nil {
			return st, prob
		}
		credHeader = p.Auth.Header
		t.SetHeaders = withHeader(t.SetHeaders, credHeader, value)
		ctx = context.WithValue(ctx, credentialsKey{}, []string{value, secret})
	}
	r = r.WithContext(ctx)
	t.MaxResponseBytes, t.BodyIdleTimeout = p.MaxResponseBytes, p.BodyIdleTimeout

	be := e.entry(p)
	method := t.Method
	if method == "" {
		method = r.Method
	}
	attempts := 1
	if p.Retry.MaxAttempts > 1 && (p.Idempotent || retry.Replayable(method, r.Header)) {
		attempts = p.Retry.MaxAttempts
	}
	var body []byte
	if attempts > 1 && r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxReplayBody+1))
		if err != nil {
			return st, problem.BadRequest("", "the request body could not be read").WithCause(err)
		}
		if len(b) > maxReplayBody {
			attempts = 1 // too big to replay: stream what is left after it
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
		} else {
			body = b
			r.ContentLength = int64(len(b))
		}
	}

	for n := 1; ; n++ {
		st.Attempts = n
		if body != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		var done func(error)
		if be.cb != nil {
			var err error
			done, err = be.cb.Allow()
			st.Breaker = be.cb.State().String()
			if err != nil {
				return st, circuitOpen(p, err)
			}
		}
		t.Timeout = time.Until(deadline)
		x, err := e.cfg.Forwarder.Send(r, t)
		failed := attemptFailed(x, err)
		if done != nil {
			if ctxCanceled(r, err) {
				done(nil) // the client left: not the upstream's fault
			} else if failed {
				done(errUpstreamFailed)
			} else {
				done(nil)
			}
		}
		if ctxCanceled(r, err) {
			return st, err
		}
		if !failed {
			be.budget.Success()
		}
		if n < attempts && e.retryable(p, x, err) && be.budget.Failure() {
			delay, ok := e.delay(p, n, x)
			if ok && time.Now().Add(delay).Before(deadline) {
				if x != nil {
					x.Discard()
				}
				if serr := e.cfg.Sleep(ctx, delay); serr != nil {
					if r.Context().Err() != nil && ctx.Err() != nil && errors.Is(serr, context.Canceled) {
						return st, proxy.ClientGone(r, serr)
					}
					return st, problem.New(http.StatusGatewayTimeout, proxy.TypeUpstreamTimeout, "Gateway Timeout",
						"the upstream service did not respond in time").WithCause(serr)
				}
				continue
			}
		}
		if err != nil {
			return st, err
		}
		if p.FollowRedirects && e.cfg.Guard != nil && isRedirect(x.Resp.StatusCode) {
			x, err = e.follow(r, t, x, &st, credHeader)
			if err != nil {
				return st, err
			}
		}
		return st, use(x, r)
	}
}

func ctxCanceled(r *http.Request, err error) bool {
	return err != nil && errors.Is(err, context.Canceled) && r.Context().Err() != nil
}

// attemptFailed: a transport error or timeout, or a 5xx or 429 answer.
func attemptFailed(x *proxy.Exchange, err error) bool {
	if err != nil {
		var p *problem.Problem
		return errors.As(err, &p) && (p.Status == http.StatusBadGateway || p.Status == http.StatusGatewayTimeout)
	}
	return x.Resp.StatusCode >= 500 || x.Resp.StatusCode == http.StatusTooManyRequests
}

// retryable: a connection error or timeout (problems 502/504 from Send,
// except a too-large response), or a status the policy retries.
func (e *Engine) retryable(p *Plan, x *proxy.Exchange, err error) bool {
	if err != nil {
		var pr *problem.Problem
		return errors.As(err, &pr) && !errors.Is(err, proxy.ErrResponseTooLarge) &&
			(pr.Status == http.StatusBadGateway || pr.Status == http.StatusGatewayTimeout)
	}
	return p.Retry.RetryableStatus(x.Resp.StatusCode)
}

// delay is the wait before retry n: the backoff, or the upstream's
// Retry-After when longer; ok is false when Retry-After asks for more
// than retry.MaxRetryAfter.
func (e *Engine) delay(p *Plan, n int, x *proxy.Exchange) (time.Duration, bool) {
	d := p.Retry.Backoff(n, e.cfg.Rand)
	if x != nil {
		if ra, ok := retry.RetryAfter(x.Resp.Header.Get("Retry-After"), e.cfg.Now()); ok {
			if ra > retry.MaxRetryAfter {
				return 0, false
			}
			d = max(d, ra)
		}
	}
	return d, true
}

func circuitOpen(p *Plan, err error) *problem.Problem {
	pr := problem.New(http.StatusServiceUnavailable, TypeCircuitOpen, "Service Unavailable",
		"the upstream is failing and calls to it are paused; retry later").WithCause(fmt.Errorf("integration %s/%s: %w", p.Tenant, p.Integration, err))
	secs := 1
	if p.Breaker != nil && p.Breaker.Open > time.Second {
		secs = int(p.Breaker.Open / time.Second)
	}
	pr.Headers = http.Header{"Retry-After": {strconv.Itoa(secs)}}
	return pr
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// follow follows redirects from x, each target checked by the guard
// before it is sent (and its address again at dial time). 307/308 keep
// the method and body (only when the body was buffered); 301/302/303 turn
// into a GET without body, except for HEAD. The credential header
// (credHeader, from the integration's auth) goes only to the integration's
// own scheme, host and port, as net/http does with Authorization.
func (e *Engine) follow(r *http.Request, t proxy.Target, x *proxy.Exchange, st *Stats, credHeader string) (*proxy.Exchange, error) {
	method := x.Method
	for {
		if !isRedirect(x.Resp.StatusCode) {
			return x, nil
		}
		if st.Redirects == maxRedirects {
			x.Discard()
			return nil, redirectDenied(fmt.Errorf("more than %d redirects", maxRedirects))
		}
		loc, err := x.URL.Parse(x.Resp.Header.Get("Location"))
		if err != nil || x.Resp.Header.Get("Location") == "" {
			return x, nil // nothing to follow: hand the 3xx back
		}
		code := x.Resp.StatusCode
		x.Discard()
		if x.URL.Scheme == "https" && loc.Scheme == "http" {
			return nil, redirectDenied(fmt.Errorf("redirect from https to %s", loc.Redacted()))
		}
		if err := e.cfg.Guard.CheckParsedURL(r.Context(), loc); err != nil {
			return nil, redirectDenied(fmt.Errorf("redirect to %s: %w", loc.Redacted(), err))
		}
		st.Redirects++
		r2 := *r
		u2 := *r.URL
		u2.RawQuery = ""
		r2.URL = &u2
		if code != http.StatusTemporaryRedirect && code != http.StatusPermanentRedirect && method != http.MethodHead {
			method = http.MethodGet
			r2.Body, r2.ContentLength = http.NoBody, 0
		} else if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
			// The body was streamed to the first hop; it cannot be replayed.
			return nil, redirectDenied(errors.New("a 307/308 redirect of a request with a body"))
		}
		base := &url.URL{Scheme: loc.Scheme, Host: loc.Host, Path: loc.Path, RawPath: loc.RawPath, RawQuery: loc.RawQuery}
		t2 := t
		t2.BaseURL, t2.Path, t2.Method = base, "", method
		if credHeader != "" && (loc.Scheme != t.BaseURL.Scheme || loc.Host != t.BaseURL.Host) {
			t2.SetHeaders = without(t.SetHeaders, credHeader)
		}
		if dl, ok := r.Context().Deadline(); ok {
			t2.Timeout = time.Until(dl)
		}
		if x, err = e.cfg.Forwarder.Send(&r2, t2); err != nil {
			return nil, err
		}
	}
}

func redirectDenied(cause error) *problem.Problem {
	return problem.New(http.StatusBadGateway, TypeRedirectDenied, "Bad Gateway",
		"the upstream redirected to a destination the gateway does not follow").WithCause(cause)
}

// Health is what an Engine knows about one integration on this instance.
type Health struct {
	Breaker      string  `json:"breaker"` // "none", "closed", "half-open", "open"
	Requests     uint32  `json:"requests"`
	Failures     uint32  `json:"failures"`
	RetryBudget  float64 `json:"retryBudget"`
	ObservedHere bool    `json:"observed"`
}

// Health reports the breaker and retry budget of (tenant, integration) as
// this instance sees them; ok is false when it has not called it yet.
func (e *Engine) Health(tenant, integration string) (Health, bool) {
	e.mu.Lock()
	be := e.cbs[tenant+"\x00"+integration]
	e.mu.Unlock()
	if be == nil {
		return Health{Breaker: "none"}, false
	}
	h := Health{Breaker: "none", RetryBudget: be.budget.Tokens(), ObservedHere: true}
	if be.cb != nil {
		c := be.cb.Counts()
		h.Breaker, h.Requests, h.Failures = be.cb.State().String(), c.Requests, c.TotalFailures
	}
	return h, true
}
