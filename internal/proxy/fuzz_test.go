package proxy_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/portico/portico/internal/proxy"
)

// roundTripFunc lets a test see the upstream request without a network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzForwardTarget feeds caller-rendered paths (which carry tenant input)
// and client-controlled Host values through Forward: the upstream URL must
// stay under the base path, on the base host, with exactly the incoming
// query, without dot segments once decoded, and Forwarded must remain a single header line.
func FuzzForwardTarget(f *testing.F) {
	for _, s := range []string{"/orders/42", "a%2Fb", "/a?b=1#c", "/../../admin", "%zz", "/x y", "//evil.example/x", ""} {
		f.Add(s, "api.example.com:8080", "q=1")
	}
	base := &url.URL{Scheme: "http", Host: "upstream.internal:9000", Path: "/base"}
	f.Fuzz(func(t *testing.T, path, host, query string) {
		if _, err := url.ParseRequestURI("/?" + query); err != nil || strings.ContainsAny(query, "# ") {
			t.Skip() // not a query a server would hand us
		}
		var out *http.Request
		fw := proxy.New(proxy.Config{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			out = r
			return &http.Response{StatusCode: 204, Header: http.Header{}, Body: http.NoBody, ContentLength: 0}, nil
		})})
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = query
		r.Host = host
		err := fw.Forward(httptest.NewRecorder(), r, proxy.Target{BaseURL: base, Path: path})
		if err != nil {
			if !errors.Is(err, proxy.ErrInvalidTarget) && !errors.Is(err, proxy.ErrDotSegment) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		u, perr := url.Parse(out.URL.String())
		if perr != nil {
			t.Fatalf("upstream URL %q does not parse: %v", out.URL.String(), perr)
		}
		if u.Host != base.Host || u.RawQuery != query || u.Fragment != "" {
			t.Fatalf("upstream URL %q escaped host/query (path %q, query %q)", out.URL.String(), path, query)
		}
		if ep := u.EscapedPath(); ep != "/base" && !strings.HasPrefix(ep, "/base/") {
			t.Fatalf("upstream path %q is outside /base", ep)
		}
		for seg := range strings.SplitSeq(u.Path, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("upstream path %q (decoded %q) has a dot segment", u.EscapedPath(), u.Path)
			}
		}
		if fwd := out.Header.Get("Forwarded"); strings.ContainsAny(fwd, "\r\n\x00") {
			t.Fatalf("Forwarded = %q", fwd)
		}
	})
}
