package gateway

import (
	"net/http"
	"net/url"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/proxy"
	"github.com/portico/portico/internal/reqtmpl"
	"github.com/portico/portico/internal/route"
)

// TypeBadTemplateValue: a request value would escape the upstream path
// (a "." or ".." path segment) once put into a request template.
const TypeBadTemplateValue = "invalid-template-value"

// requestTemplates are an endpoint's request templates, parsed once per
// snapshot (docs/integrations.md, "Request templates").
type requestTemplates struct {
	url     *reqtmpl.URL                 // nil: the integration URL is static
	target  *reqtmpl.Template            // nil: the target path is route-style or empty
	headers map[string]*reqtmpl.Template // templated header values only
	static  map[string]string            // the integration's other headers
}

// compileRequestTemplates parses the templates of an HTTP integration's URL
// and headers and of the endpoint's target path; nil when nothing is
// templated. What does not parse (validated at save time) stays literal.
func compileRequestTemplates(in *model.Integration, targetPath string) *requestTemplates {
	if in == nil || in.Type != model.IntegrationHTTP {
		return nil
	}
	rt := &requestTemplates{}
	templated := false
	if reqtmpl.Uses(in.URL) {
		if u, err := reqtmpl.ParseURL(in.URL); err == nil && (!u.Path.Static() || !u.Query.Static()) {
			rt.url, templated = u, true
		}
	}
	if reqtmpl.Uses(targetPath) {
		if t, err := reqtmpl.Parse(targetPath, reqtmpl.Path); err == nil {
			rt.target, templated = t, true
		}
	}
	for k, v := range in.Headers {
		if reqtmpl.Uses(v) {
			if t, err := reqtmpl.Parse(v, reqtmpl.Header); err == nil && !t.Static() {
				if rt.headers == nil {
					rt.headers = map[string]*reqtmpl.Template{}
				}
				rt.headers[k], templated = t, true
				continue
			}
		}
		if rt.static == nil {
			rt.static = map[string]string{}
		}
		rt.static[k] = v
	}
	if !templated {
		return nil
	}
	return rt
}

// apply renders the templates into t for r; a problem when a value cannot
// be used.
func (rt *requestTemplates) apply(t *proxy.Target, r *http.Request, params *route.Params) *problem.Problem {
	v := &requestValues{r: r, params: params}
	if rt.url != nil {
		u, err := rt.url.Expand(v)
		if err != nil {
			return badTemplateValue()
		}
		t.BaseURL = u
	}
	if rt.target != nil {
		p, err := rt.target.Expand(v)
		if err != nil {
			return badTemplateValue()
		}
		t.Path = p
	}
	if rt.headers != nil {
		h := make(map[string]string, len(rt.static)+len(rt.headers))
		for k, s := range rt.static {
			h[k] = s
		}
		for k, tp := range rt.headers {
			h[k], _ = tp.Expand(v) // header expansion cannot fail
		}
		t.SetHeaders = h
	}
	return nil
}

func badTemplateValue() *problem.Problem {
	return problem.New(http.StatusBadRequest, TypeBadTemplateValue, "Bad Request", "a request value cannot be used in the upstream path")
}

// requestValues looks up template values in a matched request; the query
// is parsed at most once, and only when a template asks for it.
type requestValues struct {
	r      *http.Request
	params *route.Params
	query  url.Values
}

func (v *requestValues) Value(src reqtmpl.Source, name string) string {
	switch src {
	case reqtmpl.FromPath:
		return v.params.Get(name)
	case reqtmpl.FromQuery:
		if v.query == nil {
			v.query = v.r.URL.Query()
		}
		return v.query.Get(name)
	default:
		return v.r.Header.Get(name)
	}
}

var _ reqtmpl.Values = (*requestValues)(nil)
