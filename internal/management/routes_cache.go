package management

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/portico/portico/internal/cache"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/route"
)

// CachePurger removes cached gateway responses; *cache.Cache implements it.
type CachePurger interface {
	Purge(ctx context.Context, s cache.Selector) (int, error)
}

type purgeRequest struct {
	// Path is a request path as clients call it below the tenant
	// ("/v1/orders/42"; the leading version may be left out). Empty purges
	// the whole version.
	Path string `json:"path"`
}

type purgeResult struct {
	API     string `json:"api"`
	Version string `json:"version"`
	Path    string `json:"path,omitempty"`
	Purged  int    `json:"purged"`
}

// purgeCache is POST /apis/{api}/versions/{version}/cache/purge: it removes
// the version's cached responses (or one path's, every variant) from the
// shared cache and this instance's, and records an audit entry.
func (h *Handler) purgeCache(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	if h.cfg.Cache == nil {
		return problem.New(http.StatusServiceUnavailable, "cache-unavailable", "Service Unavailable", "no response cache is configured")
	}
	var req purgeRequest
	if err := h.decodeOptional(w, r, &req); err != nil {
		return err
	}
	api, ver := r.PathValue("api"), r.PathValue("version")
	if _, err := h.cat.GetVersion(r.Context(), p.Tenant, api, ver); err != nil {
		return err
	}
	sel := cache.Selector{Tenant: p.Tenant, API: api, Version: ver}
	if req.Path != "" {
		path, err := route.Canonical(req.Path)
		if err != nil || !strings.HasPrefix(req.Path, "/") {
			return problem.BadRequest("/path", "must be a request path starting with /")
		}
		if path != "/"+ver && !strings.HasPrefix(path, "/"+ver+"/") {
			path = strings.TrimSuffix("/"+ver+path, "/")
		}
		sel.Path = path
	}
	n, err := h.cfg.Cache.Purge(r.Context(), sel)
	if err != nil {
		p := problem.New(http.StatusServiceUnavailable, "cache-unavailable", "Service Unavailable",
			"the shared cache could not be purged; retry").WithCause(err)
		p.Headers = http.Header{"Retry-After": {"1"}}
		return p
	}
	out := purgeResult{API: api, Version: ver, Path: sel.Path, Purged: n}
	after, _ := json.Marshal(out)
	if _, err := h.cat.RecordAudit(r.Context(), p.Tenant, h.actor(r, p), model.AuditEntry{
		Action: "purge", ResourceType: "cache", Resource: "api/" + api + "/version/" + ver + "/cache", After: after,
	}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

type tenantPurgeRequest struct {
	// Tag selects the entries holding this purge tag (from the upstream's
	// Cache-Tag or Surrogate-Key header). Empty purges the whole tenant.
	Tag string `json:"tag"`
}

type tenantPurgeResult struct {
	Tag    string `json:"tag,omitempty"`
	Purged int    `json:"purged"`
}

// purgeTenantCache is POST /cache/purge: it removes the tenant's cached
// responses holding a tag, or all of them, from the shared cache and this
// instance's, and records an audit entry.
func (h *Handler) purgeTenantCache(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	if h.cfg.Cache == nil {
		return problem.New(http.StatusServiceUnavailable, "cache-unavailable", "Service Unavailable", "no response cache is configured")
	}
	var req tenantPurgeRequest
	if err := h.decodeOptional(w, r, &req); err != nil {
		return err
	}
	if len(req.Tag) > 128 || strings.ContainsFunc(req.Tag, func(c rune) bool { return c <= ' ' || c == 0x7f }) {
		return problem.BadRequest("/tag", "must be at most 128 characters, without spaces or control characters")
	}
	n, err := h.cfg.Cache.Purge(r.Context(), cache.Selector{Tenant: p.Tenant, Tag: req.Tag})
	if err != nil {
		p := problem.New(http.StatusServiceUnavailable, "cache-unavailable", "Service Unavailable",
			"the shared cache could not be purged; retry").WithCause(err)
		p.Headers = http.Header{"Retry-After": {"1"}}
		return p
	}
	out := tenantPurgeResult{Tag: req.Tag, Purged: n}
	after, _ := json.Marshal(out)
	resource := "cache"
	if req.Tag != "" {
		resource = "cache/tag/" + req.Tag
	}
	if _, err := h.cat.RecordAudit(r.Context(), p.Tenant, h.actor(r, p), model.AuditEntry{
		Action: "purge", ResourceType: "cache", Resource: resource, After: after,
	}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// CacheStatser reports per-endpoint cache counters; *cache.Cache
// implements it. Config.Cache is checked for it, so a purger alone still
// serves purges.
type CacheStatser interface {
	EndpointStats(tenant string) []cache.EndpointStats
}

type cacheStatsResult struct {
	// Scope says whose counters these are: this instance's, since it
	// started (each gateway instance counts its own).
	Scope     string                `json:"scope"`
	Endpoints []cache.EndpointStats `json:"endpoints"`
	// Cluster says where the figures of every gateway instance are.
	Cluster clusterMetrics `json:"cluster"`
}

// clusterMetrics points at the cluster-wide cache figures: every gateway
// instance writes its counters' increases as CloudWatch EMF log lines
// (internal/metrics), which CloudWatch sums across instances.
type clusterMetrics struct {
	Source     string     `json:"source"`    // "cloudwatch"
	Namespace  string     `json:"namespace"` // "Portico/<environment>" as deployed by infra/
	Dimensions [][]string `json:"dimensions"`
	Metrics    []string   `json:"metrics"`
	Docs       string     `json:"docs"`
}

var cacheClusterMetrics = clusterMetrics{
	Source: "cloudwatch", Namespace: "Portico/<environment>",
	Dimensions: [][]string{{"Tenant", "Endpoint"}, {"Tenant"}},
	Metrics:    []string{"CacheHits", "CacheMisses", "CacheStale", "CacheStored", "CacheEvictions", "CacheBytes"},
	Docs:       "docs/cache.md#metrics",
}

// cacheStats is GET /cache/stats: the tenant's per-endpoint cache counters
// of the instance that serves the call, and where the cluster-wide ones
// are. "stale" counts responses served past their TTL because the
// upstream failed (stale-if-error).
func (h *Handler) cacheStats(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	s, ok := h.cfg.Cache.(CacheStatser)
	if !ok {
		return problem.New(http.StatusServiceUnavailable, "cache-unavailable", "Service Unavailable", "no response cache is configured")
	}
	out := cacheStatsResult{Scope: "instance", Endpoints: s.EndpointStats(p.Tenant), Cluster: cacheClusterMetrics}
	if out.Endpoints == nil {
		out.Endpoints = []cache.EndpointStats{}
	}
	return writeJSON(w, http.StatusOK, out)
}
