package gateway

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/portico/portico/internal/catalog"
)

func TestSecurityHeaders(t *testing.T) {
	tests := []struct {
		name   string
		method string
		target string
		status int
	}{
		{"proxied", "GET", "/t/acme/v1/items", 200},
		{"not found", "GET", "/t/acme/v1/nope", 404},
		{"unknown tenant", "GET", "/t/nobody/v1/items", 404},
		{"method not allowed", "PATCH", "/t/acme/v1/items", 405},
		{"retired", "GET", "/t/acme/v3/items/1", 410},
		{"upstream down", "GET", "/t/acme/v1/down", 502},
	}
	want := map[string]string{
		"Strict-Transport-Security": "max-age=31536000; includeSubDomains",
		"X-Content-Type-Options":    "nosniff",
		"X-Frame-Options":           "DENY",
		"Referrer-Policy":           "strict-origin-when-cross-origin",
		"Server":                    "",
		"X-Powered-By":              "",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			var calls atomic.Int64
			withConfig(t, h, leakyUpstream(t, &calls).URL, func(*catalog.TenantConfig) {})
			w := h.do(t, tt.method, tt.target, nil)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			for k, v := range want {
				if got := strings.Join(w.Header().Values(k), ", "); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestRequestIDValidated(t *testing.T) {
	tests := []struct {
		name string
		sent string
		keep bool
	}{
		{"uuid", "0b6f2a9e-3c1d-4e5f-8a7b-9c0d1e2f3a4b", true},
		{"trace-ish", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1", false},
		{"base64", "aGVsbG8+d29ybGQ/Lw==", true},
		{"max length", strings.Repeat("a", 128), true},
		{"too long", strings.Repeat("a", 129), false},
		{"space", "a b", false},
		{"header injection", "abc\r\nX-Admin: 1", false},
		{"log forging quote", `abc"def`, false},
		{"non-ascii", "réq", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			r, _ := http.NewRequest("GET", "http://gw/t/acme/v1/items", nil)
			r.Header["X-Request-Id"] = []string{tt.sent}
			w := &recorder{h: http.Header{}}
			h.gw.ServeHTTP(w, r)
			got := w.h.Get("X-Request-Id")
			if tt.keep != (got == tt.sent) {
				t.Fatalf("X-Request-Id = %q for %q, keep = %v", got, tt.sent, tt.keep)
			}
			if !validRequestID(got) {
				t.Errorf("answered an invalid X-Request-Id %q", got)
			}
			if up := r.Header.Get("X-Request-Id"); up != got {
				t.Errorf("propagated %q, answered %q", up, got)
			}
		})
	}
}

// recorder is a minimal ResponseWriter (httptest.NewRequest refuses some
// of the header values these tests need to send).
type recorder struct {
	h    http.Header
	code int
}

func (r *recorder) Header() http.Header { return r.h }
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *recorder) Write(b []byte) (int, error) { r.WriteHeader(200); return len(b), nil }

func FuzzValidRequestID(f *testing.F) {
	f.Add("0b6f2a9e-3c1d")
	f.Add("a\r\nb")
	f.Fuzz(func(t *testing.T, s string) {
		if !validRequestID(s) {
			return
		}
		if len(s) > maxRequestIDLen || strings.ContainsAny(s, " \t\r\n\",;\\") {
			t.Fatalf("accepted %q", s)
		}
	})
}
