// Package steps is the adapter of the workflow.Steps port: a call step is
// an HTTP call to one of the tenant's integrations through the integration
// engine (the same timeouts, retries, circuit breaker, SSRF guard and
// limits as the gateway's calls). The same code runs behind the embedded
// engine locally and in functions/workflow-task on AWS.
package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/integration"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/proxy"
	"github.com/portico/portico/internal/wasmhost"
	"github.com/portico/portico/internal/workflow"
)

// IntegrationSource reads a tenant's integration; *catalog.Catalog
// implements it (one GetItem of TENANT#<tenant> / INT#<slug>).
type IntegrationSource interface {
	GetIntegration(ctx context.Context, tenant, slug string) (*model.Integration, error)
}

// Config configures Steps.
type Config struct {
	Integrations IntegrationSource   // required
	Engine       *integration.Engine // required
	// Transforms reads the tenant transforms transform steps run
	// (transform.go); without it they fail with Portico.TransformFailed.
	Transforms TransformSource
	// Wasm runs wasm transforms; without it they fail the same way.
	Wasm *wasmhost.Host
}

// Steps performs workflow steps.
type Steps struct {
	cfg Config
	tr  transforms
}

// New returns Steps; both dependencies are required.
func New(cfg Config) (*Steps, error) {
	if cfg.Integrations == nil || cfg.Engine == nil {
		return nil, errors.New("steps: Integrations and Engine are required")
	}
	return &Steps{cfg: cfg}, nil
}

// Call implements workflow.Steps: c.Method (default POST) to the
// integration's URL + c.Path (which may carry a query), with input as the
// JSON body (none when input is null), the integration's headers then the
// step's. A 2xx answer's JSON body is the result (an empty body is null,
// a non-JSON body a JSON string); other answers fail with named errors:
// Portico.UpstreamClientError (4xx and unfollowed 3xx),
// Portico.UpstreamServerError (5xx), Portico.UpstreamUnavailable (cannot
// connect, timeout, open circuit). Causes name the status, never upstream
// bodies or addresses.
func (s *Steps) Call(ctx context.Context, tenant string, c workflow.CallConfig, input json.RawMessage) (json.RawMessage, error) {
	in, err := s.cfg.Integrations.GetIntegration(ctx, tenant, c.Integration)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, &workflow.Error{Name: workflow.ErrorIntegrationNotFound, Cause: "integration " + c.Integration + " does not exist"}
	}
	if err != nil {
		return nil, fmt.Errorf("read integration %s/%s: %w", tenant, c.Integration, err)
	}
	if in.Type != model.IntegrationHTTP {
		return nil, &workflow.Error{Name: workflow.ErrorInvalidTask, Cause: "integration " + c.Integration + " is of type " + string(in.Type) + ", which workflows cannot call yet"}
	}
	base, err := url.Parse(in.URL)
	if err != nil {
		return nil, &workflow.Error{Name: workflow.ErrorInvalidTask, Cause: "integration " + c.Integration + " has an invalid URL"}
	}
	method := c.Method
	if method == "" {
		method = http.MethodPost
	}
	path, query, _ := strings.Cut(c.Path, "?")
	if path != "" && !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	var body []byte
	if len(input) > 0 && string(input) != "null" {
		body = input
	}
	r, err := http.NewRequestWithContext(ctx, method, "/", nil)
	if err != nil {
		return nil, &workflow.Error{Name: workflow.ErrorInvalidTask, Cause: "invalid method " + method}
	}
	r.URL.RawQuery = query
	r.Header.Set("Accept", "application/json")
	if body != nil {
		r.Body, r.GetBody = requestBody(body)
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Type", "application/json")
	}
	set := make(map[string]string, len(in.Headers)+len(c.Headers))
	for k, v := range in.Headers {
		set[k] = v
	}
	for k, v := range c.Headers {
		set[k] = v
	}
	t := proxy.Target{
		BaseURL:        base,
		Path:           path,
		Method:         method,
		SetHeaders:     set,
		ForwardHeaders: []string{"Accept", "Content-Type"},
	}
	rec := newRecorder()
	_, err = s.cfg.Engine.Do(rec, r, integration.Compile(tenant, in), t)
	if err != nil {
		return nil, callError(c.Integration, err)
	}
	switch st := rec.status; {
	case st >= 500:
		return nil, &workflow.Error{Name: workflow.ErrorUpstreamServerError, Cause: c.Integration + " answered " + strconv.Itoa(st)}
	case st >= 300:
		return nil, &workflow.Error{Name: workflow.ErrorUpstreamClientError, Cause: c.Integration + " answered " + strconv.Itoa(st)}
	}
	out := rec.body.Bytes()
	switch {
	case len(out) == 0:
		return json.RawMessage("null"), nil
	case json.Valid(out):
		return out, nil
	}
	s2, _ := json.Marshal(string(out))
	return s2, nil
}

// callError names an engine error: the problems it returns before any
// answer (cannot connect, timeout, open circuit, response too large).
func callError(slug string, err error) error {
	var p *problem.Problem
	if !errors.As(err, &p) {
		return fmt.Errorf("call %s: %w", slug, err)
	}
	switch {
	case p.Status == http.StatusBadRequest:
		return &workflow.Error{Name: workflow.ErrorInvalidTask, Cause: "the call to " + slug + " has an invalid path"}
	case errors.Is(err, proxy.ErrResponseTooLarge):
		return &workflow.Error{Name: workflow.ErrorUpstreamServerError, Cause: slug + " answered more than the size limit"}
	case p.Status >= 500:
		return &workflow.Error{Name: workflow.ErrorUpstreamUnavailable, Cause: slug + " is unavailable (" + p.Title + ")"}
	}
	return fmt.Errorf("call %s: %w", slug, err)
}

var _ workflow.Steps = (*Steps)(nil)
