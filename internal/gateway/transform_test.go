package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/wasmhost"
	"github.com/portico/portico/internal/wasmhost/wasmhosttest"
)

// Hand-built modules meeting the transform ABI: fast to load, exact about
// what they do.
var (
	wasmEcho     = wasmhosttest.Echo()
	wasmGuestErr = wasmhosttest.GuestError()
)

func passing(t testing.TB, slug, doc string) model.Transform {
	t.Helper()
	if _, err := catalog.CompileTransformDocument([]byte(doc), "/document"); err != nil {
		t.Fatalf("transform %s: %v", slug, err)
	}
	return model.Transform{Slug: slug, Type: model.TransformDeclarative, Document: json.RawMessage(doc), Tests: &model.TransformTests{Passed: true}}
}

func wasmTransform(slug string, code []byte) model.Transform {
	return model.Transform{Slug: slug, Type: model.TransformWasm, Module: &model.TransformModule{Hash: wasmhost.Hash(code), Size: int64(len(code))}}
}

// wasmHarness is a harness whose gateway has a WebAssembly host, and the
// test config to extend with transforms.
func wasmHarness(t *testing.T) (*harness, *catalog.TenantConfig) {
	t.Helper()
	host, err := wasmhost.New(context.Background(), wasmhost.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Close(context.Background()) })
	h := newHarness(t, func(c *Config) { c.Wasm = host })
	return h, testConfig("acme", 2, h.up)
}

// transformHarness is the test config plus endpoints using transforms.
func transformHarness(t *testing.T) *harness {
	t.Helper()
	h, cfg := wasmHarness(t)
	cfg.Transforms = []model.Transform{
		passing(t, "to-upstream", `{"steps": [
			{"validate": {"schema": {"type": "object", "required": ["orderId"], "properties": {"qty": {"type": "integer"}}}}},
			{"map": {"fields": [{"to": "/id", "from": "body.orderId", "type": "string"}, {"to": "/item", "from": "params.id"}, {"to": "/q", "from": "query.q"}]}},
			{"headers": {"set": {"X-Shape": "v2-{{ body.id }}"}}}]}`),
		passing(t, "from-upstream", `{"steps": [
			{"map": {"fields": [{"to": "/method", "from": "body.method"}, {"to": "/sent", "from": "body.body"}]}},
			{"headers": {"remove": ["X-Upstream"], "set": {"X-Shaped": "yes"}}},
			{"status": {"map": {"200": 203}}}]}`),
		passing(t, "needs-missing", `{"steps": [{"map": {"fields": [{"to": "/x", "from": "body.missing", "required": true}]}}]}`),
		{Slug: "flagged", Type: model.TransformDeclarative, Document: json.RawMessage(`{"steps": [{"status": {"set": 201}}]}`), Tests: &model.TransformTests{Passed: false}},
		wasmTransform("echo", wasmEcho),
		wasmTransform("guest-err", wasmGuestErr),
	}
	cfg.Modules = map[string][]byte{wasmhost.Hash(wasmEcho): wasmEcho, wasmhost.Hash(wasmGuestErr): wasmGuestErr}
	add := func(method, path string, req, resp []string) {
		ep := model.Endpoint{ID: "t" + method + path, API: "shop", Version: "v1", Method: method, Path: path,
			Target: model.Target{Type: model.TargetIntegration, Integration: "main"}}
		for _, s := range req {
			ep.Policies.RequestTransforms = append(ep.Policies.RequestTransforms, model.TransformRef{Transform: s})
		}
		for _, s := range resp {
			ep.Policies.ResponseTransforms = append(ep.Policies.ResponseTransforms, model.TransformRef{Transform: s})
		}
		cfg.Endpoints = append(cfg.Endpoints, ep)
	}
	add("POST", "/tx/req/{id}", []string{"to-upstream"}, nil)
	add("POST", "/tx/both/{id}", []string{"to-upstream"}, []string{"from-upstream"})
	add("GET", "/tx/resp-fails", nil, []string{"needs-missing"})
	add("GET", "/tx/missing", []string{"nope"}, nil)
	add("GET", "/tx/flagged", nil, []string{"flagged"})
	add("POST", "/tx/wasm", []string{"echo"}, []string{"echo", "from-upstream"})
	add("POST", "/tx/wasm-err", nil, []string{"guest-err"})
	add("POST", "/tx/wasm-req-err", []string{"guest-err"}, nil)
	h.src.set(cfg)
	return h
}

func TestRequestTransform(t *testing.T) {
	h := transformHarness(t)
	w := h.do(t, "POST", "/t/acme/v1/tx/req/42?q=blue", strings.NewReader(`{"orderId": 7, "secret": "x"}`), "Content-Type", "application/json")
	e := decodeEcho(t, w)
	if e.Body != `{"id":"7","item":"42","q":"blue"}` {
		t.Errorf("upstream got body %s", e.Body)
	}
	if got := e.Header["X-Shape"]; len(got) != 1 || got[0] != "v2-7" {
		t.Errorf("upstream got X-Shape %v, want v2-7 (set by the transform)", got)
	}
	if got := e.Header["X-Api-Key"]; len(got) != 1 || got[0] != "upstream-secret" {
		t.Errorf("integration header lost: %v", got)
	}
}

func TestRequestTransformValidation(t *testing.T) {
	h := transformHarness(t)
	w := h.do(t, "POST", "/t/acme/v1/tx/req/42", strings.NewReader(`{"qty": 1.5}`), "Content-Type", "application/json")
	if w.Code != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400; body %s", w.Code, w.Body)
	}
	p := problemBody(t, w)
	var ptrs []string
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		ptrs = append(ptrs, e.(map[string]any)["pointer"].(string))
	}
	if len(ptrs) < 2 || !strings.Contains(strings.Join(ptrs, " "), "/body/qty") {
		t.Errorf("pointers = %v, want every failing location (/body, /body/qty)", ptrs)
	}
	if d, _ := p["detail"].(string); !strings.Contains(d, `"to-upstream"`) {
		t.Errorf("detail %q does not name the transform", d)
	}
	// Not JSON at all.
	w = h.do(t, "POST", "/t/acme/v1/tx/req/42", strings.NewReader(`nope`))
	if w.Code != http.StatusBadRequest {
		t.Fatalf("non-JSON body: status = %d, want 400", w.Code)
	}
}

func TestResponseTransform(t *testing.T) {
	h := transformHarness(t)
	w := h.do(t, "POST", "/t/acme/v1/tx/both/1", strings.NewReader(`{"orderId": 9}`), "Accept-Encoding", "gzip")
	if w.Code != 203 {
		t.Fatalf("status = %d, want 203 (mapped by the transform); body %s", w.Code, w.Body)
	}
	if got := w.Body.String(); got != `{"method":"POST","sent":"{\"id\":\"9\",\"item\":\"1\",\"q\":null}"}` {
		t.Errorf("body = %s", got)
	}
	if w.Header().Get("X-Upstream") != "" || w.Header().Get("X-Shaped") != "yes" {
		t.Errorf("headers = %v, want X-Upstream removed and X-Shaped set", w.Header())
	}
	if w.Header().Get("Content-Length") != itoa(int64(w.Body.Len())) {
		t.Errorf("Content-Length = %q for %d bytes", w.Header().Get("Content-Length"), w.Body.Len())
	}
	if w.Header().Get("X-Request-Id") == "" {
		t.Error("the gateway's X-Request-Id is lost")
	}
}

func TestTransformFailures(t *testing.T) {
	h := transformHarness(t)
	tests := []struct {
		name, method, path string
		status             int
		detail             string
	}{
		{"response step fails: 502 naming the transform", "GET", "/tx/resp-fails", 502, `"needs-missing"`},
		{"missing transform fails closed", "GET", "/tx/missing", 503, `"nope"`},
		{"flagged transform fails closed", "GET", "/tx/flagged", 503, `"flagged"`},
		{"wasm guest error on a response: 502", "POST", "/tx/wasm-err", 502, `"guest-err"`},
		{"wasm guest error on a request: 400", "POST", "/tx/wasm-req-err", 400, `"guest-err"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := h.do(t, tt.method, "/t/acme/v1"+tt.path, strings.NewReader(`{"a": 1}`))
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			p := problemBody(t, w)
			if d, _ := p["detail"].(string); !strings.Contains(d, tt.detail) {
				t.Errorf("detail %q does not name %s", d, tt.detail)
			}
			if strings.Contains(w.Body.String(), "upstream-secret") {
				t.Error("problem leaks upstream data")
			}
		})
	}
}

func TestWasmTransform(t *testing.T) {
	h := transformHarness(t)
	for range 3 { // pooled instances serve later calls
		w := h.do(t, "POST", "/t/acme/v1/tx/wasm", strings.NewReader(`{"orderId": 1}`))
		if w.Code != 203 {
			t.Fatalf("status = %d, want 203; body %s", w.Code, w.Body)
		}
		if got := w.Body.String(); got != `{"method":"POST","sent":"{\"orderId\": 1}"}` {
			t.Fatalf("body = %s", got)
		}
	}
}

func TestTransformWithoutWasmHost(t *testing.T) {
	h := transformHarness(t)
	h.gw.cfg.Wasm = nil
	w := h.do(t, "POST", "/t/acme/v1/tx/wasm-err", strings.NewReader(`{}`))
	if w.Code != http.StatusBadGateway {
		t.Fatalf("status = %d, want 502; body %s", w.Code, w.Body)
	}
}
