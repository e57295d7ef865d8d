package proxy_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/portico/portico/internal/proxy"
)

// benchBody is a 1 KB JSON document.
var benchBody = func() []byte {
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

func benchUpstream(b *testing.B) *url.URL {
	b.Helper()
	length := strconv.Itoa(len(benchBody))
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", length)
		_, _ = w.Write(benchBody)
	}))
	b.Cleanup(s.Close)
	return mustURL(b, s.URL)
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

// runHandler drives h with the same incoming request b.N times.
func runHandler(b *testing.B, h http.Handler) {
	b.Helper()
	r := httptest.NewRequest("GET", "http://api.example.com/v1/orders/42?expand=items", nil)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("User-Agent", "bench/1")
	r.Header.Set("X-Request-Id", "req-123")
	r.Header.Set("Authorization", "Bearer secret")
	w := &discardWriter{header: make(http.Header)}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		w.reset()
		h.ServeHTTP(w, r)
		if w.code != http.StatusOK || w.n != len(benchBody) {
			b.Fatalf("response = %d with %d bytes", w.code, w.n)
		}
	}
}

func BenchmarkForward(b *testing.B) {
	f := proxy.New(proxy.Config{})
	target := proxy.Target{BaseURL: benchUpstream(b), Path: "/orders/42"}
	runHandler(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f.Forward(w, r, target); err != nil {
			b.Fatal(err)
		}
	}))
}

// bufferPool is the usual sync.Pool-backed httputil.BufferPool.
type bufferPool struct{ p sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{p: sync.Pool{New: func() any { return make([]byte, 32<<10) }}}
}

func (p *bufferPool) Get() []byte  { return p.p.Get().([]byte) }
func (p *bufferPool) Put(b []byte) { p.p.Put(b) } //nolint:staticcheck // what BufferPool users write

func BenchmarkReverseProxy(b *testing.B) {
	base := benchUpstream(b)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(base)
			pr.Out.URL.Path = "/orders/42"
			pr.SetXForwarded()
		},
		Transport:  proxy.NewTransport(),
		BufferPool: newBufferPool(),
	}
	runHandler(b, rp)
}
