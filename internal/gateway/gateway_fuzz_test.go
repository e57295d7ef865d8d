package gateway

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/portico/portico/internal/proxy"
)

// recordingForwarder answers 200 and checks the target it is given.
type recordingForwarder struct{ t *testing.T }

func (f recordingForwarder) Forward(w http.ResponseWriter, r *http.Request, t proxy.Target) error {
	if t.BaseURL == nil || !strings.HasPrefix(t.Path, "/") {
		f.t.Errorf("bad target %+v for %s", t, r.URL)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// FuzzServeHTTP feeds untrusted hosts, paths, methods and Api-Version
// headers through the gateway: no panics, only the statuses it documents,
// and a problem document for every error.
func FuzzServeHTTP(f *testing.F) {
	for _, s := range []struct{ method, host, path, ver string }{
		{"GET", "acme.api.example.com", "/v1/items/1", ""},
		{"GET", "x", "/t/acme/v1/items/a%2Fb", ""},
		{"HEAD", "ACME.api.example.com:80", "/items", "v1"},
		{"PATCH", "[::1]:80", "/t/acme//v1/../v1/./files/a/b", ""},
		{"GET", "", "/t/acme", "v3"},
		{"GET", "acme.api.example.com", "/%2e%2e/%00", "v0"},
		{"DELETE", "-.api.example.com", "*", ""},
	} {
		f.Add(s.method, s.host, s.path, s.ver)
	}
	up := upstreams{main: "http://main.invalid", other: "http://other.invalid", slow: "http://slow.invalid", refused: "http://refused.invalid"}
	src := newFakeSource(testConfig("acme", 1, up))
	f.Fuzz(func(t *testing.T, method, host, path, ver string) {
		if !validMethodToken(method) {
			return
		}
		gw, err := New(Config{Source: src, Forwarder: recordingForwarder{t}, Domain: "api.example.com", Logger: discardLogger()})
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Method, r.Host = method, host
		r.URL = &url.URL{Path: path, RawPath: path}
		if ver != "" {
			r.Header.Set("Api-Version", ver)
		}
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, r)
		switch w.Code {
		case 200:
			return
		case 400, 404, 405, 410, 502, 503:
		default:
			t.Fatalf("%s %q host %q: status %d", method, path, host, w.Code)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("status %d with Content-Type %q", w.Code, ct)
		}
	})
}

func validMethodToken(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		if c := m[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
