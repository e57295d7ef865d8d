package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/portico/portico/internal/cache"
	"github.com/portico/portico/internal/integration"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/proxy"
	"github.com/portico/portico/internal/ratelimit"
	"github.com/portico/portico/internal/route"
	"github.com/portico/portico/internal/wasmhost"
	"github.com/portico/portico/internal/workflow"
)

// Forwarder sends a request to an HTTP upstream; *proxy.Forwarder implements it.
type Forwarder interface {
	Forward(w http.ResponseWriter, r *http.Request, t proxy.Target) error
}

var _ Forwarder = (*proxy.Forwarder)(nil)

// Config configures the gateway.
type Config struct {
	Source    ConfigSource
	Forwarder Forwarder
	// Domain enables host-based tenants: a request to {tenant}.{Domain}
	// belongs to tenant. The /t/{tenant} path prefix always works.
	Domain string
	// RefreshInterval bounds how stale a tenant snapshot may be; default 2s.
	RefreshInterval time.Duration
	Now             func() time.Time
	Logger          *slog.Logger
	// Authenticators verify callers of endpoints with an auth policy, by
	// policy type; an endpoint whose type has none fails closed (503).
	Authenticators map[model.AuthType]Authenticator
	// TenantEndpoints, when set, serves Portico's own per-tenant paths
	// (OAuth2 token endpoint, JWKS) that no route matched.
	TenantEndpoints TenantEndpoints
	// Failures, when set, counts failed authentications and blocks
	// abusive source addresses (429 with Retry-After).
	Failures FailureTracker
	// Secrets reads the tenant secrets inbound webhook endpoints are signed
	// with (webhookauth.go); without it such endpoints fail closed.
	Secrets SecretReader
	// RateLimits keeps rate-limit counters; nil means an in-process
	// ratelimit.Memory (exact for this instance only).
	RateLimits ratelimit.Store
	// RateLimitTimeout bounds one rate-limit decision; default 500ms. A
	// store that does not answer in time counts as unreachable.
	RateLimitTimeout time.Duration
	// Cache holds cached responses of endpoints with a cache policy; nil
	// means an in-process cache with default bounds (docs/cache.md).
	Cache *cache.Cache
	// Integrations, when set, runs integration calls with their timeouts,
	// retries, circuit breaker and redirect policy (see dispatch.go); nil
	// means a plain Forwarder.Forward.
	Integrations *integration.Engine
	// Workflows runs endpoints whose target is a workflow (workflow.go);
	// nil answers them 503.
	Workflows workflow.Engine
	// WorkflowRecords, when set, records every workflow execution the
	// gateway runs or starts (the catalog).
	WorkflowRecords workflow.Recorder
	// Wasm runs WebAssembly transforms (transform.go); nil fails endpoints
	// using one with 502.
	Wasm *wasmhost.Host
	// Idempotency keeps Idempotency-Key records (idempotency.go); nil
	// fails endpoints with an idempotency policy closed (503) when a
	// request carries a key.
	Idempotency IdempotencyStore
}

// Gateway is the data-plane http.Handler.
type Gateway struct {
	cfg        Config
	hostSuffix string // "." + Domain, "" when host-based tenants are off
	snaps      *snapshots
	log        *slog.Logger
	states     sync.Pool // of *reqState
}

// New validates cfg and returns a Gateway.
func New(cfg Config) (*Gateway, error) {
	if cfg.Source == nil || cfg.Forwarder == nil {
		return nil, errors.New("gateway: Source and Forwarder are required")
	}
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RateLimits == nil {
		cfg.RateLimits = ratelimit.NewMemory()
	}
	if cfg.Cache == nil {
		c, err := cache.New(cache.Config{Now: cfg.Now, Logger: cfg.Logger})
		if err != nil {
			return nil, err
		}
		cfg.Cache = c
	}
	if cfg.RateLimitTimeout <= 0 {
		cfg.RateLimitTimeout = 500 * time.Millisecond
	}
	cfg.Domain = strings.ToLower(strings.TrimPrefix(cfg.Domain, "."))
	g := &Gateway{cfg: cfg, snaps: newSnapshots(cfg.Source, cfg.RefreshInterval, cfg.Now), log: cfg.Logger}
	g.snaps.warm = newWarmer(cfg.Wasm, cfg.Logger) // warmup.go
	if cfg.Domain != "" {
		g.hostSuffix = "." + cfg.Domain
	}
	g.states.New = func() any { return new(reqState) }
	return g, nil
}

// notFound is the single answer for an unknown tenant, API, version or
// route, so callers cannot tell which part was wrong.
func notFound() *problem.Problem {
	return problem.NotFound("no API route matches this request")
}

// reqState is the per-request scratch space, pooled so that a request costs
// no allocations of its own beyond what the Forwarder needs.
type reqState struct {
	rec statusRecorder
	res resolution
}

// ServeHTTP runs the pipeline: request id, resolve (tenant, snapshot,
// canonical path, route), lifecycle headers, policies, dispatch, access log.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := g.cfg.Now()
	rid := requestID(w, r)

	st := g.states.Get().(*reqState)
	st.rec = statusRecorder{ResponseWriter: w}
	rec, res := &st.rec, &st.res
	prob, err := g.serve(rec, r, res, start)
	if prob != nil && rec.code == 0 {
		if prob.Instance == "" {
			prob.Instance = r.URL.Path
		}
		problem.Write(rec, prob)
	}
	if g.log.Enabled(r.Context(), slog.LevelInfo) {
		attrs := [...]slog.Attr{
			slog.String("requestId", rid), slog.String("tenant", res.tenant), slog.String("method", r.Method),
			slog.String("path", res.path), slog.String("route", res.routeName()), slog.Int("status", logStatus(rec, err)),
			slog.Int64("bytes", rec.bytes), slog.Float64("latencyMs", float64(g.cfg.Now().Sub(start).Microseconds())/1000),
			{}, {}, {}, {}, {}, {}, {}, {},
		}
		n := 8
		if res.ep != nil {
			attrs[n], attrs[n+1] = slog.String("api", res.ep.ep.API), slog.String("version", res.ep.ep.Version)
			n += 2
			if x := rec.Header()["X-Cache"]; len(x) > 0 && res.ep.cache != nil { // HIT, MISS or STALE (cache.go)
				attrs[n] = slog.String("cache", x[0])
				n++
			}
		}
		if !res.upstreamAt.IsZero() {
			attrs[n] = slog.Float64("upstreamLatencyMs", float64(res.upstreamDur.Microseconds())/1000)
			n++
		}
		if res.call.Attempts > 0 { // an integration call: retries and breaker state
			attrs[n] = slog.Int("retries", res.call.Attempts-1)
			n++
			if res.call.Breaker != "" {
				attrs[n] = slog.String("breaker", res.call.Breaker)
				n++
			}
		}
		if prob != nil && prob.Cause != nil {
			attrs[n], attrs[n+1] = slog.String("error", prob.Cause.Error()), slog.String("errorId", prob.ErrorID)
			n += 2
		} else if err != nil {
			attrs[n] = slog.String("error", err.Error())
			n++
		}
		g.log.LogAttrs(r.Context(), slog.LevelInfo, "access", attrs[:n]...)
	}
	tooLarge := err != nil && errors.Is(err, proxy.ErrResponseTooLarge)
	*res = resolution{}
	st.rec = statusRecorder{}
	g.states.Put(st)
	if tooLarge {
		// The client already has a truncated response with a plausible
		// framing: cut the connection so it cannot mistake it for whole.
		panic(http.ErrAbortHandler)
	}
}

// requestID returns the request's X-Request-Id, generating one when the
// client sent none (or one that validRequestID refuses), and echoes it on w.
func requestID(w http.ResponseWriter, r *http.Request) string {
	if vs := r.Header["X-Request-Id"]; len(vs) > 0 && validRequestID(vs[0]) { // security.go
		w.Header()["X-Request-Id"] = vs[:1:1] // shared, read-only
		return vs[0]
	}
	rid := problem.NewErrorID()
	vs := []string{rid}
	r.Header["X-Request-Id"] = vs // forwarded upstream
	w.Header()["X-Request-Id"] = vs
	return rid
}

// logStatus is the status to log: 499 (nginx's "client closed request")
// when the client went away before anything was written.
func logStatus(rec *statusRecorder, err error) int {
	if rec.code == 0 && err != nil {
		return 499
	}
	return rec.status()
}

// resolution is what resolve learns about a request.
type resolution struct {
	tenant string
	path   string // canonical path below the tenant, version first once resolved
	ver    string
	snap   *snapshot
	ep     *endpoint
	params route.Params
	call   integration.Stats // of the integration call, for the access log
	// upstreamAt and upstreamDur time the upstream call (zero: none), for the access log.
	upstreamAt  time.Time
	upstreamDur time.Duration
}

func (res *resolution) routeName() string {
	if res.ep == nil {
		return ""
	}
	return res.ep.routeName
}

// resolve finds the tenant, its snapshot and the endpoint of r: tenant
// lookup, snapshot get, canonical path, version and route match. It does
// not allocate when it succeeds on a warm snapshot. It returns the problem
// to answer with when there is no endpoint.
func (g *Gateway) resolve(r *http.Request, res *resolution, now time.Time) *problem.Problem {
	path, err := route.Canonical(r.URL.EscapedPath())
	if err != nil {
		return problem.BadRequest("", "the request path is malformed")
	}
	tenant, path, ok := g.tenantOf(r.Host, path)
	res.tenant, res.path = tenant, path
	if !ok {
		return notFound()
	}
	if p := g.enumerationBlocked(r, now); p != nil {
		return p
	}
	snap, err := g.snaps.get(r.Context(), tenant, now)
	if err != nil {
		p := problem.New(http.StatusServiceUnavailable, "config-unavailable", "Service Unavailable", "the API configuration cannot be loaded right now; retry").WithCause(err)
		p.Headers = http.Header{"Retry-After": {"1"}}
		return p
	}
	res.snap = snap
	if !snap.exists {
		g.unknownTenant(r, now) // enumerate.go
		return notFound()
	}
	ver, hasVersion := leadingVersion(path)
	if !hasVersion {
		if hv := r.Header.Get("Api-Version"); hv != "" && validVersionName(hv) {
			ver = hv
			if path == "/" {
				path = "/" + hv
			} else {
				path = "/" + hv + path
			}
			res.path = path
		}
	}
	res.ver = ver
	ce, ok := snap.routes.Match(r.Method, path, &res.params)
	if !ok && r.Method == http.MethodHead {
		ce, ok = snap.routes.Match(http.MethodGet, path, &res.params)
	}
	if !ok {
		switch allowed := snap.routes.Allowed(path); {
		case snap.retired[ver]:
			return problem.New(http.StatusGone, "version-retired", "Gone", "API version "+ver+" has been retired")
		case len(allowed) > 0:
			p := problem.New(http.StatusMethodNotAllowed, "method-not-allowed", "Method Not Allowed", "this route does not accept "+r.Method)
			p.Headers = http.Header{"Allow": {allowHeader(allowed)}}
			return p
		default:
			return notFound()
		}
	}
	res.ep = ce
	return nil
}

// allowHeader renders the Allow header; HEAD is allowed wherever GET is.
func allowHeader(methods []string) string {
	hasGet, hasHead := false, false
	for _, m := range methods {
		hasGet = hasGet || m == http.MethodGet
		hasHead = hasHead || m == http.MethodHead
	}
	if hasGet && !hasHead {
		methods = append(methods, http.MethodHead)
	}
	return strings.Join(methods, ", ")
}

// serve resolves r and dispatches it. It returns the problem to answer
// with, if any, and the error of a response that failed after it started.
func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, res *resolution, now time.Time) (*problem.Problem, error) {
	if isPreflight(r) { // cors.go: answered before authentication
		if p, ok := g.preflight(w, r, res, now); ok {
			return p, nil
		}
	}
	if p := g.resolve(r, res, now); p != nil {
		if p.Status == http.StatusNotFound && g.tenantEndpoint(w, r, res) {
			return nil, nil
		}
		return p, nil
	}
	ce := res.ep
	if ce.cors != nil {
		w = ce.cors.decorate(w, r) // cors.go
	}
	if ce.deprecation != "" {
		h := w.Header()
		h["Deprecation"] = ce.deprecationHdr
		if ce.sunset != nil {
			h["Sunset"] = ce.sunset
		}
	}
	if ce.unsupported != "" {
		return problem.New(http.StatusServiceUnavailable, "policy-unavailable", "Service Unavailable",
			"this endpoint is configured with "+ce.unsupported+", which this gateway cannot enforce yet; it fails closed"), nil
	}
	if pol := ce.ep.Policies.Auth; pol != nil && pol.Type != model.AuthNone {
		var p *problem.Problem
		if r, p = g.authenticate(r, res.tenant, pol); p != nil {
			return p, nil
		}
	}
	if p := g.limits(w, r, ce, res, now); p != nil {
		return p, nil
	}
	if ce.cache != nil {
		return g.serveCached(w, r, res)
	}
	if ce.idempotency != nil {
		return g.serveIdempotent(w, r, res, func(w http.ResponseWriter, r *http.Request) (*problem.Problem, error) {
			return g.upstream(w, r, res)
		}) // idempotency.go
	}
	return g.upstream(w, r, res)
}

// upstream sends r to the endpoint's target and returns serve's results.
func (g *Gateway) upstream(w http.ResponseWriter, r *http.Request, res *resolution) (*problem.Problem, error) {
	ce := res.ep
	if ts := ce.transforms; ts != nil {
		return g.serveTransformed(w, r, res, ts) // transform.go
	}
	if ce.ep.Target.Type == model.TargetWorkflow {
		return g.serveWorkflow(w, r, res)
	}
	if ce.integration == nil || ce.baseURL == nil {
		return problem.New(http.StatusBadGateway, "integration-missing", "Bad Gateway", "the endpoint's integration is not configured"), nil
	}
	if ce.graphql != nil {
		return g.serveGraphQL(w, r, res)
	}
	t := proxy.Target{
		BaseURL:    ce.baseURL,
		Path:       ce.renderUpstream(res.path, &res.params),
		Method:     ce.integration.Method,
		Timeout:    ce.timeout,
		SetHeaders: ce.integration.Headers,
	}
	if ce.reqTmpl != nil {
		if p := ce.reqTmpl.apply(&t, r, &res.params); p != nil { // reqtemplate.go
			return p, nil
		}
	}
	res.upstreamAt = g.cfg.Now()
	err := g.dispatch(w, r, res, t)
	res.upstreamDur = g.cfg.Now().Sub(res.upstreamAt)
	if err == nil {
		return nil, nil
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return nil, err // the client went away; nothing to answer
	}
	// Forward returns a *problem.Problem when nothing was written yet; any
	// other error means the response is already (partly) on its way.
	if p := (*problem.Problem)(nil); errors.As(err, &p) {
		return p, nil
	}
	return nil, err
}

// tenantOf resolves the tenant from the host ({tenant}.{Domain}) or from the
// /t/{tenant} prefix of the canonical path, and returns the path below it.
// It does not allocate.
func (g *Gateway) tenantOf(host, path string) (string, string, bool) {
	if g.hostSuffix != "" {
		host = stripPort(host)
		if len(host) > len(g.hostSuffix) && strings.EqualFold(host[len(host)-len(g.hostSuffix):], g.hostSuffix) {
			if label := host[:len(host)-len(g.hostSuffix)]; validSlug(label) {
				return label, path, true
			}
			// Upper-case letters: a DNS name is case-insensitive.
			if label := strings.ToLower(host[:len(host)-len(g.hostSuffix)]); validSlug(label) {
				return label, path, true
			}
		}
	}
	rest, ok := strings.CutPrefix(path, "/t/")
	if !ok {
		return "", path, false
	}
	tenant, sub := rest, "/"
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		tenant, sub = rest[:i], rest[i:]
	}
	if !validSlug(tenant) {
		return "", path, false
	}
	return tenant, sub, true
}

// stripPort removes a ":port" suffix from a Host header value.
func stripPort(host string) string {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || strings.IndexByte(host[i:], ']') >= 0 {
		return host
	}
	if host[0] == '[' && i > 0 && host[i-1] == ']' {
		return host[1 : i-1]
	}
	return host[:i]
}

// leadingVersion returns the first path segment when it names a version.
func leadingVersion(path string) (string, bool) {
	seg := path[1:]
	if i := strings.IndexByte(seg, '/'); i >= 0 {
		seg = seg[:i]
	}
	return seg, validVersionName(seg)
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 && code >= 200 {
		s.code = code
		secureHeaders(s.Header()) // security.go
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
		secureHeaders(s.Header())
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// validSlug is model.ValidSlug without the regular expression, which costs
// more than the rest of tenant resolution; TestValidatorsMatchModel and
// FuzzValidators keep the two equal.
func validSlug(s string) bool {
	if len(s) == 0 || len(s) > 40 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validVersionName is model.ValidVersionName without the regular
// expression: "v" and 1-6 digits without a leading zero.
func validVersionName(s string) bool {
	if len(s) < 2 || len(s) > 7 || s[0] != 'v' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
