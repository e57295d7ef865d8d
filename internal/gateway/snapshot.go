package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/integration"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/route"
)

// ConfigSource reads tenant configuration; *catalog.Catalog implements it.
type ConfigSource interface {
	ConfigVersion(ctx context.Context, tenant string) (int64, error)
	LoadTenantConfig(ctx context.Context, tenant string) (*catalog.TenantConfig, error)
}

// endpoint is an endpoint compiled for serving.
type endpoint struct {
	ep          model.Endpoint
	version     model.Version
	routeTmpl   string
	routeName   string // "GET /v1/items/{id}", for the access log
	integration *model.Integration
	plan        *integration.Plan // timeouts, retries, breaker (dispatch.go)
	baseURL     *url.URL
	timeout     time.Duration
	upstream    []upstreamPart // nil: forward basePath+path as matched
	upstreamLen int            // bytes of upstream's literals
	stripPrefix int            // bytes of "/{version}" to strip for the upstream path
	// unsupported names a configured policy this build cannot enforce; such
	// an endpoint fails closed with 503 rather than serving unprotected.
	unsupported    string
	deprecation    string   // Deprecation header value, "" when not deprecated
	deprecationHdr []string // the same, as a header value (shared, read-only)
	sunset         []string // Sunset header value, nil when none (shared, read-only)

	rateLimit *rateLimits     // nil: no rate limit
	cache     *cacheStage     // nil: not cached
	workflow  *workflowTarget // a published workflow target (workflow.go)

	graphql *graphqlStage // nil: not a GraphQL integration (graphql.go)

	transforms *transformStage // nil: no transforms (transform.go)

	cors *corsPolicy // nil: no CORS headers, no preflight (cors.go)

	idempotency *idempotencyStage // nil: Idempotency-Key ignored (idempotency.go)

	reqTmpl *requestTemplates // nil: nothing templated from the request (reqtemplate.go)

	limitMetrics *limitSlot // rate-limit decision counters (limitmetrics.go)
}

// upstreamPart is a piece of a compiled upstream path template: a literal,
// or the index of a param of the matched route (param >= 0).
type upstreamPart struct {
	lit   string
	param int
}

// snapshot is one tenant's compiled configuration at one version.
type snapshot struct {
	version int64
	exists  bool
	routes  *route.Table[*endpoint]
	retired map[string]bool        // version names that answer 410
	routed  map[string]bool        // version names that are routed
	plans   map[string]*planLimits // rate-limit plans by slug (plan.go)
	wasm    []*wasmUnit            // wasm modules its transforms run (warmup.go)
	// warmed is closed when the warm-up of wasm has ended (warmup.go).
	warmed chan struct{}
}

// tenantEntry caches a tenant's snapshot and when it was last validated.
type tenantEntry struct {
	snap      atomic.Pointer[snapshot]
	checkedAt atomic.Int64 // unix nanos of the last successful validation
}

// snapshots resolves tenant snapshots with bounded staleness.
type snapshots struct {
	src      ConfigSource
	interval time.Duration
	now      func() time.Time
	group    singleflight.Group
	// warm, when set, is handed every newly compiled snapshot (warmup.go).
	warm func(*snapshot)

	mu       sync.RWMutex
	entries  map[string]*tenantEntry
	negative int // entries for tenants that do not exist
	maxNeg   int

	limits limitRegistry // rate-limit decision counters (limitmetrics.go)
}

func newSnapshots(src ConfigSource, interval time.Duration, now func() time.Time) *snapshots {
	return &snapshots{src: src, interval: interval, now: now, entries: make(map[string]*tenantEntry), maxNeg: 10_000}
}

// get returns the tenant's snapshot, revalidating it when older than the
// refresh interval at now. It reads the store only on a revalidation, and
// does not allocate otherwise.
func (s *snapshots) get(ctx context.Context, tenant string, now time.Time) (*snapshot, error) {
	if snap := s.fresh(tenant, now.UnixNano()); snap != nil {
		return snap, nil
	}
	v, err, _ := s.group.Do(tenant, func() (any, error) { return s.refresh(ctx, tenant) })
	if err != nil {
		return nil, err
	}
	return v.(*snapshot), nil
}

// fresh returns the cached snapshot of tenant if it was validated less than
// one interval before now.
func (s *snapshots) fresh(tenant string, now int64) *snapshot {
	s.mu.RLock()
	e := s.entries[tenant]
	s.mu.RUnlock()
	if e == nil {
		return nil
	}
	if snap := e.snap.Load(); snap != nil && now-e.checkedAt.Load() < int64(s.interval) {
		return snap
	}
	return nil
}

// refresh revalidates tenant's snapshot: one version read, and a full load
// only when the version changed. It runs once per tenant at a time.
func (s *snapshots) refresh(ctx context.Context, tenant string) (*snapshot, error) {
	now := s.now().UnixNano()
	// A flight that ended just before this one started may have done the
	// work already.
	if snap := s.fresh(tenant, now); snap != nil {
		return snap, nil
	}
	s.mu.RLock()
	e := s.entries[tenant]
	s.mu.RUnlock()
	var old *snapshot
	if e != nil {
		old = e.snap.Load()
	}
	snap, err := s.load(ctx, tenant, old)
	if err != nil {
		if old == nil {
			return nil, err
		}
		// Serve the last good snapshot while the store is unreachable, and
		// try again after one more interval rather than on every request.
		e.checkedAt.Store(now)
		return old, nil
	}
	s.store(tenant, snap, now)
	return snap, nil
}

// load reads tenant's configuration unless its version is still old's.
func (s *snapshots) load(ctx context.Context, tenant string, old *snapshot) (*snapshot, error) {
	ctx = context.WithoutCancel(ctx) // shared by every waiter of the flight
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ver, err := s.src.ConfigVersion(ctx, tenant)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return &snapshot{exists: false}, nil
	case err != nil:
		return nil, fmt.Errorf("check config version of %q: %w", tenant, err)
	}
	if old != nil && old.exists && old.version == ver {
		return old, nil
	}
	cfg, err := s.src.LoadTenantConfig(ctx, tenant)
	if errors.Is(err, catalog.ErrNotFound) {
		return &snapshot{exists: false}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load config of %q: %w", tenant, err)
	}
	snap := compile(cfg, old)
	if s.warm != nil {
		s.warm(snap)
	}
	return snap, nil
}

func (s *snapshots) store(tenant string, snap *snapshot, checked int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[tenant]
	if e == nil {
		e = &tenantEntry{}
		s.entries[tenant] = e
	} else if old := e.snap.Load(); old != nil && !old.exists {
		s.negative--
	}
	if !snap.exists {
		if s.negative >= s.maxNeg {
			s.dropNegative()
		}
		s.negative++
	}
	e.snap.Store(snap)
	e.checkedAt.Store(checked)
	s.entries[tenant] = e // dropNegative may have removed it
}

// dropNegative forgets every cached unknown tenant (bounded memory under a
// flood of random tenant names). Called with mu held.
func (s *snapshots) dropNegative() {
	for k, e := range s.entries {
		if snap := e.snap.Load(); snap != nil && !snap.exists {
			delete(s.entries, k)
		}
	}
	s.negative = 0
}

// compile builds the serving form of a tenant configuration. prev (may be
// nil) is the snapshot it replaces: its loaded wasm modules are kept when
// unchanged.
func compile(cfg *catalog.TenantConfig, prev *snapshot) *snapshot {
	snap := &snapshot{version: cfg.Version, exists: true, retired: map[string]bool{}, routed: map[string]bool{}}
	basePaths := make(map[string]string, len(cfg.APIs))
	apis := make(map[string]*model.API, len(cfg.APIs))
	for i, a := range cfg.APIs {
		basePaths[a.Slug] = a.BasePath
		apis[a.Slug] = &cfg.APIs[i]
	}
	versions := make(map[string]model.Version, len(cfg.Versions))
	for _, v := range cfg.Versions {
		versions[v.API+"#"+v.Name] = v
		switch {
		case v.Routed():
			snap.routed[v.Name] = true
		case v.Status == model.StatusRetired:
			snap.retired[v.Name] = true
		}
	}
	for name := range snap.routed {
		delete(snap.retired, name) // another API still serves this version label
	}
	integrations := make(map[string]*model.Integration, len(cfg.Integrations))
	for i := range cfg.Integrations {
		integrations[cfg.Integrations[i].Slug] = &cfg.Integrations[i]
	}
	units := compileTransforms(cfg, prev) // transform.go
	b := route.NewBuilder[*endpoint]()
	for _, ep := range cfg.Endpoints {
		v, ok := versions[ep.API+"#"+ep.Version]
		if !ok || !v.Routed() {
			continue
		}
		tmplText := catalog.RouteTemplate(ep.Version, basePaths[ep.API], ep.Path)
		tmpl, err := route.Parse(tmplText)
		if err != nil {
			continue // validated at save time; never serve what does not parse
		}
		ce := &endpoint{ep: ep, version: v, routeTmpl: tmplText, routeName: ep.Method + " " + tmplText, stripPrefix: 1 + len(ep.Version),
			limitMetrics: &limitSlot{}}
		ce.unsupported = unsupportedPolicy(ep.Policies)
		if ce.unsupported == "" {
			ce.rateLimit, ce.unsupported = compileRateLimits(ep.Policies.Limits(), ce.routeName)
		}
		if p := ep.Policies.Cache; p != nil && ce.unsupported == "" {
			ce.cache = compileCache(p, ep)
		}
		if ep.Target.Type == model.TargetIntegration {
			ce.integration = integrations[ep.Target.Integration]
			if ce.integration != nil {
				if u, err := url.Parse(ce.integration.URL); err == nil {
					ce.baseURL = u
				}
				ce.timeout = time.Duration(ce.integration.TimeoutMs) * time.Millisecond
				ce.plan = integration.Compile(cfg.Tenant.ID, ce.integration)
				ce.reqTmpl = compileRequestTemplates(ce.integration, ep.Target.Path) // reqtemplate.go
				if ce.integration.Type == model.IntegrationGraphQL {
					ce.graphql = compileGraphQL(ce.integration, ce.plan)
				}
				if ce.integration.Type != model.IntegrationHTTP && ce.graphql == nil && ce.unsupported == "" {
					ce.unsupported = string(ce.integration.Type) + " integrations"
				}
			}
		} else {
			ce.workflow = compileWorkflow(cfg, &ep) // workflow.go
		}
		if ep.Target.Path != "" {
			if t, err := route.Parse(ep.Target.Path); err == nil {
				ce.upstream, ce.upstreamLen = compileUpstream(t, tmpl.Params())
			}
		}
		if v.Status == model.StatusDeprecated {
			at := v.UpdatedAt
			if v.DeprecatedAt != nil {
				at = *v.DeprecatedAt
			}
			ce.deprecation = "@" + itoa(at.Unix())
			ce.deprecationHdr = []string{ce.deprecation}
			if v.SunsetAt != nil {
				ce.sunset = []string{v.SunsetAt.UTC().Format(httpTimeFormat)}
			}
		}
		ce.cors = compileCORS(endpointCORS(ep, apis[ep.API]))        // cors.go
		ce.idempotency = compileIdempotency(ep.Policies.Idempotency) // idempotency.go
		attachTransforms(ce, units)
		_ = b.Add(ep.Method, tmpl, ce) // conflicts are rejected at save time
	}
	snap.plans = compilePlans(cfg.Plans)
	snap.wasm = wasmUnits(units)
	snap.routes = b.Build()
	return snap
}

const httpTimeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// unsupportedPolicy names the first policy this gateway build cannot yet
// enforce. Such endpoints fail closed. Every policy is enforced now;
// transforms that are missing or not publishable fail closed in
// attachTransforms.
func unsupportedPolicy(model.Policies) string {
	return ""
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// compileUpstream splits an upstream template into literals and references
// to the route's params (by position, as Match fills route.Params).
func compileUpstream(t *route.Template, routeParams []string) ([]upstreamPart, int) {
	var parts []upstreamPart
	var lit strings.Builder
	n := 0
	for _, seg := range strings.Split(t.String()[1:], "/") {
		lit.WriteByte('/')
		if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
			name := strings.TrimSuffix(seg[1:len(seg)-1], "+")
			parts = append(parts, upstreamPart{lit: lit.String(), param: -1})
			n += lit.Len()
			lit.Reset()
			// Validation guarantees the route defines every param the
			// upstream uses; an unknown one renders empty.
			parts = append(parts, upstreamPart{param: slices.Index(routeParams, name)})
			continue
		}
		lit.WriteString(seg)
	}
	if lit.Len() > 0 {
		parts = append(parts, upstreamPart{lit: lit.String(), param: -1})
		n += lit.Len()
	}
	return parts, n
}

// renderUpstream renders the upstream path of a matched request. Param
// values are substrings of the canonical path, so they stay escaped.
func (ce *endpoint) renderUpstream(path string, p *route.Params) string {
	if ce.upstream == nil {
		if rest := path[ce.stripPrefix:]; rest != "" {
			return rest
		}
		return "/"
	}
	n := ce.upstreamLen
	for _, part := range ce.upstream {
		if part.param >= 0 && part.param < p.Len() {
			_, v := p.At(part.param)
			n += len(v)
		}
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, part := range ce.upstream {
		switch {
		case part.param < 0:
			sb.WriteString(part.lit)
		case part.param < p.Len():
			_, v := p.At(part.param)
			sb.WriteString(v)
		}
	}
	return sb.String()
}
