package proxy_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/portico/portico/internal/problem"
)

// seen is what an upstream received, captured before it responds.
type seen struct {
	Method, RequestURI, Host string
	Header                   http.Header
	Body                     []byte
	ContentLength            int64
	TransferEncoding         []string
}

// upstream is an httptest server that records the requests it receives.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

// newUpstream starts an upstream whose handler runs after the request (body
// included) has been recorded. A nil respond answers 200 "ok".
func newUpstream(t testing.TB, respond http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.reqs = append(u.reqs, seen{
			Method: r.Method, RequestURI: r.RequestURI, Host: r.Host, Header: r.Header.Clone(),
			Body: body, ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding,
		})
		u.mu.Unlock()
		if respond == nil {
			_, _ = io.WriteString(w, "ok")
			return
		}
		respond(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

// last returns the most recent request the upstream recorded.
func (u *upstream) last(t testing.TB) seen {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.reqs) == 0 {
		t.Fatal("upstream received no request")
	}
	return u.reqs[len(u.reqs)-1]
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.reqs)
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return u
}

// spyWriter is a ResponseWriter that records whether anything was written.
type spyWriter struct {
	header http.Header
	wrote  bool
	body   bytes.Buffer
}

func newSpy() *spyWriter { return &spyWriter{header: http.Header{}} }

func (s *spyWriter) Header() http.Header         { return s.header }
func (s *spyWriter) WriteHeader(int)             { s.wrote = true }
func (s *spyWriter) Write(b []byte) (int, error) { s.wrote = true; return s.body.Write(b) }

// requireUntouched fails unless nothing at all was written to w.
func requireUntouched(t testing.TB, w *spyWriter) {
	t.Helper()
	if w.wrote || len(w.header) != 0 {
		t.Fatalf("response was written: wrote=%v header=%v body=%q", w.wrote, w.header, w.body.String())
	}
}

// requireProblem fails unless err is a *problem.Problem with status and
// type slug, whose public text does not leak the upstream address.
func requireProblem(t testing.TB, err error, status int, slug, upstreamAddr string) *problem.Problem {
	t.Helper()
	var p *problem.Problem
	if !errors.As(err, &p) {
		t.Fatalf("error = %v (%T), want *problem.Problem", err, err)
	}
	if p.Status != status || p.Type != problem.TypeBase+slug {
		t.Fatalf("problem = %d %s, want %d %s (cause: %v)", p.Status, p.Type, status, problem.TypeBase+slug, p.Cause)
	}
	if p.Cause == nil {
		t.Error("problem has no Cause")
	}
	if upstreamAddr != "" && (bytes.Contains([]byte(p.Detail+p.Title), []byte(upstreamAddr))) {
		t.Errorf("problem text leaks the upstream address: %q", p.Detail)
	}
	return p
}

// logBuffer returns a logger writing text records to a buffer.
func logBuffer() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, nil)), &buf
}
