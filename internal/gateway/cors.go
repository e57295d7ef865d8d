package gateway

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
)

// corsPolicy is a model.CORSPolicy compiled for serving (docs/gateway-headers.md).
type corsPolicy struct {
	anyOrigin   bool
	origins     []string // lower-case origins without a trailing slash
	methods     []string // nil: the methods of the matched routes
	methodsHdr  []string // methods joined, nil when methods is nil
	headers     []string // lower-case; nil: reflect the requested headers
	headersHdr  []string
	exposeHdr   []string // nil when none
	credentials bool
	maxAgeHdr   []string // nil when 0
}

var (
	hdrTrue       = []string{"true"}
	hdrStar       = []string{"*"}
	hdrVaryOrigin = []string{"Origin"}
	hdrVaryPre    = []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}
)

// compileCORS compiles p; nil means no CORS for the endpoint.
func compileCORS(p *model.CORSPolicy) *corsPolicy {
	if p == nil || len(p.AllowOrigins) == 0 {
		return nil
	}
	c := &corsPolicy{credentials: p.AllowCredentials}
	for _, o := range p.AllowOrigins {
		if o == "*" {
			c.anyOrigin = true
			continue
		}
		c.origins = append(c.origins, strings.TrimSuffix(strings.ToLower(o), "/"))
	}
	if len(p.AllowMethods) > 0 {
		c.methods = slices.Clone(p.AllowMethods)
		c.methodsHdr = []string{strings.Join(c.methods, ", ")}
	}
	if len(p.AllowHeaders) > 0 {
		for _, h := range p.AllowHeaders {
			c.headers = append(c.headers, strings.ToLower(h))
		}
		c.headersHdr = []string{strings.Join(p.AllowHeaders, ", ")}
	}
	if len(p.ExposeHeaders) > 0 {
		c.exposeHdr = []string{strings.Join(p.ExposeHeaders, ", ")}
	}
	if p.MaxAgeSeconds > 0 {
		c.maxAgeHdr = []string{strconv.Itoa(p.MaxAgeSeconds)}
	}
	return c
}

// allows reports whether origin (an Origin header value) may call.
func (c *corsPolicy) allows(origin string) bool {
	if origin == "" {
		return false
	}
	if c.anyOrigin {
		return true
	}
	for _, o := range c.origins {
		if len(o) == len(origin) && strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// allowOrigin sets Access-Control-Allow-Origin (and -Credentials) for an
// allowed origin: "*" only when configured and without credentials,
// otherwise the origin echoed.
func (c *corsPolicy) allowOrigin(h http.Header, origin string) {
	if c.anyOrigin && !c.credentials {
		h["Access-Control-Allow-Origin"] = hdrStar
		return
	}
	h["Access-Control-Allow-Origin"] = []string{origin}
	if c.credentials {
		h["Access-Control-Allow-Credentials"] = hdrTrue
	}
}

// decorate adds the CORS headers of an actual (not preflight) response.
// Upstream Access-Control-* headers are replaced when the response starts
// (corsWriter), so the gateway's policy is the one browsers see.
func (c *corsPolicy) decorate(w http.ResponseWriter, r *http.Request) http.ResponseWriter {
	h := w.Header()
	addVary(h, hdrVaryOrigin)
	origin := r.Header.Get("Origin")
	if !c.allows(origin) {
		return &corsWriter{ResponseWriter: w}
	}
	cw := &corsWriter{ResponseWriter: w, c: c, origin: origin}
	cw.apply()
	return cw
}

// isPreflight reports a CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// preflight answers a CORS preflight for the route the requested method
// would reach, without authentication and without calling the upstream.
// ok is false when no route matches or the route has no CORS policy: the
// request then goes through the pipeline as a plain OPTIONS request.
func (g *Gateway) preflight(w http.ResponseWriter, r *http.Request, res *resolution, now time.Time) (p *problem.Problem, ok bool) {
	reqMethod := r.Header.Get("Access-Control-Request-Method")
	pr := *r // shallow: only the method differs, for the route match
	pr.Method = reqMethod
	if p := g.resolve(&pr, res, now); p != nil {
		switch p.Status {
		case http.StatusMethodNotAllowed:
			return corsForbidden("the requested method is not allowed on this route"), true
		case http.StatusNotFound:
			if res.snap != nil && res.snap.exists { // maybe a tenant endpoint (token, JWKS)
				*res = resolution{}
				return nil, false
			}
		}
		return p, true
	}
	c := res.ep.cors
	if c == nil {
		*res = resolution{}
		return nil, false
	}
	h := w.Header()
	addVary(h, hdrVaryPre)
	origin := r.Header.Get("Origin")
	if !c.allows(origin) {
		return corsForbidden("this origin may not call this route"), true
	}
	if c.methods != nil && !slices.Contains(c.methods, reqMethod) {
		return corsForbidden("the requested method is not allowed for cross-origin calls"), true
	}
	reqHeaders := r.Header.Values("Access-Control-Request-Headers")
	if c.headers != nil {
		for _, line := range reqHeaders {
			for name := range strings.SplitSeq(line, ",") {
				if name = strings.TrimSpace(name); name != "" && !slices.Contains(c.headers, strings.ToLower(name)) {
					return corsForbidden("a requested header is not allowed for cross-origin calls"), true
				}
			}
		}
	}
	c.allowOrigin(h, origin)
	if c.methodsHdr != nil {
		h["Access-Control-Allow-Methods"] = c.methodsHdr
	} else {
		h["Access-Control-Allow-Methods"] = []string{reqMethod}
	}
	switch {
	case c.headersHdr != nil:
		h["Access-Control-Allow-Headers"] = c.headersHdr
	case len(reqHeaders) > 0:
		h["Access-Control-Allow-Headers"] = []string{strings.Join(reqHeaders, ", ")}
	}
	if c.maxAgeHdr != nil {
		h["Access-Control-Max-Age"] = c.maxAgeHdr
	}
	w.WriteHeader(http.StatusNoContent)
	return nil, true
}

func corsForbidden(detail string) *problem.Problem {
	return problem.New(http.StatusForbidden, "cors-forbidden", "Forbidden", detail)
}

// addVary adds values to the Vary header unless already listed.
func addVary(h http.Header, values []string) {
	cur := h["Vary"]
	if len(cur) == 0 {
		h["Vary"] = values // shared, read-only: replaced, never appended to
		return
	}
	out := slices.Clone(cur)
	for _, v := range values {
		found := false
		for _, line := range cur {
			for f := range strings.SplitSeq(line, ",") {
				if strings.EqualFold(strings.TrimSpace(f), v) {
					found = true
				}
			}
		}
		if !found {
			out = append(out, v)
		}
	}
	h["Vary"] = out
}

// corsWriter re-applies the gateway's CORS headers when the response
// starts, over whatever the upstream sent.
type corsWriter struct {
	http.ResponseWriter
	c       *corsPolicy // nil: the origin is not allowed, strip upstream CORS headers
	origin  string
	started bool
}

func (cw *corsWriter) apply() {
	h := cw.ResponseWriter.Header()
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			delete(h, k)
		}
	}
	if v := h["Vary"]; len(v) > 0 {
		addVary(h, hdrVaryOrigin)
	} else {
		h["Vary"] = hdrVaryOrigin
	}
	if cw.c == nil {
		return
	}
	cw.c.allowOrigin(h, cw.origin)
	if cw.c.exposeHdr != nil {
		h["Access-Control-Expose-Headers"] = cw.c.exposeHdr
	}
}

func (cw *corsWriter) WriteHeader(code int) {
	if !cw.started && code >= 200 {
		cw.started = true
		cw.apply()
	}
	cw.ResponseWriter.WriteHeader(code)
}

func (cw *corsWriter) Write(b []byte) (int, error) {
	if !cw.started {
		cw.started = true
		cw.apply()
	}
	return cw.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (cw *corsWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }

// endpointCORS is the CORS policy of ep: its own, else its API's default.
func endpointCORS(ep model.Endpoint, api *model.API) *model.CORSPolicy {
	if ep.Policies.CORS != nil || api == nil {
		return ep.Policies.CORS
	}
	return api.CORS
}
