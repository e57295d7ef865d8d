package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/portico/portico/internal/cache"
	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
)

// cacheStage is an endpoint's compiled cache policy (docs/cache.md).
type cacheStage struct {
	ttl       time.Duration
	get, head bool // request methods served from the cache
	// storeHead: the endpoint itself is HEAD, so HEAD responses are stored.
	// Otherwise a HEAD request is answered from a GET's entry but never
	// fills one (it has no body).
	storeHead  bool
	keyHeaders []string // canonical names
	// principal: the verified caller is part of the key.
	principal bool
	// guardCredentials: the key holds no caller, so a request carrying
	// Authorization or Cookie (which the upstream may answer personally)
	// bypasses the cache, unless the header is a key header.
	guardCredentials bool
	ignoreCC         bool
	statuses         []int // non-2xx statuses that may be stored
	maxBody          int   // 0: the cache's maximum entry size
	api, version     string
	tags             []string // purge tags from the policy
	// staleIfError is the policy's stale-if-error window; -1 when unset
	// (the upstream's Cache-Control then says).
	staleIfError time.Duration
	// metrics are the endpoint's counters, set on first use (cachemetrics.go).
	metrics atomic.Pointer[cache.EndpointCounters]
}

var (
	xCacheHit   = []string{"HIT"}
	xCacheMiss  = []string{"MISS"}
	xCacheStale = []string{"STALE"}
)

// compileCache compiles the cache policy of ep.
func compileCache(p *model.CachePolicy, ep model.Endpoint) *cacheStage {
	cs := &cacheStage{
		ttl: time.Duration(p.TTLSeconds) * time.Second, storeHead: ep.Method == http.MethodHead,
		ignoreCC: p.IgnoreCacheControl, statuses: p.Statuses, maxBody: p.MaxEntrySize, api: ep.API, version: ep.Version,
		tags: p.Tags, staleIfError: -1,
	}
	if p.StaleIfErrorSeconds != nil {
		cs.staleIfError = time.Duration(*p.StaleIfErrorSeconds) * time.Second
	}
	methods := p.Methods
	if len(methods) == 0 {
		methods = []string{http.MethodGet, http.MethodHead}
	}
	cs.get, cs.head = slices.Contains(methods, http.MethodGet), slices.Contains(methods, http.MethodHead)
	for _, h := range p.KeyHeaders {
		if h = textproto.CanonicalMIMEHeaderKey(h); !slices.Contains(cs.keyHeaders, h) {
			cs.keyHeaders = append(cs.keyHeaders, h)
		}
	}
	authed := ep.Policies.Auth != nil && ep.Policies.Auth.Type != model.AuthNone
	cs.principal = authed && (p.PerPrincipal || !p.Shared)
	cs.guardCredentials = !cs.principal && !p.Shared
	return cs
}

// key returns r's cache key, or false when r must bypass the cache.
func (cs *cacheStage) key(r *http.Request, res *resolution) (string, bool) {
	switch r.Method {
	case http.MethodGet:
		if !cs.get {
			return "", false
		}
	case http.MethodHead:
		if !cs.head {
			return "", false
		}
	default:
		return "", false
	}
	if _, ok := r.Header["Range"]; ok {
		return "", false
	}
	if cs.guardCredentials {
		for _, h := range [...]string{"Authorization", "Cookie"} {
			if _, ok := r.Header[h]; ok && !slices.Contains(cs.keyHeaders, h) {
				return "", false
			}
		}
	}
	q, ok := canonicalQuery(r.URL.RawQuery)
	if !ok {
		return "", false
	}
	p := cache.KeyParts{Tenant: res.tenant, ConfigVersion: res.snap.version, Route: res.ep.routeName, Path: res.path, Query: q}
	if len(cs.keyHeaders) > 0 {
		p.Headers = make([]string, 0, 2*len(cs.keyHeaders))
		for _, h := range cs.keyHeaders {
			p.Headers = append(p.Headers, h, strings.Join(r.Header[h], "\x00"))
		}
	}
	if cs.principal {
		c, _ := caller.From(r.Context())
		p.Principal = c.ID()
	}
	return cache.Key(p), true
}

// canonicalQuery sorts a query by name (values keep their order) and
// normalises its escaping. A query that does not parse bypasses the cache:
// the upstream would see something the key does not.
func canonicalQuery(raw string) (string, bool) {
	if raw == "" {
		return "", true
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return "", false
	}
	return v.Encode(), true
}

// serveCached runs the cache stage in front of dispatch: a fresh entry is
// served (304 when If-None-Match matches its ETag); a miss is dispatched
// once for every concurrent request of the same key and stored if the
// response allows. When the lookup also found an entry within its
// stale-if-error window and the upstream fails, that entry answers
// instead (X-Cache: STALE; stale.go).
func (g *Gateway) serveCached(w http.ResponseWriter, r *http.Request, res *resolution) (*problem.Problem, error) {
	cs := res.ep.cache
	key, ok := cs.key(r, res)
	if !ok {
		return g.upstream(w, r, res)
	}
	fresh, stale := g.cfg.Cache.Lookup(r.Context(), key)
	if fresh != nil {
		g.cacheCounters(res).Hit()
		writeHit(w, r, fresh, g.cfg.Now(), xCacheHit)
		return nil, nil
	}
	if r.Method == http.MethodHead && !cs.storeHead {
		w.Header()["X-Cache"] = xCacheMiss
		return g.upstreamOrStale(w, r, res, stale)
	}
	return g.fillCached(w, r, res, key, stale)
}

// fillCached is serveCached's miss: the single-flight fill.
func (g *Gateway) fillCached(w http.ResponseWriter, r *http.Request, res *resolution, key string, stale *cache.Entry) (*problem.Problem, error) {
	cs := res.ep.cache
	var (
		prob   *problem.Problem
		err    error
		pre    []string // the leader's header keys before dispatch
		failed bool     // the leader's upstream failed and a stale entry may answer
	)
	e, out, ferr := g.cfg.Cache.Fill(r.Context(), key, func(context.Context) (*cache.Entry, error) {
		w.Header()["X-Cache"] = xCacheMiss
		cw := captureWriter{cs: cs, res: res, now: g.cfg.Now(), max: g.cfg.Cache.MaxEntryBytes()}
		cw.pre = make([]string, 0, len(w.Header()))
		for k := range w.Header() {
			cw.pre = append(cw.pre, k)
		}
		pre, cw.ResponseWriter = cw.pre, w
		var hw *holdWriter
		if stale != nil {
			hw = &holdWriter{ResponseWriter: w, hold: true}
			cw.ResponseWriter = hw
		}
		if cs.maxBody > 0 {
			cw.max = min(cw.max, cs.maxBody)
		}
		prob, err = g.upstream(&cw, r, res)
		if hw != nil && (hw.held || prob != nil && upstreamFailed(prob.Status)) {
			failed = true // waiters with a stale entry serve it too
			if prob == nil {
				return nil, errUpstreamFailed
			}
		}
		switch {
		case prob != nil:
			shared := *prob // waiters get a copy: this request's Write mutates prob
			return nil, &shared
		case err != nil:
			return nil, err
		}
		return cw.entry(), nil
	})
	switch {
	case out == cache.Filled && failed && r.Context().Err() == nil:
		g.serveStale(w, r, res, stale, pre)
		return nil, nil
	case out == cache.Filled:
		g.cacheCounters(res).Miss()
		return prob, err
	case e != nil:
		g.cacheCounters(res).Hit()
		writeHit(w, r, e, g.cfg.Now(), xCacheHit)
		return nil, nil
	}
	// A waiter whose fill produced nothing shareable.
	p := (*problem.Problem)(nil)
	isProb := errors.As(ferr, &p)
	if stale != nil && (errors.Is(ferr, errUpstreamFailed) || isProb && upstreamFailed(p.Status)) {
		g.serveStale(w, r, res, stale, nil)
		return nil, nil
	}
	if isProb {
		g.cacheCounters(res).Miss()
		mine := *p
		return &mine, nil
	}
	// Not storable, or the filling request failed mid-way (its client went
	// away), or its upstream failed and it had a stale entry this request
	// has not: fetch for this request alone.
	w.Header()["X-Cache"] = xCacheMiss
	return g.upstreamOrStale(w, r, res, stale)
}

// writeHit answers r from e: its headers with Age and X-Cache (xc: HIT or
// STALE), then 304 when If-None-Match matches e's ETag, else e's status and
// body (none for HEAD).
func writeHit(w http.ResponseWriter, r *http.Request, e *cache.Entry, now time.Time, xc []string) {
	h := w.Header()
	for k, vs := range e.Header {
		if _, set := h[k]; !set {
			h[k] = vs // shared, read-only
		}
	}
	h["Age"] = []string{strconv.FormatInt(e.Age(now), 10)}
	h["X-Cache"] = xc
	if inm := r.Header.Get("If-None-Match"); inm != "" && e.Status == http.StatusOK && etagMatch(inm, e.Header.Get("Etag")) {
		delete(h, "Content-Length")
		delete(h, "Content-Type")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Length"] = []string{strconv.Itoa(len(e.Body))}
	w.WriteHeader(e.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(e.Body)
	}
}

// etagMatch is If-None-Match's weak comparison (RFC 9110 13.1.2).
func etagMatch(inm, etag string) bool {
	if etag == "" {
		return false
	}
	if strings.TrimSpace(inm) == "*" {
		return true
	}
	etag = strings.TrimPrefix(etag, "W/")
	for t := range strings.SplitSeq(inm, ",") {
		if strings.TrimPrefix(strings.TrimSpace(t), "W/") == etag {
			return true
		}
	}
	return false
}

// unstoredHeaders are response headers never stored: per-request gateway
// headers, framing, and headers recomputed on a hit.
var unstoredHeaders = map[string]bool{
	"Age": true, "Date": true, "Content-Length": true, "Transfer-Encoding": true, "Connection": true,
	"Keep-Alive": true, "X-Cache": true, "X-Request-Id": true, "Set-Cookie": true,
}

// captureWriter passes a response through to the client while keeping a
// copy for the cache, as long as the response may be stored and fits.
type captureWriter struct {
	http.ResponseWriter
	cs    *cacheStage
	res   *resolution
	now   time.Time
	max   int
	pre   []string // header keys set before dispatch: the gateway's own
	wrote bool
	e     *cache.Entry // nil: not storable
	body  []byte
}

func (cw *captureWriter) WriteHeader(code int) {
	if !cw.wrote && code >= 200 {
		cw.wrote = true
		cw.e = cw.cs.storable(code, cw.ResponseWriter.Header(), cw.pre, cw.now)
		if cw.e != nil {
			cw.e.Tenant, cw.e.Path, cw.e.Endpoint = cw.res.tenant, cw.res.path, cw.res.ep.ep.ID
		}
	}
	cw.ResponseWriter.WriteHeader(code)
}

func (cw *captureWriter) Write(b []byte) (int, error) {
	if !cw.wrote {
		cw.WriteHeader(http.StatusOK)
	}
	if cw.e != nil {
		if len(cw.body)+len(b) > cw.max {
			cw.e, cw.body = nil, nil
		} else {
			cw.body = append(cw.body, b...)
		}
	}
	return cw.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (cw *captureWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }

// entry is the captured response, or nil when it may not be stored.
func (cw *captureWriter) entry() *cache.Entry {
	if !cw.wrote || cw.e == nil {
		return nil
	}
	cw.e.Body = cw.body
	return cw.e
}

// storable decides, from the status and headers of a response, whether it
// may be stored and for how long, and returns the entry to fill (without
// body) or nil.
func (cs *cacheStage) storable(code int, h http.Header, pre []string, now time.Time) *cache.Entry {
	if !(code >= 200 && code < 300 && code != http.StatusPartialContent) && !slices.Contains(cs.statuses, code) {
		return nil
	}
	if _, ok := h["Set-Cookie"]; ok {
		return nil // never, whatever the policy
	}
	for _, v := range h["Vary"] {
		for f := range strings.SplitSeq(v, ",") {
			f = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(f))
			if f != "" && !slices.Contains(cs.keyHeaders, f) {
				return nil // the response varies by something the key does not hold
			}
		}
	}
	ttl, stale := cs.ttl, cs.staleIfError
	if !cs.ignoreCC {
		d := parseCacheControl(h["Cache-Control"])
		if d.noStore || d.private || d.noCache {
			return nil
		}
		if d.maxAge >= 0 {
			ttl = min(ttl, time.Duration(d.maxAge)*time.Second)
		}
		if stale < 0 && d.staleIfError >= 0 {
			stale = time.Duration(d.staleIfError) * time.Second
		}
	}
	if ttl <= 0 {
		return nil
	}
	stored := make(http.Header, len(h))
	for k, vs := range h {
		if !unstoredHeaders[k] && !slices.Contains(pre, k) {
			stored[k] = slices.Clone(vs)
		}
	}
	return &cache.Entry{Status: code, Header: stored, StoredAt: now, TTL: ttl, StaleIfError: max(stale, 0),
		API: cs.api, Version: cs.version, Tags: responseTags(cs.tags, h)}
}

type cacheControl struct {
	noStore, private, noCache bool
	maxAge                    int64 // s-maxage if present, else max-age; -1 when neither
	staleIfError              int64 // RFC 5861 stale-if-error; -1 when absent
}

// parseCacheControl reads the directives a shared cache obeys.
func parseCacheControl(vs []string) cacheControl {
	d := cacheControl{maxAge: -1, staleIfError: -1}
	sMax := int64(-1)
	for _, v := range vs {
		for dir := range strings.SplitSeq(v, ",") {
			name, arg, _ := strings.Cut(strings.TrimSpace(dir), "=")
			arg = strings.Trim(arg, `"`)
			switch strings.ToLower(name) {
			case "no-store":
				d.noStore = true
			case "private":
				d.private = true
			case "no-cache":
				d.noCache = true
			case "max-age":
				if n, err := strconv.ParseInt(arg, 10, 64); err == nil && n >= 0 && d.maxAge < 0 {
					d.maxAge = n
				} else if err != nil {
					d.noCache = true // an invalid max-age means stale (RFC 9111 4.2.1)
				}
			case "stale-if-error":
				if n, err := strconv.ParseInt(arg, 10, 64); err == nil && n >= 0 {
					d.staleIfError = min(n, model.MaxStaleSeconds)
				}
			case "s-maxage":
				if n, err := strconv.ParseInt(arg, 10, 64); err == nil && n >= 0 {
					sMax = n
				} else {
					d.noCache = true
				}
			}
		}
	}
	if sMax >= 0 {
		d.maxAge = sMax
	}
	return d
}
