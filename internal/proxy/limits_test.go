package proxy_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portico/portico/internal/proxy"
)

func TestTargetMaxResponseBytes(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 100))
	})
	f := proxy.New(proxy.Config{})
	err := f.Forward(newSpy(), httptest.NewRequest("GET", "/", nil), proxy.Target{BaseURL: mustURL(t, up.URL), MaxResponseBytes: 10})
	requireProblem(t, err, http.StatusBadGateway, proxy.TypeUpstreamTooLarge, up.Listener.Addr().String())
	w := httptest.NewRecorder()
	if err := f.Forward(w, httptest.NewRequest("GET", "/", nil), proxy.Target{BaseURL: mustURL(t, up.URL), MaxResponseBytes: 100}); err != nil || w.Body.Len() != 100 {
		t.Fatalf("at the limit: %v, %d bytes", err, w.Body.Len())
	}
}

func TestBodyIdleTimeout(t *testing.T) {
	release := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first chunk")
		w.(http.Flusher).Flush()
		<-release // then nothing: a stalled upstream
	})
	t.Cleanup(func() { close(release) }) // before the upstream's Close (cleanups run last-in first-out)
	f := proxy.New(proxy.Config{Logger: discard()})
	w := httptest.NewRecorder()
	err := f.Forward(w, httptest.NewRequest("GET", "/", nil), proxy.Target{BaseURL: mustURL(t, up.URL), BodyIdleTimeout: 20 * time.Millisecond})
	if !errors.Is(err, proxy.ErrBodyStalled) {
		t.Fatalf("err = %v, want ErrBodyStalled", err)
	}
	if w.Body.String() != "first chunk" {
		t.Errorf("body = %q", w.Body.String())
	}
}

func TestTransportControlRefusesDial(t *testing.T) {
	up := newUpstream(t, nil)
	denied := errors.New("denied by policy")
	var dialled string
	tr := proxy.NewTransportWith(proxy.TransportConfig{NoProxy: true, Control: func(network, address string, _ syscall.RawConn) error {
		dialled = address
		return denied
	}})
	if tr.Proxy != nil {
		t.Error("NoProxy transport still uses the environment's proxy")
	}
	f := proxy.New(proxy.Config{Transport: tr})
	err := f.Forward(newSpy(), httptest.NewRequest("GET", "/", nil), proxy.Target{BaseURL: mustURL(t, up.URL)})
	p := requireProblem(t, err, http.StatusBadGateway, proxy.TypeUpstreamUnavailable, up.Listener.Addr().String())
	if !errors.Is(p, denied) || dialled != up.Listener.Addr().String() {
		t.Errorf("cause %v, dialled %q", p.Cause, dialled)
	}
	if up.count() != 0 {
		t.Error("upstream was reached")
	}
}

func TestWithConnectTimeout(t *testing.T) {
	tr := proxy.NewTransportWith(proxy.TransportConfig{})
	ctx := proxy.WithConnectTimeout(context.Background(), 50*time.Millisecond)
	start := time.Now()
	c, err := tr.DialContext(ctx, "tcp", "192.0.2.1:80") // TEST-NET-1: never answers
	if err == nil {
		c.Close()
		t.Skip("this network answers TEST-NET-1")
	}
	// Without the per-call bound the dial would wait the 10s default (or
	// fail at once when the network has no route, which is also fine).
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("dial took %s with a 50ms connect timeout", el)
	}
}

func discard() *slog.Logger { l, _ := logBuffer(); return l }
