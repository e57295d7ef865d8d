package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/transform"
	"github.com/portico/portico/internal/wasmhost"
)

// maxTransformBody bounds a body a transform reads (request or response):
// the whole body is buffered, decoded and re-encoded. It is wasmhost's
// default input limit.
const maxTransformBody = 1 << 20

// transformStage is an endpoint's compiled request and response
// transforms, run around dispatch: request transforms after the cache
// lookup, response transforms before the cache stores (serveTransformed).
type transformStage struct {
	req, resp []*transformUnit
	// inner is the endpoint without its transforms: what dispatch serves.
	inner *endpoint
}

// transformUnit is one tenant transform compiled for a snapshot:
// declarative (compiled once) or wasm (loaded on first use).
type transformUnit struct {
	name string
	decl *transform.Transform
	wasm *wasmUnit
	// each applies the unit to every record of an array body (batch.go).
	each bool
}

// wasmUnit loads a module once per snapshot (the host compiles once per
// content hash) and closes it when the snapshot is collected.
type wasmUnit struct {
	code []byte
	opt  wasmhost.LoadOptions
	key  string // slug, hash, options: what makes two units interchangeable
	// routed is set when an endpoint of a routed version uses the unit:
	// only those are warmed (warmup.go).
	routed atomic.Bool

	mu  sync.Mutex
	mod *wasmhost.Module
}

// compileTransforms compiles every usable transform of cfg by slug. A
// transform that is not publishable (failing tests, no module) or does not
// compile is left out: endpoints using it fail closed. A wasm transform
// unchanged since prev (may be nil) keeps prev's unit, loaded module and
// warm instances included.
func compileTransforms(cfg *catalog.TenantConfig, prev *snapshot) map[string]*transformUnit {
	if len(cfg.Transforms) == 0 {
		return nil
	}
	var kept map[string]*wasmUnit
	if prev != nil && len(prev.wasm) > 0 {
		kept = make(map[string]*wasmUnit, len(prev.wasm))
		for _, u := range prev.wasm {
			kept[u.key] = u
		}
	}
	out := make(map[string]*transformUnit, len(cfg.Transforms))
	for i := range cfg.Transforms {
		t := &cfg.Transforms[i]
		if !t.Publishable() {
			continue
		}
		u := &transformUnit{name: t.Slug}
		switch t.Type {
		case model.TransformDeclarative:
			ct, err := catalog.CompileTransformDocument(t.Document, "/document")
			if err != nil {
				continue
			}
			u.decl = ct
		case model.TransformWasm:
			code, ok := cfg.Modules[t.Module.Hash]
			if !ok {
				continue
			}
			key := t.Slug + "\x00" + t.Module.Hash + "\x00" + strconv.FormatBool(t.FreshInstance) + "\x00" + string(t.Config)
			if u.wasm = kept[key]; u.wasm == nil {
				u.wasm = &wasmUnit{code: code, key: key, opt: wasmhost.LoadOptions{Name: t.Slug, Config: t.Config, FreshInstance: t.FreshInstance}}
			}
		default:
			continue
		}
		out[t.Slug] = u
	}
	return out
}

// attachTransforms compiles ce's transform policies against the tenant's
// compiled transforms. Called last in compile, when ce is complete.
func attachTransforms(ce *endpoint, units map[string]*transformUnit) {
	p := ce.ep.Policies
	if len(p.RequestTransforms) == 0 && len(p.ResponseTransforms) == 0 {
		return
	}
	ts := &transformStage{}
	for _, side := range []struct {
		refs []model.TransformRef
		dst  *[]*transformUnit
	}{{p.RequestTransforms, &ts.req}, {p.ResponseTransforms, &ts.resp}} {
		for _, ref := range side.refs {
			u := units[ref.Transform]
			if u == nil {
				if ce.unsupported == "" {
					ce.unsupported = "transform " + strconv.Quote(ref.Transform) + ", which is missing or not publishable,"
				}
				return
			}
			if u.wasm != nil {
				u.wasm.routed.Store(true)
			}
			if ref.Each {
				cp := *u
				cp.each = true
				u = &cp
			}
			*side.dst = append(*side.dst, u)
		}
	}
	inner := *ce
	ts.inner = &inner
	ce.transforms = ts
}

// module returns the unit's loaded module, loading it on first use.
func (u *wasmUnit) module(ctx context.Context, host *wasmhost.Host) (*wasmhost.Module, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.mod != nil {
		return u.mod, nil
	}
	if host == nil {
		return nil, errors.New("the gateway has no WebAssembly host")
	}
	m, err := host.Load(context.WithoutCancel(ctx), u.code, u.opt)
	if err != nil {
		return nil, err
	}
	u.mod = m
	// The unit lives as long as its snapshot; so do the instances.
	runtime.AddCleanup(u, func(m *wasmhost.Module) { _ = m.Close(context.Background()) }, m)
	return m, nil
}

// apply runs the unit on body (encoded JSON) within m (the rest of the
// message) and returns the new body.
func (u *transformUnit) apply(ctx context.Context, host *wasmhost.Host, m *transform.Message, body []byte) ([]byte, error) {
	if u.each {
		return u.applyEach(ctx, host, m, body) // batch.go
	}
	if u.decl != nil {
		m.Body = nil
		return u.decl.ApplyJSON(ctx, m, body)
	}
	mod, err := u.wasm.module(ctx, host)
	if err != nil {
		return nil, &wasmhost.CallError{Module: u.name, Err: err}
	}
	res, err := mod.Call(ctx, body)
	if err != nil {
		return nil, err
	}
	return res.Output, nil
}

// transformProblem renders a failed transform: a request transform's step
// failure is the caller's (400 listing the failing pointers); anything
// else is the transform's or the upstream's (502 naming the transform).
func transformProblem(name string, response bool, err error) *problem.Problem {
	var be *batchError
	if errors.As(err, &be) {
		return be.problem(name, response) // batch.go
	}
	var se *transform.StepError
	if errors.As(err, &se) {
		return se.Problem(name, response)
	}
	var ce *wasmhost.CallError
	if !response && errors.As(err, &ce) && errors.Is(err, wasmhost.ErrGuest) {
		p := problem.Validation([]problem.FieldError{{Pointer: "/body", Detail: ce.Message}})
		p.Detail = fmt.Sprintf("request transform %q rejected the request: %s", name, ce.Message)
		return p.WithCause(err)
	}
	side := "request"
	if response {
		side = "response"
	}
	return problem.New(http.StatusBadGateway, "transform-failed", "Bad Gateway",
		fmt.Sprintf("%s transform %q failed", side, name)).WithCause(err)
}

// serveTransformed runs the request transforms, dispatches to the
// endpoint without its transforms, and runs the response transforms on
// the buffered upstream response.
func (g *Gateway) serveTransformed(w http.ResponseWriter, r *http.Request, res *resolution, ts *transformStage) (*problem.Problem, error) {
	ctx := r.Context()
	msg := transform.Message{Query: r.URL.Query(), Params: paramsMap(res), Claims: claimsOf(ctx)}
	inner := ts.inner
	if len(ts.req) > 0 {
		var p *problem.Problem
		if r, inner, p = g.transformRequest(r, ts, &msg); p != nil {
			return p, nil
		}
	}
	if len(ts.resp) == 0 {
		return g.withEndpoint(w, r, res, inner)
	}
	if r.Header.Get("Accept-Encoding") != "" { // the body must arrive decodable
		if len(ts.req) == 0 { // else r is already the transformed copy
			r = r.Clone(ctx)
		}
		r.Header.Del("Accept-Encoding")
	}
	buf := &bufferWriter{header: http.Header{}, max: maxTransformBody}
	prob, err := g.withEndpoint(buf, r, res, inner)
	switch {
	case prob != nil:
		return prob, nil
	case err != nil && buf.over:
		return problem.New(http.StatusBadGateway, "transform-failed", "Bad Gateway",
			fmt.Sprintf("the upstream response is larger than %d bytes, the limit of response transforms", maxTransformBody)).WithCause(err), nil
	case err != nil:
		return nil, err // the client went away, or the upstream cut the body
	}
	if ce := buf.header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return problem.New(http.StatusBadGateway, "transform-failed", "Bad Gateway",
			"the upstream response is encoded ("+ce+"); response transforms need an identity body"), nil
	}
	msg.Headers, msg.Status = buf.header, buf.status()
	body := buf.body.Bytes()
	empty := len(body) == 0
	for _, u := range ts.resp {
		out, err := u.apply(ctx, g.cfg.Wasm, &msg, body)
		if err != nil {
			return transformProblem(u.name, true, err), nil
		}
		body = out
	}
	if empty && string(body) == "null" {
		body = nil
	}
	h := w.Header()
	for k, vs := range msg.Headers {
		h[k] = vs
	}
	delete(h, "Content-Length")
	if r.Method != http.MethodHead {
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	status := msg.Status
	if status < 100 || status > 999 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead && len(body) > 0 {
		if _, err := w.Write(body); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// withEndpoint serves r with res.ep temporarily set to ep.
func (g *Gateway) withEndpoint(w http.ResponseWriter, r *http.Request, res *resolution, ep *endpoint) (*problem.Problem, error) {
	outer := res.ep
	res.ep = ep
	defer func() { res.ep = outer }()
	return g.upstream(w, r, res)
}

// transformRequest buffers and transforms r's body and headers. It returns
// the request to dispatch and the endpoint to dispatch it with (a copy
// whose integration sets the headers the transforms set, since only
// allowlisted request headers are forwarded).
func (g *Gateway) transformRequest(r *http.Request, ts *transformStage, msg *transform.Message) (*http.Request, *endpoint, *problem.Problem) {
	ctx := r.Context()
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxTransformBody+1))
		if err != nil {
			return nil, nil, problem.BadRequest("", "the request body could not be read").WithCause(err)
		}
		if len(b) > maxTransformBody {
			return nil, nil, problem.New(http.StatusRequestEntityTooLarge, "payload-too-large", "Content Too Large",
				fmt.Sprintf("this endpoint transforms request bodies of at most %d bytes", maxTransformBody))
		}
		body = b
	}
	msg.Headers = r.Header.Clone()
	before := r.Header
	empty := len(body) == 0
	for _, u := range ts.req {
		out, err := u.apply(ctx, g.cfg.Wasm, msg, body)
		if err != nil {
			return nil, nil, transformProblem(u.name, false, err)
		}
		body = out
	}
	if empty && string(body) == "null" {
		body = nil
	}
	r2 := r.Clone(ctx)
	r2.Header = msg.Headers
	r2.Body, r2.ContentLength = http.NoBody, 0
	if len(body) > 0 {
		r2.Body, r2.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		r2.Header["Content-Length"] = []string{strconv.Itoa(len(body))}
		if r2.Header.Get("Content-Type") == "" {
			r2.Header.Set("Content-Type", "application/json")
		}
	} else {
		delete(r2.Header, "Content-Length")
	}
	// Headers the transforms set or changed are sent as the integration's
	// own headers, which the forwarder always sends.
	var set map[string]string
	for k, vs := range msg.Headers {
		if len(vs) == 0 || k == "Content-Length" || k == "Content-Type" {
			continue
		}
		if old := before[k]; len(old) == 0 || old[0] != vs[0] {
			if set == nil {
				set = map[string]string{}
			}
			set[k] = vs[0]
		}
	}
	inner := ts.inner
	if set != nil && inner.integration != nil {
		cp := *inner
		integ := *inner.integration
		integ.Headers = maps.Clone(integ.Headers)
		if integ.Headers == nil {
			integ.Headers = map[string]string{}
		}
		maps.Copy(integ.Headers, set)
		cp.integration = &integ
		inner = &cp
	}
	return r2, inner, nil
}

func paramsMap(res *resolution) map[string]string {
	n := res.params.Len()
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for i := range n {
		k, v := res.params.At(i)
		m[k] = v
	}
	return m
}

// claimsOf exposes the verified caller to transforms as claims.
func claimsOf(ctx context.Context) map[string]any {
	c, ok := caller.From(ctx)
	if !ok {
		return nil
	}
	m := map[string]any{"kind": string(c.Kind), "tenant": c.Tenant, "subject": c.Subject}
	if c.Consumer != "" {
		m["consumer"] = c.Consumer
	}
	if c.Plan != "" {
		m["plan"] = c.Plan
	}
	if len(c.Scopes) > 0 {
		m["scopes"] = toAny(c.Scopes)
	}
	if len(c.Roles) > 0 {
		m["roles"] = toAny(c.Roles)
	}
	return m
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// bufferWriter holds a whole upstream response for the response
// transforms, up to max body bytes; past it, Write fails (the forwarder
// stops) and over is set.
type bufferWriter struct {
	header http.Header
	code   int
	body   bytes.Buffer
	max    int
	over   bool
}

func (b *bufferWriter) Header() http.Header { return b.header }

func (b *bufferWriter) WriteHeader(code int) {
	if b.code == 0 && code >= 200 {
		b.code = code
	}
}

func (b *bufferWriter) Write(p []byte) (int, error) {
	if b.code == 0 {
		b.code = http.StatusOK
	}
	if b.body.Len()+len(p) > b.max {
		b.over = true
		return 0, errTransformBodyTooLarge
	}
	return b.body.Write(p)
}

func (b *bufferWriter) status() int {
	if b.code == 0 {
		return http.StatusOK
	}
	return b.code
}

var errTransformBodyTooLarge = errors.New("gateway: response body over the transform limit")
