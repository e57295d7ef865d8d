package console

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
)

// DefaultDir is where `make console` writes the build, relative to the
// repository root.
const DefaultDir = "frontend/dist"

// CSP is the Content-Security-Policy of every console answer. Styles allow
// 'unsafe-inline' because the component library sets CSS variables in style
// attributes; scripts are this origin's files only.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// Cache-Control values.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// Config configures a Handler.
type Config struct {
	// FS holds the build output (index.html, assets/...). Required.
	FS fs.FS
	// Prefix is the URL path the console is mounted at, with a trailing
	// slash (default "/console/").
	Prefix string
}

// Handler serves the console. Build one with New.
type Handler struct {
	fsys   fs.FS
	prefix string
}

// New returns a Handler for cfg.
func New(cfg Config) (*Handler, error) {
	if cfg.FS == nil {
		return nil, errors.New("console: FS is required")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "/console/"
	}
	if !strings.HasPrefix(cfg.Prefix, "/") || !strings.HasSuffix(cfg.Prefix, "/") {
		return nil, errors.New("console: Prefix must start and end with /")
	}
	return &Handler{fsys: cfg.FS, prefix: cfg.Prefix}, nil
}

// Dir returns a Handler serving the build in dir at prefix.
func Dir(dir, prefix string) (*Handler, error) {
	return New(Config{FS: os.DirFS(dir), Prefix: prefix})
}

// Built reports whether the build output holds an index.html.
func (h *Handler) Built() bool {
	st, err := fs.Stat(h.fsys, "index.html")
	return err == nil && !st.IsDir()
}

// Prefix is the path the console is served at ("/console/").
func (h *Handler) Prefix() string { return h.prefix }

// Match reports whether a request path belongs to the console.
func (h *Handler) Match(p string) bool {
	return p == strings.TrimSuffix(h.prefix, "/") || strings.HasPrefix(p, h.prefix)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path == strings.TrimSuffix(h.prefix, "/") {
		http.Redirect(w, r, h.prefix, http.StatusMovedPermanently)
		return
	}
	rel, ok := strings.CutPrefix(r.URL.Path, h.prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+rel), "/")
	if name == "" {
		name = "index.html"
	}
	if !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	if h.serveFile(w, r, name) {
		return
	}
	// Not a file. A path that names an asset is a 404 (a stale chunk must
	// fail loudly, not parse index.html as script); any other path is a
	// client-side route and gets the app shell.
	if name != "index.html" && (strings.HasPrefix(name, "assets/") || path.Ext(name) != "") {
		http.NotFound(w, r)
		return
	}
	if !h.serveFile(w, r, "index.html") {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "The console is not built. Run `make console` (npm ci + vite build), then reload.", http.StatusServiceUnavailable)
	}
}

// serveFile writes the named regular file and reports whether it existed.
func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, name string) bool {
	f, err := h.fsys.Open(name)
	if err != nil {
		return false
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			return false
		}
		rs = bytes.NewReader(b)
	}
	if strings.HasPrefix(name, "assets/") {
		w.Header().Set("Cache-Control", cacheImmutable)
	} else {
		w.Header().Set("Cache-Control", cacheRevalidate)
	}
	http.ServeContent(w, r, path.Base(name), st.ModTime(), rs)
	return true
}

func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
}
