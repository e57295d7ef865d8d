package management

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/integration"
	"github.com/portico/portico/internal/integration/retry"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/proxy"
)

// IntegrationCaller makes one call through the integration engine (SSRF
// guard, breaker, limits); *integration.Engine implements it. When
// Config.Integrations also implements it, POST
// /integrations/{integration}/test probes the upstream.
type IntegrationCaller interface {
	Call(r *http.Request, p *integration.Plan, t proxy.Target, use func(x *proxy.Exchange, r *http.Request) error) (integration.Stats, error)
}

var _ IntegrationCaller = (*integration.Engine)(nil)

const (
	// probeTimeout caps a test call, whatever the integration allows.
	probeTimeout = 5 * time.Second
	// probePreviewBytes caps the response body returned to the console.
	probePreviewBytes = 4 << 10
)

// integrationProbeRoutes is the "test connection" action.
func (h *Handler) integrationProbeRoutes() []apiRoute {
	return []apiRoute{
		{"POST " + prefix + "/integrations/{integration}/test", member, identity.RoleDeveloper, h.probeIntegration},
	}
}

// probeRequest is the optional body of POST /integrations/{integration}/test.
type probeRequest struct {
	// Method defaults to the integration's method, else GET.
	Method string `json:"method,omitempty"`
	// Path is appended to the integration's URL ("/health?x=1").
	Path string `json:"path,omitempty"`
	// Body is a sample JSON body sent with the call.
	Body json.RawMessage `json:"body,omitempty"`
}

// probeResult is the answer: what the upstream said, or why it could not be
// reached (Error), and the breaker state after the call.
type probeResult struct {
	Integration string            `json:"integration"`
	Method      string            `json:"method"`
	OK          bool              `json:"ok"`
	Status      int               `json:"status,omitempty"`
	LatencyMs   int64             `json:"latencyMs"`
	Headers     map[string]string `json:"headers,omitempty"`
	Preview     string            `json:"preview,omitempty"`
	Truncated   bool              `json:"truncated,omitempty"`
	Breaker     string            `json:"breaker"`
	Error       *probeError       `json:"error,omitempty"`
}

// probeError is the engine's problem for a call that got no answer.
type probeError struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Detail string `json:"detail,omitempty"`
}

// probeHeaders are the response headers worth showing.
var probeHeaders = []string{"Content-Type", "Content-Length", "Server", "Date", "Retry-After"}

// probeIntegration is POST /integrations/{integration}/test: one call, no
// retries, at most probeTimeout, through the same engine the gateway uses.
func (h *Handler) probeIntegration(w http.ResponseWriter, r *http.Request, p identity.Principal) error {
	var in probeRequest
	if err := h.decodeOptional(w, r, &in); err != nil {
		return err
	}
	it, err := h.cat.GetIntegration(r.Context(), p.Tenant, r.PathValue("integration"))
	if err != nil {
		return err
	}
	caller, ok := h.cfg.Integrations.(IntegrationCaller)
	if !ok {
		return problem.New(http.StatusServiceUnavailable, "unavailable", "Service Unavailable",
			"this server has no integration engine to test with")
	}
	method := strings.ToUpper(in.Method)
	if method == "" {
		method = strings.ToUpper(it.Method)
	}
	if method == "" {
		method = http.MethodGet
	}
	base, err := url.Parse(it.URL)
	if err != nil {
		return problem.BadRequest("", "the integration's URL is invalid").WithCause(err)
	}
	path, query, _ := strings.Cut(in.Path, "?")
	if path != "" && !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	out, err := http.NewRequestWithContext(r.Context(), method, "/", nil)
	if err != nil {
		return problem.BadRequest("", "invalid method "+in.Method).WithCause(err)
	}
	out.URL.RawQuery = query
	out.Header.Set("Accept", "application/json, */*;q=0.5")
	if len(in.Body) > 0 && string(in.Body) != "null" {
		out.Body = io.NopCloser(bytes.NewReader(in.Body))
		out.ContentLength = int64(len(in.Body))
		out.Header.Set("Content-Type", "application/json")
	}

	plan := integration.Compile(p.Tenant, it)
	plan.Retry = retry.Policy{MaxAttempts: 1}
	if plan.Timeout <= 0 || plan.Timeout > probeTimeout {
		plan.Timeout = probeTimeout
	}
	t := proxy.Target{BaseURL: base, Path: path, Method: method, SetHeaders: it.Headers, ForwardHeaders: []string{"Accept", "Content-Type"}}

	res := probeResult{Integration: it.Slug, Method: method}
	start := time.Now()
	_, err = caller.Call(out, plan, t, func(x *proxy.Exchange, cr *http.Request) error {
		defer x.Discard()
		res.Status = x.Resp.StatusCode
		res.Headers = map[string]string{}
		for _, k := range probeHeaders {
			if v := x.Resp.Header.Get(k); v != "" {
				res.Headers[k] = integration.Redact(cr, v)
			}
		}
		b, rerr := io.ReadAll(io.LimitReader(x.Resp.Body, probePreviewBytes+1))
		if len(b) > probePreviewBytes {
			b, res.Truncated = b[:probePreviewBytes], true
		}
		// An upstream that echoes request headers must not show the
		// integration's credential to the console.
		res.Preview = integration.Redact(cr, previewText(b))
		return rerr
	})
	res.LatencyMs = time.Since(start).Milliseconds()
	var pr *problem.Problem
	switch {
	case err == nil:
		res.OK = res.Status < 400
	case errors.As(err, &pr):
		res.Error = &probeError{Type: pr.Type, Title: pr.Title, Detail: pr.Detail}
	default:
		if r.Context().Err() != nil {
			return err
		}
		res.Error = &probeError{Type: "upstream-error", Title: "Bad Gateway", Detail: "the response could not be read"}
	}
	res.Breaker = "none"
	if hl, ok := h.cfg.Integrations.Health(p.Tenant, it.Slug); ok {
		res.Breaker = hl.Breaker
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, res)
}

// previewText is b as text, invalid UTF-8 (binary, or a rune cut by the
// cap) replaced.
func previewText(b []byte) string { return strings.ToValidUTF8(string(b), "\uFFFD") }
