package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/integration"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
)

// gqlUpstream is a GraphQL server that answers with the next of its
// scripted responses (the last one repeats) and records what it got.
type gqlUpstream struct {
	mu      sync.Mutex
	answers []gqlAnswer
	got     []gqlCall
	srv     *httptest.Server
}

type gqlAnswer struct {
	status int
	body   string
}

type gqlCall struct {
	method, rawQuery, contentType, apiKey string
	body                                  map[string]any
}

func newGQLUpstream(t *testing.T, answers ...gqlAnswer) *gqlUpstream {
	u := &gqlUpstream{answers: answers}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		u.mu.Lock()
		u.got = append(u.got, gqlCall{r.Method, r.URL.RawQuery, r.Header.Get("Content-Type"), r.Header.Get("X-Api-Key"), body})
		a := u.answers[min(len(u.got), len(u.answers))-1]
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *gqlUpstream) calls() []gqlCall {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]gqlCall(nil), u.got...)
}

// gqlHarness serves /t/acme/v1/orders/{id} (GET, a query) and POST
// /t/acme/v1/orders (a mutation) from a GraphQL integration.
func gqlHarness(t *testing.T, up *gqlUpstream, mutate func(*model.Integration)) *harness {
	t.Helper()
	fwd := proxy.New(proxy.Config{Logger: discardLogger()})
	eng, err := integration.New(integration.Config{Forwarder: fwd, Sleep: func(context.Context, time.Duration) error { return nil }, Rand: func() float64 { return 0.5 }})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *Config) { c.Forwarder, c.Integrations = fwd, eng })
	cfg := testConfig("acme", 2, h.up)
	q := model.Integration{Slug: "orders-gql", Type: model.IntegrationGraphQL, URL: up.srv.URL + "/graphql",
		Headers: map[string]string{"X-Api-Key": "k"},
		Retry:   &model.RetryPolicy{MaxAttempts: 3},
		GraphQL: &model.GraphQLConfig{
			Query: `query Order($id: ID!, $first: Int) { order(id: $id) { id lines(first: $first) { sku } } }`,
			Variables: map[string]model.GraphQLVariable{
				"id": {From: "/path/id"}, "first": {From: "/query/first", Type: "int"},
			},
		}}
	m := q
	m.Slug = "place-gql"
	m.GraphQL = &model.GraphQLConfig{Query: `mutation Place($input: OrderInput!) { place(input: $input) { id } }`,
		Variables: map[string]model.GraphQLVariable{"input": {From: "/body"}}}
	if mutate != nil {
		mutate(&q)
		mutate(&m)
	}
	cfg.Integrations = append(cfg.Integrations, q, m)
	cfg.Endpoints = append(cfg.Endpoints,
		model.Endpoint{ID: "gq", API: "shop", Version: "v1", Method: "GET", Path: "/orders/{id}", Target: model.Target{Type: model.TargetIntegration, Integration: "orders-gql"}},
		model.Endpoint{ID: "gm", API: "shop", Version: "v1", Method: "POST", Path: "/orders", Target: model.Target{Type: model.TargetIntegration, Integration: "place-gql"}})
	h.src.set(cfg)
	return h
}

func TestGraphQLRequest(t *testing.T) {
	up := newGQLUpstream(t, gqlAnswer{200, `{"data":{"order":{"id":"a/b","lines":[]}},"extensions":{"cost":1}}`})
	h := gqlHarness(t, up, nil)
	w := h.do(t, "GET", "/t/acme/v1/orders/a%2Fb?first=5&other=x", nil, "Idempotency-Key", "k1")
	if w.Code != 200 || w.Body.String() != `{"data":{"order":{"id":"a/b","lines":[]}}}` {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	c := up.calls()[0]
	if c.method != "POST" || c.rawQuery != "" || c.contentType != "application/json" || c.apiKey != "k" {
		t.Errorf("upstream request %+v", c)
	}
	vars, _ := json.Marshal(c.body["variables"])
	if string(vars) != `{"first":5,"id":"a/b"}` || c.body["query"] == nil {
		t.Errorf("upstream body %v", c.body)
	}
}

func TestGraphQLDefaultVariables(t *testing.T) {
	up := newGQLUpstream(t, gqlAnswer{200, `{"data":{"place":{"id":"1"}}}`})
	h := gqlHarness(t, up, func(in *model.Integration) { in.GraphQL.Variables = nil })
	w := h.do(t, "POST", "/t/acme/v1/orders?note=hi", strings.NewReader(`{"input":{"sku":"A"}}`), "Content-Type", "application/json")
	if w.Code != 200 {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
	vars, _ := json.Marshal(up.calls()[0].body["variables"])
	if string(vars) != `{"input":{"sku":"A"},"note":"hi"}` {
		t.Errorf("variables %s", vars)
	}
}

func TestGraphQLAnswers(t *testing.T) {
	errs := `[{"message":"order not found","path":["order"],"extensions":{"code":"NOT_FOUND"}}]`
	tests := []struct {
		name     string
		answers  []gqlAnswer
		mutate   func(*model.Integration)
		method   string
		target   string
		body     string
		header   []string
		status   int
		typ      string // problem type slug; "" for a data answer
		wantBody string // exact body of a data answer
		calls    int
	}{
		{name: "errors without data", answers: []gqlAnswer{{200, `{"data":null,"errors":` + errs + `}`}}, status: 502, typ: TypeGraphQLErrors, calls: 1},
		{name: "errors with a 4xx", answers: []gqlAnswer{{400, `{"errors":` + errs + `}`}}, status: 502, typ: TypeGraphQLErrors, calls: 1},
		{name: "configured error status", answers: []gqlAnswer{{200, `{"errors":` + errs + `}`}},
			mutate: func(in *model.Integration) { in.GraphQL.ErrorStatus = 424 }, status: 424, typ: TypeGraphQLErrors, calls: 1},
		{name: "partial data fails by default", answers: []gqlAnswer{{200, `{"data":{"order":null},"errors":` + errs + `}`}}, status: 502, typ: TypeGraphQLErrors, calls: 1},
		{name: "partial data allowed", answers: []gqlAnswer{{200, `{"data":{"order":null},"errors":` + errs + `}`}},
			mutate: func(in *model.Integration) { in.GraphQL.PartialData = model.PartialDataAllow }, status: 200,
			wantBody: `{"data":{"order":null},"errors":` + errs + `}`, calls: 1},
		{name: "allow still fails without data", answers: []gqlAnswer{{200, `{"errors":` + errs + `}`}},
			mutate: func(in *model.Integration) { in.GraphQL.PartialData = model.PartialDataAllow }, status: 502, typ: TypeGraphQLErrors, calls: 1},
		{name: "not a GraphQL answer", answers: []gqlAnswer{{200, `<html>hi</html>`}}, status: 502, typ: TypeGraphQLInvalid, calls: 1},
		{name: "query retried on 503", answers: []gqlAnswer{{503, `busy`}, {200, `{"data":{"order":{"id":"1"}}}`}}, status: 200,
			wantBody: `{"data":{"order":{"id":"1"}}}`, calls: 2},
		{name: "query gives up after max attempts", answers: []gqlAnswer{{503, `busy`}}, status: 502, typ: TypeGraphQLInvalid, calls: 3},
		{name: "mutation not retried", answers: []gqlAnswer{{503, `busy`}, {200, `{"data":{"place":{"id":"1"}}}`}},
			method: "POST", target: "/t/acme/v1/orders", body: `{"sku":"A"}`, status: 502, typ: TypeGraphQLInvalid, calls: 1},
		{name: "mutation with Idempotency-Key retried", answers: []gqlAnswer{{503, `busy`}, {200, `{"data":{"place":{"id":"1"}}}`}},
			method: "POST", target: "/t/acme/v1/orders", body: `{"sku":"A"}`, header: []string{"Idempotency-Key", "abc"}, status: 200,
			wantBody: `{"data":{"place":{"id":"1"}}}`, calls: 2},
		{name: "response too large", answers: []gqlAnswer{{200, `{"data":{"blob":"` + strings.Repeat("x", 2000) + `"}}`}},
			mutate: func(in *model.Integration) { in.Limits = &model.IntegrationLimits{MaxResponseBytes: 1000} }, status: 502, typ: proxy.TypeUpstreamTooLarge, calls: 1},
		{name: "variable of the wrong type", target: "/t/acme/v1/orders/1?first=many", status: 400, typ: "bad-request", calls: 0},
		{name: "body not JSON", method: "POST", target: "/t/acme/v1/orders", body: `{"sku":`, status: 400, typ: "bad-request", calls: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.answers == nil {
				tt.answers = []gqlAnswer{{200, `{"data":{}}`}}
			}
			up := newGQLUpstream(t, tt.answers...)
			h := gqlHarness(t, up, tt.mutate)
			method, target := tt.method, tt.target
			if method == "" {
				method = "GET"
			}
			if target == "" {
				target = "/t/acme/v1/orders/1"
			}
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			w := h.do(t, method, target, body, tt.header...)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if n := len(up.calls()); n != tt.calls {
				t.Errorf("upstream calls = %d, want %d", n, tt.calls)
			}
			if tt.typ == "" {
				if w.Body.String() != tt.wantBody {
					t.Errorf("body = %s\nwant   %s", w.Body, tt.wantBody)
				}
				return
			}
			p := problemBody(t, w)
			if p["type"] != "https://portico.dev/problems/"+tt.typ {
				t.Errorf("type = %v, want %s", p["type"], tt.typ)
			}
			if tt.typ == TypeGraphQLErrors {
				if !strings.Contains(w.Body.String(), `"upstreamErrors":`+errs) {
					t.Errorf("body %s does not keep the upstream errors %s", w.Body, errs)
				}
			}
		})
	}
}

// TestAccessLogIntegrationFields: the access line of an integration call
// says how many retries it took and the breaker's state.
func TestAccessLogIntegrationFields(t *testing.T) {
	up := newGQLUpstream(t, gqlAnswer{503, `busy`}, gqlAnswer{200, `{"data":{}}`})
	h := gqlHarness(t, up, func(in *model.Integration) {
		in.CircuitBreaker = &model.BreakerPolicy{FailureRatio: 0.9, MinRequests: 10, OpenSeconds: 30}
	})
	if w := h.do(t, "GET", "/t/acme/v1/orders/1", nil); w.Code != 200 {
		t.Fatalf("status %d %s", w.Code, w.Body)
	}
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(h.logs.String()), "\n") {
		if strings.Contains(l, `"msg":"access"`) {
			_ = json.Unmarshal([]byte(l), &line)
		}
	}
	if line["retries"] != 1.0 || line["breaker"] != "closed" {
		t.Fatalf("access line %v, want retries 1 and breaker closed", line)
	}
	// A route without an integration call logs neither.
	h.logs = &syncBuffer{}
	_ = h.do(t, "GET", "/t/acme/v1/nothing-here", nil)
	if strings.Contains(h.logs.String(), `"retries"`) {
		t.Errorf("retries logged for a request without a call: %s", h.logs)
	}
}
