package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/proxy"
	"github.com/portico/portico/internal/route"
)

// Forwarder sends a request to an HTTP upstream; *proxy.Forwarder implements it.
type Forwarder interface {
	Forward(w http.ResponseWriter, r *http.Request, t proxy.Target) error
}

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
}

// Gateway is the data-plane http.Handler.
type Gateway struct {
	cfg   Config
	snaps *snapshots
	log   *slog.Logger
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
	cfg.Domain = strings.ToLower(strings.TrimPrefix(cfg.Domain, "."))
	return &Gateway{cfg: cfg, snaps: newSnapshots(cfg.Source, cfg.RefreshInterval, cfg.Now), log: cfg.Logger}, nil
}

// notFound is the single answer for an unknown tenant, API, version or
// route, so callers cannot tell which part was wrong.
func notFound() *problem.Problem {
	return problem.NotFound("no API route matches this request")
}

// ServeHTTP runs the pipeline: request id, canonical path, tenant, route,
// lifecycle headers, policies, dispatch, access log.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := g.cfg.Now()
	rid := r.Header.Get("X-Request-Id")
	if rid == "" || len(rid) > 128 {
		rid = problem.NewErrorID()
		r.Header.Set("X-Request-Id", rid)
	}
	w.Header().Set("X-Request-Id", rid)
	rec := &statusRecorder{ResponseWriter: w}
	res := g.serve(rec, r)
	if res.prob != nil {
		if res.prob.Instance == "" {
			res.prob.Instance = r.URL.Path
		}
		problem.Write(rec, res.prob)
	}
	attrs := []slog.Attr{
		slog.String("requestId", rid), slog.String("tenant", res.tenant), slog.String("method", r.Method),
		slog.String("path", res.path), slog.String("route", res.route), slog.Int("status", rec.status()),
		slog.Int64("bytes", rec.bytes), slog.Float64("latencyMs", float64(g.cfg.Now().Sub(start).Microseconds())/1000),
	}
	if res.prob != nil && res.prob.Cause != nil {
		attrs = append(attrs, slog.String("error", res.prob.Cause.Error()), slog.String("errorId", res.prob.ErrorID))
	}
	g.log.LogAttrs(r.Context(), slog.LevelInfo, "access", attrs...)
}

type result struct {
	tenant, path, route string
	prob                *problem.Problem
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request) result {
	var res result
	path, err := route.Canonical(r.URL.EscapedPath())
	if err != nil {
		res.prob = problem.BadRequest("", "the request path is malformed")
		return res
	}
	tenant, path, ok := g.tenantOf(r, path)
	res.tenant, res.path = tenant, path
	if !ok {
		res.prob = notFound()
		return res
	}
	snap, err := g.snaps.get(r.Context(), tenant)
	if err != nil {
		res.prob = problem.New(http.StatusServiceUnavailable, "config-unavailable", "Service Unavailable", "the API configuration cannot be loaded right now; retry").WithCause(err)
		res.prob.Headers = http.Header{"Retry-After": {"1"}}
		return res
	}
	if !snap.exists {
		res.prob = notFound()
		return res
	}
	ver, hasVersion := leadingVersion(path)
	if !hasVersion {
		if hv := r.Header.Get("Api-Version"); hv != "" && model.ValidVersionName(hv) {
			ver = hv
			if path == "/" {
				path = "/" + hv
			} else {
				path = "/" + hv + path
			}
		}
	}
	var params route.Params
	ce, ok := snap.routes.Match(r.Method, path, &params)
	if !ok && r.Method == http.MethodHead {
		ce, ok = snap.routes.Match(http.MethodGet, path, &params)
	}
	if !ok {
		switch allowed := snap.routes.Allowed(path); {
		case snap.retired[ver]:
			res.prob = problem.New(http.StatusGone, "version-retired", "Gone", "API version "+ver+" has been retired")
		case len(allowed) > 0:
			res.prob = problem.New(http.StatusMethodNotAllowed, "method-not-allowed", "Method Not Allowed", "this route does not accept "+r.Method)
			res.prob.Headers = http.Header{"Allow": {strings.Join(allowed, ", ")}}
		default:
			res.prob = notFound()
		}
		return res
	}
	res.route = ce.ep.Method + " " + ce.routeTmpl
	if ce.deprecation != "" {
		w.Header().Set("Deprecation", ce.deprecation)
		if ce.sunset != "" {
			w.Header().Set("Sunset", ce.sunset)
		}
	}
	if ce.unsupported != "" {
		res.prob = problem.New(http.StatusServiceUnavailable, "policy-unavailable", "Service Unavailable",
			"this endpoint is configured with "+ce.unsupported+", which this gateway cannot enforce yet; it fails closed")
		return res
	}
	if ce.integration == nil || ce.baseURL == nil {
		res.prob = problem.New(http.StatusBadGateway, "integration-missing", "Bad Gateway", "the endpoint's integration is not configured")
		return res
	}
	t := proxy.Target{
		BaseURL:    ce.baseURL,
		Path:       ce.renderUpstream(path, &params),
		Method:     ce.integration.Method,
		Timeout:    time.Duration(ce.integration.TimeoutMs) * time.Millisecond,
		SetHeaders: ce.integration.Headers,
	}
	if err := g.cfg.Forwarder.Forward(w, r, t); err != nil {
		if errors.Is(err, context.Canceled) {
			return res // the client went away; nothing to answer
		}
		res.prob = problem.From(err)
	}
	return res
}

// tenantOf resolves the tenant from the Host ({tenant}.{Domain}) or from the
// /t/{tenant} prefix, and returns the path below it.
func (g *Gateway) tenantOf(r *http.Request, path string) (string, string, bool) {
	if g.cfg.Domain != "" {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.ToLower(host)
		if label, ok := strings.CutSuffix(host, "."+g.cfg.Domain); ok && model.ValidSlug(label) {
			return label, path, true
		}
	}
	rest, ok := strings.CutPrefix(path, "/t/")
	if !ok {
		return "", path, false
	}
	tenant, sub, _ := strings.Cut(rest, "/")
	if !model.ValidSlug(tenant) {
		return "", path, false
	}
	return tenant, "/" + sub, true
}

// leadingVersion returns the first path segment when it names a version.
func leadingVersion(path string) (string, bool) {
	seg := path[1:]
	if i := strings.IndexByte(seg, '/'); i >= 0 {
		seg = seg[:i]
	}
	return seg, model.ValidVersionName(seg)
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
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
