package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/portico/portico/internal/integration"
	"github.com/portico/portico/internal/integration/graphql"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/proxy"
)

// Problem types of GraphQL integrations.
const (
	// TypeGraphQLErrors: the upstream answered with GraphQL errors (and no
	// data, or partial data under partialData "fail"); the problem keeps
	// them in its upstreamErrors member.
	TypeGraphQLErrors = "upstream-graphql-errors"
	// TypeGraphQLInvalid: the upstream's answer is not a GraphQL response.
	TypeGraphQLInvalid = "upstream-graphql-invalid"
)

// maxGraphQLRequestBody bounds a caller's body read for variables.
const maxGraphQLRequestBody = 1 << 20

// graphqlForwardHeaders are the caller headers a GraphQL call forwards;
// Content-Type and Accept are the gateway's own.
var graphqlForwardHeaders = []string{"Accept-Language", "User-Agent", "Idempotency-Key", "Traceparent", "Tracestate", "X-Request-Id"}

// graphqlStage is a GraphQL integration compiled for one endpoint.
type graphqlStage struct {
	query, opName string
	vars          []graphql.Var // nil: the default mapping
	allowPartial  bool
	errorStatus   int
	// plan is the integration's plan, marked idempotent for a query: a
	// query is safe to send again although it goes as a POST.
	plan *integration.Plan
}

// compileGraphQL compiles in's GraphQL config, or returns nil when it does
// not compile (validated at save time; the endpoint then fails closed).
func compileGraphQL(in *model.Integration, plan *integration.Plan) *graphqlStage {
	g := in.GraphQL
	if g == nil || plan == nil {
		return nil
	}
	op, err := graphql.Operation(g.Query, g.OperationName)
	if err != nil || op == graphql.Subscription {
		return nil
	}
	st := &graphqlStage{query: g.Query, opName: g.OperationName, allowPartial: g.PartialData == model.PartialDataAllow,
		errorStatus: g.ErrorStatus, plan: plan}
	if st.errorStatus == 0 {
		st.errorStatus = http.StatusBadGateway
	}
	if g.Variables != nil {
		st.vars = make([]graphql.Var, 0, len(g.Variables))
		for name, v := range g.Variables {
			cv, err := graphql.ParseVar(name, v.From, v.Type)
			if err != nil {
				return nil
			}
			st.vars = append(st.vars, cv)
		}
	}
	if op == graphql.Query {
		p := *plan
		p.Idempotent = true
		st.plan = &p
	}
	return st
}

// serveGraphQL calls the endpoint's GraphQL integration: variables from
// the request, a POST of application/json through the integration engine,
// and the answer mapped (docs/integrations.md, GraphQL).
func (g *Gateway) serveGraphQL(w http.ResponseWriter, r *http.Request, res *resolution) (*problem.Problem, error) {
	ce := res.ep
	st := ce.graphql
	if g.cfg.Integrations == nil {
		return problem.New(http.StatusServiceUnavailable, "policy-unavailable", "Service Unavailable",
			"this endpoint is configured with graphql integrations, which this gateway cannot enforce yet; it fails closed"), nil
	}
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxGraphQLRequestBody+1))
		if err != nil {
			return problem.BadRequest("", "the request body could not be read").WithCause(err), nil
		}
		if len(b) > maxGraphQLRequestBody {
			return problem.New(http.StatusRequestEntityTooLarge, "payload-too-large", "Content Too Large",
				"the request body exceeds "+strconv.Itoa(maxGraphQLRequestBody)+" bytes"), nil
		}
		body = b
	}
	names := make([]string, res.params.Len())
	for i := range names {
		names[i], _ = res.params.At(i)
	}
	vars, err := graphql.Variables(st.vars, graphql.Request{
		Path: func(name string) (string, bool) {
			for i := range res.params.Len() {
				if n, v := res.params.At(i); n == name {
					if u, err := url.PathUnescape(v); err == nil {
						return u, true
					}
					return v, true
				}
			}
			return "", false
		},
		PathNames: names,
		Query:     r.URL.Query(),
		Body:      body,
	})
	var fe *graphql.FieldError
	switch {
	case errors.Is(err, graphql.ErrBody):
		return problem.BadRequest("", "the request body must be JSON"), nil
	case errors.As(err, &fe):
		return problem.BadRequest(fe.Pointer, "the value for "+fe.Pointer+" "+fe.Detail), nil
	case err != nil:
		return problem.Internal(err), nil
	}
	payload, err := graphql.Body(st.query, st.opName, vars)
	if err != nil {
		return problem.Internal(err), nil
	}

	out := r.Clone(r.Context())
	u := *r.URL
	u.RawQuery = "" // the query string went into variables
	out.URL = &u
	out.Method = http.MethodPost
	out.Header.Set("Content-Type", "application/json")
	out.Header.Set("Accept", "application/graphql-response+json, application/json;q=0.9")
	out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(payload)), int64(len(payload))
	t := proxy.Target{
		BaseURL:          ce.baseURL,
		Method:           http.MethodPost,
		Timeout:          ce.timeout,
		SetHeaders:       ce.integration.Headers,
		ForwardHeaders:   append(graphqlForwardHeaders[:len(graphqlForwardHeaders):len(graphqlForwardHeaders)], "Content-Type", "Accept"),
		MaxResponseBytes: st.plan.MaxResponseBytes,
	}
	stats, err := g.cfg.Integrations.Call(out, st.plan, t, func(x *proxy.Exchange, _ *http.Request) error {
		return st.answer(w, x)
	})
	res.call = stats
	if err == nil {
		return nil, nil
	}
	if p := (*problem.Problem)(nil); errors.As(err, &p) {
		return p, nil
	}
	return nil, err
}

// answer reads the upstream's GraphQL response (bounded) and writes the
// endpoint's answer, or returns the problem to answer with.
func (st *graphqlStage) answer(w http.ResponseWriter, x *proxy.Exchange) error {
	defer x.Discard()
	limit := st.plan.MaxResponseBytes
	if limit <= 0 {
		limit = proxy.DefaultMaxResponseBytes
	}
	b, err := io.ReadAll(io.LimitReader(x.Resp.Body, limit+1))
	switch {
	case err != nil:
		return problem.New(http.StatusBadGateway, proxy.TypeUpstreamUnavailable, "Bad Gateway",
			"the upstream service's answer was cut short").WithCause(fmt.Errorf("graphql: read %s: %w", x.URL.Redacted(), err))
	case int64(len(b)) > limit:
		return problem.New(http.StatusBadGateway, proxy.TypeUpstreamTooLarge, "Bad Gateway",
			"the upstream response exceeds the gateway's size limit").WithCause(fmt.Errorf("graphql: %s: more than %d bytes", x.URL.Redacted(), limit))
	}
	resp, err := graphql.ParseResponse(b)
	if err != nil {
		return problem.New(http.StatusBadGateway, TypeGraphQLInvalid, "Bad Gateway",
			"the GraphQL upstream answered with status "+strconv.Itoa(x.Resp.StatusCode)+" and no GraphQL response").
			WithCause(fmt.Errorf("graphql: %s: %w", x.URL.Redacted(), err))
	}
	if resp.ErrorCount > 0 && !(st.allowPartial && resp.HasData()) {
		p := problem.New(st.errorStatus, TypeGraphQLErrors, http.StatusText(st.errorStatus),
			"the GraphQL upstream answered with "+strconv.Itoa(resp.ErrorCount)+" error(s); see upstreamErrors")
		writeProblemWith(w, p, "upstreamErrors", resp.Errors)
		return nil
	}
	out := struct {
		Data   json.RawMessage   `json:"data"`
		Errors []json.RawMessage `json:"errors,omitempty"`
	}{resp.Data, resp.Errors}
	if out.Data == nil {
		out.Data = json.RawMessage("null")
	}
	enc, err := json.Marshal(out)
	if err != nil { // an upstream member json.Valid accepted cannot fail
		return problem.Internal(err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(enc)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(enc)
	return err
}

// writeProblemWith renders p with one extension member (RFC 9457 section
// 3.2) holding ext.
func writeProblemWith(w http.ResponseWriter, p *problem.Problem, member string, ext any) {
	doc := p.JSON()
	if b, err := json.Marshal(ext); err == nil && len(doc) > 1 {
		name, _ := json.Marshal(member)
		doc = append(append(append(append(doc[:len(doc)-1:len(doc)-1], ','), name...), ':'), b...)
		doc = append(doc, '}')
	}
	h := w.Header()
	h.Set("Content-Type", problem.ContentType)
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(p.Status)
	_, _ = w.Write(doc)
}
