package console

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func testFS() fstest.MapFS {
	mod := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	return fstest.MapFS{
		"index.html":              {Data: []byte("<!doctype html><div id=root></div>"), ModTime: mod},
		"assets/index-AbC123.js":  {Data: []byte("console.log(1)"), ModTime: mod},
		"assets/index-AbC123.css": {Data: []byte("body{}"), ModTime: mod},
		"robots.txt":              {Data: []byte("User-agent: *"), ModTime: mod},
	}
}

func newHandler(t *testing.T, fsys fstest.MapFS) *Handler {
	t.Helper()
	h, err := New(Config{FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestServe(t *testing.T) {
	h := newHandler(t, testFS())
	tests := []struct {
		name     string
		method   string
		path     string
		status   int
		body     string // substring
		cache    string
		ctype    string // prefix
		location string
	}{
		{"root serves the app shell", "GET", "/console/", 200, "<div id=root>", "no-cache", "text/html", ""},
		{"index.html itself", "GET", "/console/index.html", 200, "<div id=root>", "no-cache", "text/html", ""},
		{"hashed asset is immutable", "GET", "/console/assets/index-AbC123.js", 200, "console.log", "public, max-age=31536000, immutable", "text/javascript", ""},
		{"css asset", "GET", "/console/assets/index-AbC123.css", 200, "body{}", "public, max-age=31536000, immutable", "text/css", ""},
		{"other file revalidates", "GET", "/console/robots.txt", 200, "User-agent", "no-cache", "text/plain", ""},
		{"deep link falls back to the shell", "GET", "/console/apis/shop", 200, "<div id=root>", "no-cache", "text/html", ""},
		{"deep link with query", "GET", "/console/audit?resource=api/shop", 200, "<div id=root>", "no-cache", "text/html", ""},
		{"missing asset is a 404, not the shell", "GET", "/console/assets/index-Old999.js", 404, "", "", "", ""},
		{"missing file with extension is a 404", "GET", "/console/favicon.ico", 404, "", "", "", ""},
		{"bare prefix redirects", "GET", "/console", 301, "", "", "", "/console/"},
		{"traversal stays inside (the shell)", "GET", "/console/../../etc/passwd", 200, "<div id=root>", "no-cache", "text/html", ""},
		{"encoded traversal stays inside", "GET", "/console/assets/..%2f..%2f..%2fetc%2fpasswd", 200, "<div id=root>", "no-cache", "text/html", ""},
		{"HEAD works", "HEAD", "/console/", 200, "", "no-cache", "text/html", ""},
		{"POST is refused", "POST", "/console/", 405, "", "", "", ""},
		{"outside the prefix", "GET", "/elsewhere", 404, "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			res := rec.Result()
			if res.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d; body %q", res.StatusCode, tt.status, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("body %q does not contain %q", rec.Body, tt.body)
			}
			if tt.cache != "" && res.Header.Get("Cache-Control") != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", res.Header.Get("Cache-Control"), tt.cache)
			}
			if tt.ctype != "" && !strings.HasPrefix(res.Header.Get("Content-Type"), tt.ctype) {
				t.Errorf("Content-Type = %q, want %s...", res.Header.Get("Content-Type"), tt.ctype)
			}
			if tt.location != "" && res.Header.Get("Location") != tt.location {
				t.Errorf("Location = %q, want %q", res.Header.Get("Location"), tt.location)
			}
			if res.Header.Get("Content-Security-Policy") != CSP || res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("security headers missing: %v", res.Header)
			}
		})
	}
}

func TestConditionalGet(t *testing.T) {
	h := newHandler(t, testFS())
	req := httptest.NewRequest("GET", "/console/", nil)
	req.Header.Set("If-Modified-Since", time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC).Format(http.TimeFormat))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Fatalf("status = %d, want 304", rec.Code)
	}
}

func TestNotBuilt(t *testing.T) {
	h := newHandler(t, fstest.MapFS{})
	if h.Built() {
		t.Fatal("Built() = true for an empty directory")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/console/apis", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "make console") {
		t.Fatalf("status = %d body %q, want 503 naming make console", rec.Code, rec.Body)
	}
	if !newHandler(t, testFS()).Built() {
		t.Fatal("Built() = false with an index.html")
	}
}

func TestDirMissing(t *testing.T) {
	h, err := Dir(t.TempDir()+"/absent", "/console/")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/console/", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", rec.Code)
	}
}

func TestMatch(t *testing.T) {
	h := newHandler(t, testFS())
	for p, want := range map[string]bool{"/console": true, "/console/": true, "/console/apis": true, "/consoles": false, "/t/demo/console/": false, "/": false} {
		if got := h.Match(p); got != want {
			t.Errorf("Match(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("New without FS succeeded")
	}
	if _, err := New(Config{FS: testFS(), Prefix: "/console"}); err == nil {
		t.Error("New with a prefix without trailing slash succeeded")
	}
}

// TestRuntimeConfig: the console reads {prefix}config.json at start. The
// local build has none, and the 404 (not the app shell) is what makes the
// console offer the dev login; a config.json placed in the build directory
// is served as JSON and revalidated.
func TestRuntimeConfig(t *testing.T) {
	rec := httptest.NewRecorder()
	newHandler(t, testFS()).ServeHTTP(rec, httptest.NewRequest("GET", "/console/config.json", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("without config.json: status %d, want 404 (the dev login); body %q", rec.Code, rec.Body)
	}

	fsys := testFS()
	fsys["config.json"] = &fstest.MapFile{Data: []byte(`{"apiBase":"/admin/v1"}`), ModTime: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	rec = httptest.NewRecorder()
	newHandler(t, fsys).ServeHTTP(rec, httptest.NewRequest("GET", "/console/config.json", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") ||
		rec.Header().Get("Cache-Control") != "no-cache" || rec.Body.String() != `{"apiBase":"/admin/v1"}` {
		t.Errorf("with config.json: %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
}
