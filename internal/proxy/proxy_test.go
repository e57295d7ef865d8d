package proxy_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/proxy"
)

func TestForwardRequest(t *testing.T) {
	up := newUpstream(t, nil)
	f := proxy.New(proxy.Config{})

	tests := []struct {
		name        string
		method      string
		target      string // incoming request target
		body        string
		base        string // appended to the upstream URL
		path        string
		tmethod     string
		wantMethod  string
		wantURI     string
		wantBody    string
		contentType string
	}{
		{name: "get with query", method: "GET", target: "/v1/orders/42?expand=items&x=1&x=2", path: "/orders/42",
			wantMethod: "GET", wantURI: "/orders/42?expand=items&x=1&x=2"},
		{name: "post body", method: "POST", target: "/v1/orders", body: `{"qty":3}`, contentType: "application/json",
			path: "/orders", wantMethod: "POST", wantURI: "/orders", wantBody: `{"qty":3}`},
		{name: "method override", method: "GET", target: "/x", path: "/rpc", tmethod: "POST",
			wantMethod: "POST", wantURI: "/rpc"},
		{name: "base without trailing slash", method: "GET", target: "/x", base: "/api", path: "/orders/1",
			wantMethod: "GET", wantURI: "/api/orders/1"},
		{name: "base with trailing slash", method: "GET", target: "/x", base: "/api/", path: "/orders/1",
			wantMethod: "GET", wantURI: "/api/orders/1"},
		{name: "path without leading slash", method: "GET", target: "/x", base: "/api", path: "orders",
			wantMethod: "GET", wantURI: "/api/orders"},
		{name: "empty path keeps base", method: "GET", target: "/x", base: "/api/v2", path: "",
			wantMethod: "GET", wantURI: "/api/v2"},
		{name: "empty base and path", method: "GET", target: "/x", path: "",
			wantMethod: "GET", wantURI: "/"},
		{name: "dots inside a segment are fine", method: "GET", target: "/x", path: "/files/a..b/.env",
			wantMethod: "GET", wantURI: "/files/a..b/.env"},
		{name: "escaped slash stays escaped", method: "GET", target: "/x", path: "/files/a%2Fb",
			wantMethod: "GET", wantURI: "/files/a%2Fb"},
		{name: "question mark cannot start a query", method: "GET", target: "/x?q=1", path: "/a?b",
			wantMethod: "GET", wantURI: "/a%3Fb?q=1"},
		{name: "base query merged first", method: "GET", target: "/x?q=1", base: "/s?key=k", path: "/p",
			wantMethod: "GET", wantURI: "/s/p?key=k&q=1"},
		{name: "delete without body", method: "DELETE", target: "/x", path: "/orders/1",
			wantMethod: "DELETE", wantURI: "/orders/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			r := httptest.NewRequest(tt.method, tt.target, body)
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			w := httptest.NewRecorder()
			err := f.Forward(w, r, proxy.Target{BaseURL: mustURL(t, up.URL+tt.base), Path: tt.path, Method: tt.tmethod})
			if err != nil {
				t.Fatalf("Forward: %v", err)
			}
			if w.Code != http.StatusOK || w.Body.String() != "ok" {
				t.Fatalf("response = %d %q", w.Code, w.Body.String())
			}
			got := up.last(t)
			if got.Method != tt.wantMethod || got.RequestURI != tt.wantURI || string(got.Body) != tt.wantBody {
				t.Errorf("upstream got %s %s body %q, want %s %s body %q",
					got.Method, got.RequestURI, got.Body, tt.wantMethod, tt.wantURI, tt.wantBody)
			}
			if tt.contentType != "" && got.Header.Get("Content-Type") != tt.contentType {
				t.Errorf("Content-Type = %q", got.Header.Get("Content-Type"))
			}
			if tt.body != "" && got.ContentLength != int64(len(tt.body)) {
				t.Errorf("upstream ContentLength = %d, want %d", got.ContentLength, len(tt.body))
			}
		})
	}
}

func TestForwardStreamsRequestBody(t *testing.T) {
	firstChunk := make(chan string, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 5)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			t.Errorf("read first chunk: %v", err)
			return
		}
		firstChunk <- string(buf) // arrives while the client is still writing
		rest, _ := io.ReadAll(r.Body)
		_, _ = fmt.Fprintf(w, "%s|%s|%v", buf, rest, r.TransferEncoding)
	}))
	t.Cleanup(up.Close)
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, "hello")
		<-firstChunk // the upstream saw the first chunk before the body ended
		_, _ = io.WriteString(pw, " world")
		_ = pw.Close()
	}()
	r := httptest.NewRequest("POST", "/up", pr)
	r.ContentLength = -1
	w := httptest.NewRecorder()
	if err := proxy.New(proxy.Config{}).Forward(w, r, proxy.Target{BaseURL: mustURL(t, up.URL)}); err != nil {
		t.Fatalf("Forward: %v", err)
	}
	if got, want := w.Body.String(), "hello| world|[chunked]"; got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
}

func TestForwardRequestHeaders(t *testing.T) {
	up := newUpstream(t, nil)
	f := proxy.New(proxy.Config{})
	base := mustURL(t, up.URL)

	tests := []struct {
		name    string
		in      map[string]string
		allow   []string
		set     map[string]string
		want    map[string]string // "" means absent
		wantHst string
	}{
		{
			name: "default allowlist",
			in: map[string]string{
				"Accept": "application/json", "Accept-Language": "fr", "If-None-Match": `"v1"`,
				"Idempotency-Key": "k1", "Traceparent": "00-abc-def-01", "X-Request-Id": "req-1",
				"User-Agent": "curl/8", "X-Custom": "c",
			},
			want: map[string]string{
				"Accept": "application/json", "Accept-Language": "fr", "If-None-Match": `"v1"`,
				"Idempotency-Key": "k1", "Traceparent": "00-abc-def-01", "X-Request-Id": "req-1",
				"User-Agent": "curl/8", "X-Custom": "",
			},
		},
		{
			name: "credentials dropped by default",
			in:   map[string]string{"Authorization": "Bearer t", "Cookie": "s=1", "X-Api-Key": "secret"},
			want: map[string]string{"Authorization": "", "Cookie": "", "X-Api-Key": ""},
		},
		{
			name:  "credentials forwarded when allowlisted",
			in:    map[string]string{"Authorization": "Bearer t", "Cookie": "s=1", "X-Api-Key": "secret"},
			allow: []string{"authorization", "Cookie", "x-api-key"},
			want:  map[string]string{"Authorization": "Bearer t", "Cookie": "s=1", "X-Api-Key": "secret"},
		},
		{
			name: "hop-by-hop never forwarded, even allowlisted",
			in: map[string]string{
				"Connection": "X-Secret, keep-alive", "X-Secret": "s", "Keep-Alive": "timeout=5",
				"Te": "trailers", "Upgrade": "websocket", "Proxy-Authorization": "Basic x",
				"Proxy-Connection": "keep-alive", "Trailer": "X-T", "X-Other": "o",
			},
			allow: []string{"Connection", "X-Secret", "Keep-Alive", "Te", "Upgrade", "Proxy-Authorization",
				"Proxy-Connection", "Trailer", "X-Other"},
			want: map[string]string{
				"X-Secret": "", "Keep-Alive": "", "Te": "", "Upgrade": "", "Proxy-Authorization": "",
				"Proxy-Connection": "", "Trailer": "", "X-Other": "o",
			},
		},
		{
			name:  "X-Request-Id always passed on",
			in:    map[string]string{"X-Request-Id": "req-2", "Accept": "a"},
			allow: []string{},
			want:  map[string]string{"X-Request-Id": "req-2", "Accept": ""},
		},
		{
			name: "no Go user agent when the client sent none",
			want: map[string]string{"User-Agent": ""},
		},
		{
			name: "SetHeaders win",
			in:   map[string]string{"Accept": "text/html", "X-Forwarded-Proto": "http"},
			set:  map[string]string{"accept": "application/json", "X-Upstream-Key": "k", "X-Forwarded-Proto": "https", "host": "api.internal"},
			want: map[string]string{
				"Accept": "application/json", "X-Upstream-Key": "k", "X-Forwarded-Proto": "https",
			},
			wantHst: "api.internal",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x", nil)
			for k, v := range tt.in {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			if err := f.Forward(w, r, proxy.Target{BaseURL: base, ForwardHeaders: tt.allow, SetHeaders: tt.set}); err != nil {
				t.Fatalf("Forward: %v", err)
			}
			got := up.last(t)
			for k, want := range tt.want {
				if g := got.Header.Get(k); g != want {
					t.Errorf("%s = %q, want %q", k, g, want)
				}
			}
			wantHost := tt.wantHst
			if wantHost == "" {
				wantHost = base.Host
			}
			if got.Host != wantHost {
				t.Errorf("Host = %q, want %q", got.Host, wantHost)
			}
		})
	}
}

func TestForwardedHeaders(t *testing.T) {
	up := newUpstream(t, nil)
	f := proxy.New(proxy.Config{})

	tests := []struct {
		name       string
		remoteAddr string
		host       string
		tls        bool
		priorXFF   string
		priorFwd   string
		wantXFF    string
		wantProto  string
		wantFwd    string
	}{
		{name: "ipv4", remoteAddr: "203.0.113.7:5123", host: "api.example.com",
			wantXFF: "203.0.113.7", wantProto: "http", wantFwd: "for=203.0.113.7;host=api.example.com;proto=http"},
		{name: "ipv6 and port in host", remoteAddr: "[2001:db8::1]:443", host: "localhost:8080", tls: true,
			wantXFF: "2001:db8::1", wantProto: "https", wantFwd: `for="[2001:db8::1]";host="localhost:8080";proto=https`},
		{name: "appends to prior chain", remoteAddr: "10.0.0.2:1", host: "h", priorXFF: "198.51.100.1", priorFwd: "for=198.51.100.1",
			wantXFF: "198.51.100.1, 10.0.0.2", wantProto: "http", wantFwd: "for=198.51.100.1, for=10.0.0.2;host=h;proto=http"},
		{name: "bare ip remote addr", remoteAddr: "192.0.2.9", host: "h",
			wantXFF: "192.0.2.9", wantProto: "http", wantFwd: "for=192.0.2.9;host=h;proto=http"},
		{name: "unparsable remote addr", remoteAddr: "pipe", host: "h",
			wantXFF: "", wantProto: "http", wantFwd: "host=h;proto=http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x", nil)
			r.RemoteAddr, r.Host = tt.remoteAddr, tt.host
			r.TLS = nil
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tt.priorXFF != "" {
				r.Header.Set("X-Forwarded-For", tt.priorXFF)
			}
			if tt.priorFwd != "" {
				r.Header.Set("Forwarded", tt.priorFwd)
			}
			if err := f.Forward(httptest.NewRecorder(), r, proxy.Target{BaseURL: mustURL(t, up.URL)}); err != nil {
				t.Fatalf("Forward: %v", err)
			}
			h := up.last(t).Header
			for k, want := range map[string]string{
				"X-Forwarded-For": tt.wantXFF, "X-Forwarded-Proto": tt.wantProto,
				"X-Forwarded-Host": tt.host, "Forwarded": tt.wantFwd,
			} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestForwardResponseHeaders(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Connection", "X-Hop")
		h.Set("X-Hop", "internal")
		h.Set("Keep-Alive", "timeout=5")
		h.Set("Upgrade", "h2c")
		h.Set("Proxy-Authenticate", "Basic")
		h.Set("Server", "nginx/1.2.3")
		h.Set("X-Powered-By", "PHP/5")
		h.Add("Set-Cookie", "a=1")
		h.Add("Set-Cookie", "b=2")
		h.Set("Cache-Control", "max-age=60")
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":1}`)
	})
	w := httptest.NewRecorder()
	if err := proxy.New(proxy.Config{}).Forward(w, httptest.NewRequest("POST", "/x", nil), proxy.Target{BaseURL: mustURL(t, up.URL)}); err != nil {
		t.Fatalf("Forward: %v", err)
	}
	if w.Code != http.StatusCreated || w.Body.String() != `{"id":1}` {
		t.Fatalf("response = %d %q", w.Code, w.Body.String())
	}
	for _, k := range []string{"Connection", "X-Hop", "Keep-Alive", "Upgrade", "Proxy-Authenticate", "Server", "X-Powered-By"} {
		if v, ok := w.Header()[k]; ok {
			t.Errorf("%s leaked: %q", k, v)
		}
	}
	if got := w.Header().Values("Set-Cookie"); len(got) != 2 || got[0] != "a=1" || got[1] != "b=2" {
		t.Errorf("Set-Cookie = %q", got)
	}
	for k, want := range map[string]string{"Cache-Control": "max-age=60", "Content-Type": "application/json", "Content-Length": "8"} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestForwardRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	w := newSpy()
	err = proxy.New(proxy.Config{}).Forward(w, httptest.NewRequest("GET", "/x", nil), proxy.Target{BaseURL: mustURL(t, "http://"+addr)})
	requireProblem(t, err, http.StatusBadGateway, proxy.TypeUpstreamUnavailable, addr)
	requireUntouched(t, w)
}

func TestForwardUnknownHost(t *testing.T) {
	w := newSpy()
	// .invalid never resolves (RFC 6761).
	err := proxy.New(proxy.Config{}).Forward(w, httptest.NewRequest("GET", "/x", nil), proxy.Target{BaseURL: mustURL(t, "http://upstream.invalid")})
	requireProblem(t, err, http.StatusBadGateway, proxy.TypeUpstreamUnavailable, "upstream.invalid")
	requireUntouched(t, w)
}

// blockingUpstream never answers until the test ends (or the client goes).
// arrived receives once per request that reached the handler.
func blockingUpstream(t *testing.T, writeHeaderFirst bool) (up *upstream, arrived chan struct{}) {
	t.Helper()
	release := make(chan struct{})
	arrived = make(chan struct{}, 16)
	up = newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if writeHeaderFirst {
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, "partial")
			http.NewResponseController(w).Flush()
		}
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before up.Close
	return up, arrived
}

func TestForwardTimeout(t *testing.T) {
	up, _ := blockingUpstream(t, false)
	f := proxy.New(proxy.Config{})
	base := mustURL(t, up.URL)

	t.Run("target timeout", func(t *testing.T) {
		w := newSpy()
		err := f.Forward(w, httptest.NewRequest("GET", "/x", nil), proxy.Target{BaseURL: base, Timeout: 20 * time.Millisecond})
		p := requireProblem(t, err, http.StatusGatewayTimeout, proxy.TypeUpstreamTimeout, base.Host)
		if !errors.Is(p, context.DeadlineExceeded) {
			t.Errorf("cause %v is not DeadlineExceeded", p.Cause)
		}
		requireUntouched(t, w)
	})
	t.Run("incoming deadline shorter than target timeout wins", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		w := newSpy()
		start := time.Now()
		err := f.Forward(w, httptest.NewRequest("GET", "/x", nil).WithContext(ctx), proxy.Target{BaseURL: base, Timeout: time.Hour})
		requireProblem(t, err, http.StatusGatewayTimeout, proxy.TypeUpstreamTimeout, base.Host)
		requireUntouched(t, w)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %v: the incoming deadline was ignored", d)
		}
	})
}

func TestForwardTimeoutAfterHeaders(t *testing.T) {
	up, _ := blockingUpstream(t, true)
	log, logs := logBuffer()
	w := httptest.NewRecorder()
	err := proxy.New(proxy.Config{Logger: log}).Forward(w, httptest.NewRequest("GET", "/x", nil),
		proxy.Target{BaseURL: mustURL(t, up.URL), Timeout: 50 * time.Millisecond})
	if err == nil {
		t.Fatal("Forward returned nil for a body cut by the timeout")
	}
	var p *problem.Problem
	if errors.As(err, &p) {
		t.Fatalf("got a problem after the headers were written: %v", err)
	}
	if w.Code != http.StatusOK || w.Body.String() != "partial" {
		t.Errorf("response = %d %q, want 200 \"partial\"", w.Code, w.Body.String())
	}
	if !strings.Contains(logs.String(), "upstream response cut short") {
		t.Errorf("error not logged: %q", logs.String())
	}
}

func TestForwardClientCancel(t *testing.T) {
	up, arrived := blockingUpstream(t, false)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		<-arrived
		cancel()
	}()
	w := newSpy()
	err := proxy.New(proxy.Config{}).Forward(w, httptest.NewRequest("GET", "/x", nil).WithContext(ctx), proxy.Target{BaseURL: mustURL(t, up.URL)})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	var p *problem.Problem
	if errors.As(err, &p) {
		t.Fatalf("client cancellation returned a problem: %v", p)
	}
	requireUntouched(t, w)
}

func TestForwardResponseSizeLimit(t *testing.T) {
	t.Run("content-length over the limit", func(t *testing.T) {
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			_, _ = w.Write(bytes.Repeat([]byte("x"), 100))
		})
		w := newSpy()
		err := proxy.New(proxy.Config{MaxResponseBytes: 99}).Forward(w, httptest.NewRequest("GET", "/x", nil), proxy.Target{BaseURL: mustURL(t, up.URL)})
		p := requireProblem(t, err, http.StatusBadGateway, proxy.TypeUpstreamTooLarge, up.Listener.Addr().String())
		if !errors.Is(p, proxy.ErrResponseTooLarge) {
			t.Errorf("cause %v is not ErrResponseTooLarge", p.Cause)
		}
		requireUntouched(t, w)
	})
	t.Run("head of a large resource", func(t *testing.T) {
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
		})
		w := httptest.NewRecorder()
		if err := proxy.New(proxy.Config{MaxResponseBytes: 99}).Forward(w, httptest.NewRequest("HEAD", "/x", nil), proxy.Target{BaseURL: mustURL(t, up.URL)}); err != nil {
			t.Fatalf("Forward: %v", err)
		}
		if w.Code != http.StatusOK || w.Header().Get("Content-Length") != "100" {
			t.Errorf("response = %d, Content-Length %q", w.Code, w.Header().Get("Content-Length"))
		}
	})
	t.Run("content-length at the limit", func(t *testing.T) {
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(bytes.Repeat([]byte("x"), 100))
		})
		w := httptest.NewRecorder()
		if err := proxy.New(proxy.Config{MaxResponseBytes: 100}).Forward(w, httptest.NewRequest("GET", "/x", nil), proxy.Target{BaseURL: mustURL(t, up.URL)}); err != nil {
			t.Fatalf("Forward: %v", err)
		}
		if w.Body.Len() != 100 {
			t.Errorf("body length = %d", w.Body.Len())
		}
	})
	t.Run("unknown length over the limit is cut and logged", func(t *testing.T) {
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			for range 4 {
				_, _ = w.Write(bytes.Repeat([]byte("y"), 30))
				http.NewResponseController(w).Flush() // forces chunked encoding
			}
		})
		log, logs := logBuffer()
		w := httptest.NewRecorder()
		err := proxy.New(proxy.Config{MaxResponseBytes: 100, Logger: log}).Forward(w, httptest.NewRequest("GET", "/x", nil), proxy.Target{BaseURL: mustURL(t, up.URL)})
		if !errors.Is(err, proxy.ErrResponseTooLarge) {
			t.Fatalf("error = %v, want ErrResponseTooLarge", err)
		}
		if w.Code != http.StatusOK || w.Body.Len() != 100 {
			t.Errorf("response = %d with %d bytes, want 200 with 100", w.Code, w.Body.Len())
		}
		if !strings.Contains(logs.String(), "level=ERROR") {
			t.Errorf("cut not logged as an error: %q", logs.String())
		}
	})
}

func TestForwardRedirectPassedThrough(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	w := httptest.NewRecorder()
	if err := proxy.New(proxy.Config{}).Forward(w, httptest.NewRequest("GET", "/x", nil), proxy.Target{BaseURL: mustURL(t, up.URL), Path: "/old"}); err != nil {
		t.Fatalf("Forward: %v", err)
	}
	if w.Code != http.StatusFound || w.Header().Get("Location") != "/elsewhere" {
		t.Errorf("response = %d Location %q, want 302 /elsewhere", w.Code, w.Header().Get("Location"))
	}
	if n := up.count(); n != 1 {
		t.Errorf("upstream hit %d times, want 1 (redirect followed?)", n)
	}
}

func TestForwardRejectsDotSegments(t *testing.T) {
	up := newUpstream(t, nil)
	for _, path := range []string{"/../admin", "/orders/..", "/a/./b", "/files/%2e%2e/secret", "/files/x%2F..%2Fy", "/%2E"} {
		t.Run(path, func(t *testing.T) {
			w := newSpy()
			err := proxy.New(proxy.Config{}).Forward(w, httptest.NewRequest("GET", "/x", nil), proxy.Target{BaseURL: mustURL(t, up.URL+"/base"), Path: path})
			p := requireProblem(t, err, http.StatusBadRequest, "bad-request", up.Listener.Addr().String())
			if !errors.Is(p, proxy.ErrDotSegment) {
				t.Errorf("cause %v is not ErrDotSegment", p.Cause)
			}
			requireUntouched(t, w)
		})
	}
	if n := up.count(); n != 0 {
		t.Errorf("upstream received %d requests", n)
	}
}

func TestForwardInvalidTarget(t *testing.T) {
	tests := []struct {
		name   string
		target proxy.Target
	}{
		{"nil base", proxy.Target{}},
		{"no host", proxy.Target{BaseURL: mustURL(t, "/relative")}},
		{"ftp scheme", proxy.Target{BaseURL: mustURL(t, "ftp://h")}},
		{"bad escape", proxy.Target{BaseURL: mustURL(t, "http://h"), Path: "/a%zz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newSpy()
			err := proxy.New(proxy.Config{}).Forward(w, httptest.NewRequest("GET", "/x", nil), tt.target)
			p := requireProblem(t, err, http.StatusInternalServerError, proxy.TypeUpstreamMisconfigured, "")
			if !errors.Is(p, proxy.ErrInvalidTarget) {
				t.Errorf("cause %v is not ErrInvalidTarget", p.Cause)
			}
			requireUntouched(t, w)
		})
	}
}

// frontServer serves Forward to target over real HTTP.
func frontServer(t *testing.T, f *proxy.Forwarder, target proxy.Target) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f.Forward(w, r, target); err != nil {
			var p *problem.Problem
			if errors.As(err, &p) {
				problem.Write(w, p)
			}
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func TestForwardStreamsResponse(t *testing.T) {
	t.Run("first bytes arrive before the upstream finishes", func(t *testing.T) {
		release := make(chan struct{})
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "data: one\n\n")
			http.NewResponseController(w).Flush()
			<-release
			_, _ = io.WriteString(w, "data: two\n\n")
		})
		var once atomic.Bool
		t.Cleanup(func() {
			if once.CompareAndSwap(false, true) {
				close(release)
			}
		})
		front := frontServer(t, proxy.New(proxy.Config{}), proxy.Target{BaseURL: mustURL(t, up.URL)})
		resp, err := http.Get(front.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		line, err := br.ReadString('\n')
		if err != nil || line != "data: one\n" {
			t.Fatalf("first line = %q, %v", line, err)
		}
		if once.CompareAndSwap(false, true) {
			close(release)
		}
		rest, err := io.ReadAll(br)
		if err != nil || string(rest) != "\ndata: two\n\n" {
			t.Fatalf("rest = %q, %v", rest, err)
		}
	})
	t.Run("large body intact", func(t *testing.T) {
		payload := make([]byte, 5<<20+123)
		for i := range payload {
			payload[i] = byte(i*7 + i>>9)
		}
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
			_, _ = w.Write(payload)
		})
		front := frontServer(t, proxy.New(proxy.Config{}), proxy.Target{BaseURL: mustURL(t, up.URL)})
		resp, err := http.Get(front.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.ContentLength != int64(len(payload)) || !bytes.Equal(got, payload) {
			t.Errorf("got %d bytes (Content-Length %d), want %d identical bytes", len(got), resp.ContentLength, len(payload))
		}
	})
}

func TestForwardReusesConnections(t *testing.T) {
	var conns atomic.Int64
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	up.Start()
	t.Cleanup(up.Close)

	f := proxy.New(proxy.Config{})
	target := proxy.Target{BaseURL: mustURL(t, up.URL), Path: "/items/1"}
	n := 1000
	if testing.Short() {
		n = 100
	}
	for i := range n {
		w := httptest.NewRecorder()
		if err := f.Forward(w, httptest.NewRequest("GET", "/x", nil), target); err != nil || w.Code != http.StatusOK {
			t.Fatalf("request %d: %d %v", i, w.Code, err)
		}
	}
	if c := conns.Load(); c > 2 {
		t.Errorf("%d sequential requests opened %d connections, want at most 2", n, c)
	}
}
