package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/proxy"
)

func TestNewValidates(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("New(Config{}) succeeded; want an error for missing Source and Forwarder")
	}
}

func TestRouting(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Domain = "API.Example.com" })
	tests := []struct {
		name     string
		method   string
		target   string
		hdr      []string
		upstream string // which upstream answered
		path     string // upstream request path
	}{
		{"path tenant", "GET", "/t/acme/v1/items/1", nil, "main", "/things/1/detail"},
		{"host tenant", "GET", "/v1/items/1", []string{"Host", "acme.api.example.com"}, "main", "/things/1/detail"},
		{"host tenant with port", "GET", "/v1/items/1", []string{"Host", "acme.api.example.com:8443"}, "main", "/things/1/detail"},
		{"host tenant upper case", "GET", "/v1/items/1", []string{"Host", "ACME.Api.Example.COM"}, "main", "/things/1/detail"},
		{"path tenant under another host", "GET", "/t/acme/v1/items/1", []string{"Host", "gateway.internal"}, "main", "/things/1/detail"},
		{"repeated slashes", "GET", "/t/acme//v1//items/1", nil, "main", "/things/1/detail"},
		{"dot-dot", "GET", "/t/acme/v1/x/../items/1", nil, "main", "/things/1/detail"},
		{"dot", "GET", "/t/acme/v1/./items/1", nil, "main", "/things/1/detail"},
		{"escaped dot-dot", "GET", "/t/acme/v1/x/%2e%2e/items/1", nil, "main", "/things/1/detail"},
		{"escaped unreserved", "GET", "/t/acme/v1/%69tems/1", nil, "main", "/things/1/detail"},
		{"trailing slash", "GET", "/t/acme/v1/items/1/", nil, "main", "/things/1/detail"},
		{"literal case-insensitive", "GET", "/t/acme/v1/ITEMS/1", nil, "main", "/things/1/detail"},
		{"api-version header", "GET", "/t/acme/items/1", []string{"Api-Version", "v1"}, "main", "/things/1/detail"},
		{"path version beats header", "GET", "/t/acme/v1/items/1", []string{"Api-Version", "v4"}, "main", "/things/1/detail"},
		{"api-version header at root", "GET", "/t/acme", []string{"Api-Version", "v1"}, "main", "/root"},
		{"version root", "GET", "/t/acme/v1", nil, "main", "/root"},
		{"no target path forwards matched path", "GET", "/t/acme/v1/items", nil, "main", "/items"},
		{"escaped param stays escaped", "GET", "/t/acme/v1/items/a%2Fb", nil, "main", "/things/a%2Fb/detail"},
		{"greedy param", "GET", "/t/acme/v1/files/a/b/c.txt", nil, "other", "/base/blobs/a/b/c.txt"},
		{"base path and two params", "GET", "/t/acme/v1/orders/o-7/lines/3", nil, "other", "/base/o/o-7/l/3"},
		{"auth none is public", "GET", "/t/acme/v1/public", nil, "main", "/public"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := h.do(t, tt.method, tt.target, nil, tt.hdr...)
			e := decodeEcho(t, w)
			if e.Upstream != tt.upstream || e.Path != tt.path {
				t.Errorf("reached %s %s, want %s %s", e.Upstream, e.Path, tt.upstream, tt.path)
			}
			if e.Method != tt.method {
				t.Errorf("upstream method = %s, want %s", e.Method, tt.method)
			}
		})
	}
}

func TestForwardsQueryBodyAndHeaders(t *testing.T) {
	h := newHarness(t, nil)
	w := h.do(t, "POST", "/t/acme/v1/items?color=red&size=2", strings.NewReader(`{"name":"x"}`),
		"Content-Type", "application/json", "X-Request-Id", "rid-1", "Authorization", "Bearer client")
	e := decodeEcho(t, w)
	if e.Method != "POST" || e.Path != "/items" || e.Query != "color=red&size=2" || e.Body != `{"name":"x"}` {
		t.Errorf("upstream got %s %s?%s body %q", e.Method, e.Path, e.Query, e.Body)
	}
	if got := e.Header["Content-Type"]; len(got) != 1 || got[0] != "application/json" {
		t.Errorf("upstream Content-Type = %q", got)
	}
	if got := e.Header["X-Api-Key"]; len(got) != 1 || got[0] != "upstream-secret" {
		t.Errorf("integration header X-Api-Key = %q", got)
	}
	if _, ok := e.Header["Authorization"]; ok {
		t.Error("client Authorization header was forwarded")
	}
	if e.RequestID != "rid-1" || w.Header().Get("X-Request-Id") != "rid-1" {
		t.Errorf("request id upstream %q, response %q; want rid-1", e.RequestID, w.Header().Get("X-Request-Id"))
	}
	if got := w.Header().Get("X-Upstream"); got != "main" {
		t.Errorf("response header X-Upstream = %q", got)
	}
}

func TestRequestIDGenerated(t *testing.T) {
	h := newHarness(t, nil)
	for _, sent := range []string{"", strings.Repeat("x", 129)} {
		w := h.do(t, "GET", "/t/acme/v1/items", nil, "X-Request-Id", sent)
		e := decodeEcho(t, w)
		rid := w.Header().Get("X-Request-Id")
		if rid == "" || rid == sent || e.RequestID != rid {
			t.Errorf("sent %q: response id %q, upstream id %q; want a fresh id on both", sent, rid, e.RequestID)
		}
	}
}

func TestHeadFallsBackToGet(t *testing.T) {
	h := newHarness(t, nil)
	w := h.do(t, "HEAD", "/t/acme/v1/items/1", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("HEAD status = %d, body %s", w.Code, w.Body)
	}
	if got := w.Header().Get("X-Upstream"); got != "main" {
		t.Errorf("HEAD did not reach the GET route's upstream (X-Upstream %q)", got)
	}
}

func TestProblems(t *testing.T) {
	h := newHarness(t, nil)
	tests := []struct {
		name   string
		method string
		target string
		hdr    []string
		status int
		typ    string
		check  func(t *testing.T, hdr http.Header)
	}{
		{name: "unknown tenant", target: "/t/nobody/v1/items/1", status: 404, typ: "not-found"},
		{name: "invalid tenant slug", target: "/t/Not_A_Slug/v1/items/1", status: 404, typ: "not-found"},
		{name: "no tenant", target: "/v1/items/1", status: 404, typ: "not-found"},
		{name: "unknown version", target: "/t/acme/v9/items/1", status: 404, typ: "not-found"},
		{name: "unknown route", target: "/t/acme/v1/nothing", status: 404, typ: "not-found"},
		{name: "no version", target: "/t/acme/items/1", status: 404, typ: "not-found"},
		{name: "invalid api-version header", target: "/t/acme/items/1", hdr: []string{"Api-Version", "1"}, status: 404, typ: "not-found"},
		{name: "draft version", target: "/t/acme/v4/items/1", status: 404, typ: "not-found"},
		{name: "retired version", target: "/t/acme/v3/items/1", status: 410, typ: "version-retired"},
		{name: "retired version by header", target: "/t/acme/items/1", hdr: []string{"Api-Version", "v3"}, status: 410, typ: "version-retired"},
		{name: "method not allowed", method: "PATCH", target: "/t/acme/v1/items/1", status: 405, typ: "method-not-allowed",
			check: func(t *testing.T, hdr http.Header) {
				if got := hdr.Get("Allow"); got != "DELETE, GET, HEAD" {
					t.Errorf("Allow = %q, want %q", got, "DELETE, GET, HEAD")
				}
			}},
		{name: "auth policy fails closed", target: "/t/acme/v1/secure", status: 503, typ: "policy-unavailable"},
		{name: "graphql integration without a document fails closed", target: "/t/acme/v1/graph", status: 503, typ: "policy-unavailable"},
		{name: "workflow target without a published workflow", target: "/t/acme/v1/flow", status: 503, typ: "workflow-unavailable"},
		{name: "NUL in path", target: "/t/acme/v1/items/%00", status: 400, typ: "bad-request"},
		{name: "path too long", target: "/t/acme/v1/" + strings.Repeat("a", 9000), status: 400, typ: "bad-request"},
		{name: "refused upstream", target: "/t/acme/v1/down", status: 502, typ: "upstream-unavailable"},
		{name: "slow upstream", target: "/t/acme/v1/slow", status: 504, typ: "upstream-timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = "GET"
			}
			w := h.do(t, method, tt.target, nil, tt.hdr...)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			p := problemBody(t, w)
			if got := p["type"]; got != "https://portico.dev/problems/"+tt.typ {
				t.Errorf("type = %v, want %s", got, tt.typ)
			}
			if got := p["status"]; got != float64(tt.status) {
				t.Errorf("body status = %v", got)
			}
			if w.Header().Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id on a problem response")
			}
			if tt.check != nil {
				tt.check(t, w.Header())
			}
		})
	}
}

// TestNotFoundIndistinguishable: whatever part of the request is wrong, a
// 404 reads the same apart from errorId and instance.
func TestNotFoundIndistinguishable(t *testing.T) {
	h := newHarness(t, nil)
	var want string
	for _, target := range []string{
		"/t/nobody/v1/items/1", "/t/acme/v9/items/1", "/t/acme/v1/nothing", "/t/acme/v4/items/1", "/nowhere",
	} {
		w := h.do(t, "GET", target, nil)
		if w.Code != http.StatusNotFound {
			t.Fatalf("%s: status %d", target, w.Code)
		}
		p := problemBody(t, w)
		delete(p, "errorId")
		delete(p, "instance")
		b, _ := json.Marshal(p)
		switch {
		case want == "":
			want = string(b)
		case string(b) != want:
			t.Errorf("%s: body %s differs from %s", target, b, want)
		}
		for _, k := range []string{"Allow", "Deprecation", "Sunset", "Retry-After"} {
			if v := w.Header().Get(k); v != "" {
				t.Errorf("%s: 404 carries %s: %s", target, k, v)
			}
		}
	}
}

func TestDeprecatedVersionHeaders(t *testing.T) {
	h := newHarness(t, nil)
	w := h.do(t, "GET", "/t/acme/v2/items/9", nil)
	e := decodeEcho(t, w)
	if e.Path != "/items/9" {
		t.Errorf("upstream path = %q", e.Path)
	}
	if got, want := w.Header().Get("Deprecation"), fmt.Sprintf("@%d", t0.Unix()); got != want {
		t.Errorf("Deprecation = %q, want %q", got, want)
	}
	if got, want := w.Header().Get("Sunset"), "Thu, 01 Jan 2026 00:00:00 GMT"; got != want {
		t.Errorf("Sunset = %q, want %q", got, want)
	}
	w = h.do(t, "GET", "/t/acme/v1/items/9", nil)
	if w.Header().Get("Deprecation") != "" || w.Header().Get("Sunset") != "" {
		t.Errorf("published version carries Deprecation %q Sunset %q", w.Header().Get("Deprecation"), w.Header().Get("Sunset"))
	}
}

// TestInvalidPercentEscape: net/http itself answers 400 for a request line
// with an invalid escape, before any handler runs; the gateway's own check
// (route.Canonical) covers adapters that build requests directly.
func TestInvalidPercentEscape(t *testing.T) {
	h := newHarness(t, nil)
	srv := startServer(t, h.gw)
	conn, err := net.Dial("tcp", srv)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /t/acme/v1/items/%%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", resp.StatusCode)
	}
}

func startServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

func TestAccessLog(t *testing.T) {
	h := newHarness(t, nil)
	reqs := []struct {
		target, tenant, route string
		status                int
	}{
		{"/t/acme/v1/items/1", "acme", "GET /v1/items/{id}", 200},
		{"/t/acme/v1/nothing", "acme", "", 404},
		{"/t/acme/v1/secure", "acme", "GET /v1/secure", 503},
		{"/t/acme/v1/down", "acme", "GET /v1/down", 502},
	}
	for _, r := range reqs {
		h.do(t, "GET", r.target, nil, "X-Request-Id", "rid-"+r.target)
	}
	lines := strings.Split(strings.TrimSpace(h.logs.String()), "\n")
	if len(lines) != len(reqs) {
		t.Fatalf("%d log lines for %d requests:\n%s", len(lines), len(reqs), h.logs)
	}
	for i, r := range reqs {
		var rec map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, lines[i])
		}
		if rec["msg"] != "access" || rec["tenant"] != r.tenant || rec["route"] != r.route ||
			rec["status"] != float64(r.status) || rec["requestId"] != "rid-"+r.target || rec["method"] != "GET" {
			t.Errorf("line %d = %s; want tenant %s route %q status %d", i, lines[i], r.tenant, r.route, r.status)
		}
		if r.status == 502 && (rec["error"] == nil || rec["errorId"] == nil) {
			t.Errorf("502 line has no error/errorId: %s", lines[i])
		}
	}
}

// TestClientGoneBeforeResponse: a canceled client gets nothing written and
// is logged as 499.
func TestClientGoneBeforeResponse(t *testing.T) {
	h := newHarness(t, nil)
	r := httptest.NewRequest("GET", "/t/acme/v1/slow", nil)
	ctx, cancel := context.WithCancel(r.Context())
	cancel()
	w := httptest.NewRecorder()
	h.gw.ServeHTTP(w, r.WithContext(ctx))
	if w.Body.Len() != 0 {
		t.Errorf("wrote %q to a client that went away", w.Body)
	}
	if !strings.Contains(h.logs.String(), `"status":499`) {
		t.Errorf("access log = %s; want status 499", h.logs)
	}
}

// partialForwarder writes the start of a response, then fails with err.
type partialForwarder struct{ err error }

func (f partialForwarder) Forward(w http.ResponseWriter, r *http.Request, t proxy.Target) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`{"partial":`))
	return f.err
}

func TestFailureAfterResponseStarted(t *testing.T) {
	t.Run("no problem appended", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Forwarder = partialForwarder{errors.New("read from upstream: unexpected EOF")} })
		w := h.do(t, "GET", "/t/acme/v1/items", nil)
		if w.Code != http.StatusOK || w.Body.String() != `{"partial":` {
			t.Errorf("got %d %q; want the partial upstream response untouched", w.Code, w.Body)
		}
		if log := h.logs.String(); !strings.Contains(log, `"status":200`) || !strings.Contains(log, "unexpected EOF") {
			t.Errorf("access log = %s; want status 200 and the error", log)
		}
	})
	t.Run("too large aborts the connection", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Forwarder = partialForwarder{fmt.Errorf("copy: %w", proxy.ErrResponseTooLarge)} })
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("recovered %v; want http.ErrAbortHandler", v)
			}
			if !strings.Contains(h.logs.String(), "exceeds size limit") {
				t.Errorf("access log = %s", h.logs)
			}
		}()
		h.do(t, "GET", "/t/acme/v1/items", nil)
	})
}
