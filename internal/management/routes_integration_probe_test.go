package management

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/integration"
	"github.com/portico/portico/internal/integration/ssrf"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
)

// probeEngine is a real engine whose guard allows only allow (the
// httptest upstream), so any other loopback address is refused at dial.
func probeEngine(t *testing.T, allow ...netip.AddrPort) *integration.Engine {
	t.Helper()
	var a []ssrf.Allowed
	for _, ap := range allow {
		a = append(a, ssrf.Allowed{Prefix: netip.PrefixFrom(ap.Addr(), 32), Port: ap.Port()})
	}
	g := ssrf.New(ssrf.Policy{Allow: a})
	tr := proxy.NewTransportWith(proxy.TransportConfig{Control: g.Control, NoProxy: true})
	eng, err := integration.New(integration.Config{Forwarder: proxy.New(proxy.Config{Transport: tr, Logger: slog.New(slog.DiscardHandler)}), Guard: g})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func TestProbeIntegration(t *testing.T) {
	var calls int
	var gotMethod, gotPath, gotBody, gotHeader string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		gotMethod, gotPath, gotHeader = r.Method, r.URL.RequestURI(), r.Header.Get("X-Key")
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		if r.URL.Path == "/base/big" {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte(strings.Repeat("x", probePreviewBytes+100)))
			return
		}
		if r.URL.Path == "/base/down" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer up.Close()
	upAddr := netip.MustParseAddrPort(strings.TrimPrefix(up.URL, "http://"))

	e := newEnv(t)
	ctx := context.Background()
	for _, in := range []*model.Integration{
		{Slug: "up", Name: "Up", Type: model.IntegrationHTTP, URL: up.URL + "/base", Headers: map[string]string{"X-Key": "k1"},
			Retry: &model.RetryPolicy{MaxAttempts: 3, RetryOn: []int{503}}},
		// the same loopback host on a port the guard does not allow
		{Slug: "refused", Name: "Refused", Type: model.IntegrationHTTP, URL: "http://127.0.0.1:1/"},
	} {
		if _, err := e.cat.CreateIntegration(ctx, tenantA, seedActor, in); err != nil {
			t.Fatal(err)
		}
	}
	e.h.cfg.Integrations = probeEngine(t, upAddr)
	dev := e.token(tenantA, identity.RoleDeveloper)

	tests := []struct {
		name, path, body string
		check            func(t *testing.T, r probeResult)
		wantPath         string
	}{
		{"get", "/integrations/up/test", "", func(t *testing.T, r probeResult) {
			if !r.OK || r.Status != 200 || r.Preview != `{"ok":true}` || r.Headers["Content-Type"] != "application/json" || r.Method != "GET" || r.Breaker != "none" {
				t.Errorf("result = %+v", r)
			}
			if gotHeader != "k1" {
				t.Errorf("integration header not sent: %q", gotHeader)
			}
		}, "/base"},
		{"post with body and path", "/integrations/up/test", `{"method":"post","path":"/orders?x=1","body":{"a":1}}`, func(t *testing.T, r probeResult) {
			if !r.OK || r.Method != "POST" || gotMethod != "POST" || gotBody != `{"a":1}` {
				t.Errorf("result = %+v, upstream got %s %q", r, gotMethod, gotBody)
			}
		}, "/base/orders?x=1"},
		{"preview capped", "/integrations/up/test", `{"path":"/big"}`, func(t *testing.T, r probeResult) {
			if !r.Truncated || len(r.Preview) != probePreviewBytes {
				t.Errorf("truncated = %v, preview %d bytes", r.Truncated, len(r.Preview))
			}
		}, "/base/big"},
		{"upstream error not retried", "/integrations/up/test", `{"path":"/down"}`, func(t *testing.T, r probeResult) {
			if r.OK || r.Status != 503 || calls != 1 {
				t.Errorf("result = %+v after %d calls, want one 503", r, calls)
			}
		}, "/base/down"},
		{"loopback refused", "/integrations/refused/test", "", func(t *testing.T, r probeResult) {
			if r.OK || r.Error == nil || r.Status != 0 || calls != 0 {
				t.Errorf("result = %+v, upstream calls %d", r, calls)
			}
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls, gotPath = 0, ""
			rec := e.do("POST", prefix+tt.path, dev, tt.body)
			wantStatus(t, rec, http.StatusOK)
			tt.check(t, decodeJSON[probeResult](t, rec))
			if gotPath != tt.wantPath {
				t.Errorf("upstream path = %q, want %q", gotPath, tt.wantPath)
			}
		})
	}

	t.Run("viewer refused", func(t *testing.T) {
		wantStatus(t, e.do("POST", prefix+"/integrations/up/test", e.token(tenantA, identity.RoleViewer), ""), http.StatusForbidden)
	})
	t.Run("other tenant", func(t *testing.T) {
		wantStatus(t, e.do("POST", prefix+"/integrations/up/test", e.token(tenantB, identity.RoleOwner), ""), http.StatusNotFound)
	})
	t.Run("no engine", func(t *testing.T) {
		e.h.cfg.Integrations = nil
		wantStatus(t, e.do("POST", prefix+"/integrations/up/test", dev, ""), http.StatusServiceUnavailable)
	})
}

// fakeProber answers every probe with an upstream error, without a network.
type fakeProber struct{ fakeHealth }

func (fakeProber) Call(*http.Request, *integration.Plan, proxy.Target, func(*proxy.Exchange, *http.Request) error) (integration.Stats, error) {
	return integration.Stats{}, proxy.ErrResponseTooLarge
}

// probeMatrixCall is the role matrix's call: a fake engine, so it needs no network.
func probeMatrixCall(_ *testing.T, e *env, _ int) (string, string) {
	e.h.cfg.Integrations = fakeProber{fakeHealth{}}
	return prefix + "/integrations/backend/test", ""
}
