package gateway

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/wasmhost"
)

// batchHarness is the transform test config plus bulk endpoints: the same
// transforms applied to each record of an array body.
func batchHarness(t *testing.T) *harness {
	t.Helper()
	h, cfg := wasmHarness(t)
	cfg.Transforms = []model.Transform{
		passing(t, "to-upstream", `{"steps": [
			{"validate": {"schema": {"type": "object", "required": ["orderId"], "properties": {"qty": {"type": "integer"}}}}},
			{"map": {"fields": [{"to": "/id", "from": "body.orderId", "type": "string"}, {"to": "/item", "from": "params.id"}]}},
			{"headers": {"set": {"X-Shape": "per-record"}}}]}`),
		passing(t, "rename", `{"steps": [{"map": {"fields": [{"to": "/m", "from": "body.method"}]}}]}`),
		wasmTransform("echo", wasmEcho),
		wasmTransform("guest-err", wasmGuestErr),
	}
	cfg.Modules = map[string][]byte{wasmhost.Hash(wasmEcho): wasmEcho, wasmhost.Hash(wasmGuestErr): wasmGuestErr}
	add := func(path string, req, resp string) {
		ep := model.Endpoint{ID: "b" + path, API: "shop", Version: "v1", Method: "POST", Path: path,
			Target: model.Target{Type: model.TargetIntegration, Integration: "main"}}
		if req != "" {
			ep.Policies.RequestTransforms = []model.TransformRef{{Transform: req, Each: true}}
		}
		if resp != "" {
			ep.Policies.ResponseTransforms = []model.TransformRef{{Transform: resp, Each: true}}
		}
		cfg.Endpoints = append(cfg.Endpoints, ep)
	}
	add("/bulk/{id}", "to-upstream", "")
	add("/bulk-wasm", "echo", "")
	add("/bulk-wasm-err", "guest-err", "")
	add("/bulk-resp", "", "rename") // the echo upstream answers an object
	h.src.set(cfg)
	return h
}

func TestBulkTransforms(t *testing.T) {
	h := batchHarness(t)
	tests := []struct {
		name     string
		path     string
		body     string
		status   int
		upstream string   // body the upstream receives, when status is 200
		pointers []string // problem pointers otherwise
	}{
		{"declarative, each record mapped in order", "/t/acme/v1/bulk/42",
			`[{"orderId": 1, "qty": 2}, {"orderId": 2}, {"orderId": 3}]`, 200,
			`[{"id":"1","item":"42"},{"id":"2","item":"42"},{"id":"3","item":"42"}]`, nil},
		{"empty array", "/t/acme/v1/bulk/42", `[]`, 200, `[]`, nil},
		{"failing records listed by index", "/t/acme/v1/bulk/42",
			`[{"orderId": 1}, {"qty": 1}, {"orderId": 3, "qty": "x"}]`, 400, "",
			[]string{"/body/1", "/body/2/qty"}},
		{"not an array", "/t/acme/v1/bulk/42", `{"orderId": 1}`, 400, "", []string{"/body"}},
		{"wasm, each record", "/t/acme/v1/bulk-wasm", `[1, {"a": 2}, "three"]`, 200, `[1,{"a":2},"three"]`, nil},
		{"wasm guest error per record", "/t/acme/v1/bulk-wasm-err", `[1, 2]`, 400, "", []string{"/body/0", "/body/1"}},
		{"response not an array", "/t/acme/v1/bulk-resp", `[]`, 502, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := h.do(t, "POST", tt.path, strings.NewReader(tt.body), "Content-Type", "application/json")
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if tt.status == http.StatusOK {
				e := decodeEcho(t, w)
				if e.Body != tt.upstream {
					t.Errorf("upstream got %s, want %s", e.Body, tt.upstream)
				}
				if got := e.Header["X-Shape"]; len(got) != 0 {
					t.Errorf("a per-record header change reached the upstream: %v", got)
				}
				return
			}
			p := problemBody(t, w)
			var ptrs []string
			errs, _ := p["errors"].([]any)
			for _, e := range errs {
				ptrs = append(ptrs, e.(map[string]any)["pointer"].(string))
			}
			for _, want := range tt.pointers {
				found := false
				for _, got := range ptrs {
					found = found || strings.HasPrefix(got, want)
				}
				if !found {
					t.Errorf("pointers %v: none at %s", ptrs, want)
				}
			}
		})
	}
}
