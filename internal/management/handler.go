package management

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/problem"
)

// PlatformTenant is the tenant claim of platform operators, who manage
// tenants themselves. It is not a valid tenant id, so it never collides.
const PlatformTenant = "_platform"

// TokenVerifier verifies console bearer tokens.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (identity.Principal, error)
}

// TokenIssuer signs dev-login tokens (local mode only).
type TokenIssuer interface {
	Issue(p identity.Principal, ttl time.Duration, now time.Time) (string, error)
}

// Config configures the management API.
type Config struct {
	Catalog  *catalog.Catalog
	Verifier TokenVerifier
	// DevLogin, when set, enables POST /admin/v1/auth/dev-login, which
	// issues a token for any tenant and role. Local mode only.
	DevLogin    TokenIssuer
	DevLoginTTL time.Duration
	// JWKS, when set, is served at /admin/v1/.well-known/jwks.json.
	JWKS http.Handler
	// CursorKey signs pagination cursors (at least 32 bytes).
	CursorKey []byte
	Logger    *slog.Logger
	Now       func() time.Time
	// MaxBodyBytes bounds request bodies; default 1 MiB.
	MaxBodyBytes int64
	// Cache purges cached gateway responses; nil answers purges with 503.
	Cache CachePurger
	// Integrations reports breaker and retry-budget state for
	// GET /integrations/{integration}/health; nil reports nothing observed.
	Integrations IntegrationHealth
	// Workflows publishes and test-runs workflows (routes_workflows.go);
	// zero answers those routes with 503.
	Workflows Workflows
	// Modules validates and warms uploaded WebAssembly transform modules
	// (routes_transforms_crud.go); nil answers uploads with 503.
	Modules ModuleValidator
	// Warm compiles a module ahead of its first request; on publish, the
	// modules of the version's wasm transforms are warmed in the
	// background (warmup.go). nil skips the warm-up.
	Warm ModuleWarmer
	// Webhooks redelivers a webhook delivery on demand
	// (routes_webhook_retry.go); nil answers retries with 503.
	Webhooks WebhookRedeliverer
	// WebhookTests sends test events (routes_webhook_manage.go); nil
	// answers test sends with 503.
	WebhookTests WebhookTester
}

// Handler serves /admin/v1.
type Handler struct {
	cfg     Config
	cat     *catalog.Catalog
	cursors cursorCodec
	mux     *http.ServeMux
	log     *slog.Logger
	warmSem chan struct{} // bounds background warm-ups (warmup.go)
}

// New validates cfg and builds the handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Catalog == nil || cfg.Verifier == nil {
		return nil, errors.New("management: Catalog and Verifier are required")
	}
	if len(cfg.CursorKey) < 32 {
		return nil, errors.New("management: CursorKey must be at least 32 bytes")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.DevLoginTTL <= 0 {
		cfg.DevLoginTTL = time.Hour
	}
	h := &Handler{cfg: cfg, cat: cfg.Catalog, cursors: cursorCodec{key: cfg.CursorKey}, log: cfg.Logger, mux: http.NewServeMux(), warmSem: make(chan struct{}, 1)}
	for _, rt := range h.routes() {
		h.mux.Handle(rt.pattern, h.wrap(rt))
	}
	h.mux.HandleFunc("/", h.noRoute)
	return h, nil
}

// probeMethods are the methods noRoute tries when telling 405 from 404.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// noRoute answers requests no route matched. ServeMux answers 405 only when
// no pattern matches the path at all, and "/" matches every path, so a known
// path with the wrong method lands here too: probe the other methods to tell
// a 405 (with Allow) from a 404.
func (h *Handler) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range probeMethods {
		probe := *r
		probe.Method = m
		if _, pattern := h.mux.Handler(&probe); m != r.Method && pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		h.fail(w, r, problem.NotFound("no such management route"))
		return
	}
	p := problem.New(http.StatusMethodNotAllowed, "method-not-allowed", "Method Not Allowed", "this route does not accept "+r.Method)
	p.Headers = http.Header{"Allow": {strings.Join(allow, ", ")}}
	h.fail(w, r, p)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rid := r.Header.Get("X-Request-Id")
	if rid == "" || len(rid) > 128 {
		rid = problem.NewErrorID()
	}
	w.Header().Set("X-Request-Id", rid)
	r = r.WithContext(withRequestID(r.Context(), rid))
	// ServeMux answers a method mismatch with a plain-text 405: keep that
	// status but render it as problem+json.
	h.mux.ServeHTTP(&problemWriter{ResponseWriter: w, h: h, r: r}, r)
}

type ctxKey int

const requestIDKey ctxKey = iota

func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

func requestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// access is the authorization requirement of a route.
type access int

const (
	public        access = iota // no token
	authenticated               // any valid token
	member                      // a tenant member with at least minRole
	platform                    // a platform operator
	self                        // platform operator, or a member of the tenant in the path
)

type apiRoute struct {
	pattern string
	access  access
	minRole identity.Role
	handle  func(w http.ResponseWriter, r *http.Request, p identity.Principal) error
}

// wrap authenticates and authorizes, then runs the route and renders errors.
func (h *Handler) wrap(rt apiRoute) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p identity.Principal
		if rt.access != public {
			var prob *problem.Problem
			p, prob = h.authenticate(r)
			if prob == nil {
				prob = authorize(rt, p, r)
			}
			if prob != nil {
				h.fail(w, r, prob)
				return
			}
		}
		if err := rt.handle(w, r, p); err != nil {
			h.fail(w, r, toProblem(err))
		}
	})
}

func (h *Handler) authenticate(r *http.Request) (identity.Principal, *problem.Problem) {
	authz := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(authz, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return identity.Principal{}, unauthorized("a bearer token is required")
	}
	p, err := h.cfg.Verifier.Verify(r.Context(), strings.TrimSpace(token))
	if err != nil {
		h.log.InfoContext(r.Context(), "console token rejected", "requestId", requestID(r.Context()), "error", err.Error())
		return identity.Principal{}, unauthorized("the bearer token is invalid or expired")
	}
	return p, nil
}

func unauthorized(detail string) *problem.Problem {
	p := problem.New(http.StatusUnauthorized, "unauthorized", "Unauthorized", detail)
	p.Headers = http.Header{"Www-Authenticate": {`Bearer realm="portico-console"`}}
	return p
}

func forbidden(detail string) *problem.Problem {
	return problem.New(http.StatusForbidden, "forbidden", "Forbidden", detail)
}

// authorize is the single place where console permissions are decided.
func authorize(rt apiRoute, p identity.Principal, r *http.Request) *problem.Problem {
	switch rt.access {
	case platform:
		if p.Tenant != PlatformTenant {
			return forbidden("only platform operators may do this")
		}
	case self:
		if p.Tenant != PlatformTenant && p.Tenant != r.PathValue("tenant") {
			// Same answer as a missing tenant: do not reveal other tenants.
			return problem.NotFound("no such tenant")
		}
	case member:
		if p.Tenant == PlatformTenant {
			return forbidden("platform operators manage tenants, not their APIs; sign in as a tenant member")
		}
	}
	if !p.Role.AtLeast(rt.minRole) {
		return forbidden("your role (" + string(p.Role) + ") may not do this; it needs " + string(rt.minRole) + " or above")
	}
	return nil
}

func (h *Handler) actor(r *http.Request, p identity.Principal) catalog.Actor {
	sub := p.Subject
	if p.Email != "" {
		sub = p.Email
	}
	return catalog.Actor{Subject: sub, Role: string(p.Role), RequestID: requestID(r.Context())}
}

// fail renders a problem and logs 5xx causes with the error id.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, p *problem.Problem) {
	if p.Instance == "" {
		p.Instance = r.URL.Path
	}
	id := problem.Write(w, p)
	lvl := slog.LevelInfo
	if p.Status >= 500 {
		lvl = slog.LevelError
	}
	attrs := []any{"status", p.Status, "errorId", id, "requestId", requestID(r.Context()), "method", r.Method, "path", r.URL.Path}
	if p.Cause != nil {
		attrs = append(attrs, "error", p.Cause.Error())
	}
	h.log.Log(r.Context(), lvl, "management request failed", attrs...)
}

// problemWriter turns ServeMux's plain-text 405 into problem+json.
type problemWriter struct {
	http.ResponseWriter
	h       *Handler
	r       *http.Request
	swallow bool
}

func (pw *problemWriter) WriteHeader(code int) {
	if code == http.StatusMethodNotAllowed && !strings.HasPrefix(pw.Header().Get("Content-Type"), "application/") {
		pw.swallow = true
		allow := pw.Header().Get("Allow")
		p := problem.New(http.StatusMethodNotAllowed, "method-not-allowed", "Method Not Allowed", "this route does not accept "+pw.r.Method)
		p.Headers = http.Header{"Allow": {allow}}
		pw.Header().Del("X-Content-Type-Options")
		problem.Write(pw.ResponseWriter, p)
		return
	}
	pw.ResponseWriter.WriteHeader(code)
}

func (pw *problemWriter) Write(b []byte) (int, error) {
	if pw.swallow {
		return len(b), nil
	}
	return pw.ResponseWriter.Write(b)
}
