// Package proxytest holds the shared benchmark harness for proxying code: a
// 1 KB JSON upstream, the httputil.ReverseProxy baseline every proxying
// benchmark is compared with, and a driver that reports process CPU per
// request alongside ns/op.
package proxytest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"testing"
)

// Body is the 1 KB JSON document the upstream returns.
var Body = func() []byte {
	var b bytes.Buffer
	b.WriteString(`{"items":[`)
	for i := 0; b.Len() < 1000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":` + strconv.Itoa(i) + `,"name":"item"}`)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}()

// Upstream starts an httptest server answering every request with Body.
func Upstream(tb testing.TB) *url.URL {
	tb.Helper()
	length := strconv.Itoa(len(Body))
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", length)
		_, _ = w.Write(Body)
	}))
	tb.Cleanup(s.Close)
	u, err := url.Parse(s.URL)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// bufferPool is the usual sync.Pool-backed httputil.BufferPool.
type bufferPool struct{ p sync.Pool }

func (p *bufferPool) Get() []byte  { return p.p.Get().([]byte) }
func (p *bufferPool) Put(b []byte) { p.p.Put(b) } //nolint:staticcheck // what BufferPool users write

// ReverseProxy is the baseline: a plain httputil.ReverseProxy with a pooled
// BufferPool, sending every request to base with the given path.
func ReverseProxy(base *url.URL, path string, transport http.RoundTripper) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(base)
			pr.Out.URL.Path = path
			pr.SetXForwarded()
		},
		Transport:  transport,
		BufferPool: &bufferPool{p: sync.Pool{New: func() any { return make([]byte, 32<<10) }}},
	}
}

// discardWriter is a reusable ResponseWriter that drops the body.
type discardWriter struct {
	header http.Header
	code   int
	n      int
}

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) WriteHeader(code int)        { d.code = code }
func (d *discardWriter) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }
func (d *discardWriter) reset()                      { clear(d.header); d.code, d.n = 0, 0 }

// Run drives h with the same incoming GET of target b.N times, checks each
// response is a 200 carrying Body, and reports cpu-ns/op: the process's CPU
// time per request (handler, transport and upstream), steadier than ns/op on
// a busy machine and what Lambda bills.
func Run(b *testing.B, h http.Handler, target string) {
	b.Helper()
	r := httptest.NewRequest("GET", target, nil)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("User-Agent", "bench/1")
	r.Header.Set("X-Request-Id", "req-123")
	r.Header.Set("Authorization", "Bearer secret")
	w := &discardWriter{header: make(http.Header)}
	b.ReportAllocs()
	b.SetBytes(int64(len(Body)))
	cpu0 := processCPU()
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, r)
		if w.code != http.StatusOK || w.n != len(Body) {
			b.Fatalf("response = %d with %d bytes", w.code, w.n)
		}
	}
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
