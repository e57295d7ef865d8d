package integration

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/portico/portico/internal/integration/ssrf"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/proxy"
)

// fakeSecrets is a SecretSource over a map, counting reads.
type fakeSecrets struct {
	mu    sync.Mutex
	vals  map[string]string // tenant/name
	reads int
}

var errNoSecret = errors.New("no such secret")

func (f *fakeSecrets) Get(_ context.Context, tenant, name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	v, ok := f.vals[tenant+"/"+name]
	if !ok {
		return "", errNoSecret
	}
	return v, nil
}

// recorder is an upstream that records the headers of every request.
type recorder struct {
	*httptest.Server
	mu      sync.Mutex
	headers []http.Header
	script  []int
}

func newRecorder(t *testing.T, script ...int) *recorder {
	rec := &recorder{script: script}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		n := len(rec.headers)
		rec.headers = append(rec.headers, r.Header.Clone())
		rec.mu.Unlock()
		if n < len(rec.script) {
			w.WriteHeader(rec.script[n])
			return
		}
		// Echo the credential back, as httpbin's /headers would.
		_, _ = w.Write([]byte("you sent " + r.Header.Get("Authorization") + r.Header.Get("X-Api-Key")))
	}))
	t.Cleanup(rec.Close)
	return rec
}

func authEngine(t *testing.T, src SecretSource, guard *ssrf.Guard) *Engine {
	t.Helper()
	e, _ := newEngine(t, guard)
	e.cfg.Secrets = src
	return e
}

func TestCredentials(t *testing.T) {
	src := &fakeSecrets{vals: map[string]string{"acme/key": "s3cr3t", "acme/crlf": "a\r\nX-Injected: 1", "globex/key": "other"}}
	tests := []struct {
		name       string
		auth       *model.IntegrationAuth
		tenant     string
		noSource   bool
		wantHeader string
		wantValue  string
		wantType   string
	}{
		{name: "bearer", auth: &model.IntegrationAuth{Type: "bearer", Secret: "key"}, wantHeader: "Authorization", wantValue: "Bearer s3cr3t"},
		{name: "basic", auth: &model.IntegrationAuth{Type: "basic", Secret: "key", Username: "svc"}, wantHeader: "Authorization", wantValue: "Basic c3ZjOnMzY3IzdA=="},
		{name: "header", auth: &model.IntegrationAuth{Type: "header", Secret: "key", Header: "x-api-key"}, wantHeader: "X-Api-Key", wantValue: "s3cr3t"},
		{name: "the plan's tenant picks the secret", tenant: "globex", auth: &model.IntegrationAuth{Type: "header", Secret: "key", Header: "X-Api-Key"}, wantHeader: "X-Api-Key", wantValue: "other"},
		{name: "missing secret fails closed", auth: &model.IntegrationAuth{Type: "bearer", Secret: "gone"}, wantType: TypeCredentialUnavailable},
		{name: "a value a header cannot carry", auth: &model.IntegrationAuth{Type: "header", Secret: "crlf", Header: "X-Api-Key"}, wantType: TypeCredentialUnavailable},
		{name: "no secrets source", auth: &model.IntegrationAuth{Type: "bearer", Secret: "key"}, noSource: true, wantType: TypeCredentialUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newRecorder(t)
			var s SecretSource = src
			if tt.noSource {
				s = nil
			}
			e := authEngine(t, s, nil)
			tenant := tt.tenant
			if tenant == "" {
				tenant = "acme"
			}
			p := Compile(tenant, &model.Integration{Slug: "backend", Auth: tt.auth})
			tg := target(t, up.URL)
			tg.SetHeaders = map[string]string{"X-Static": "1"}
			before := maps.Clone(tg.SetHeaders)
			w := httptest.NewRecorder()
			_, err := e.Do(w, httptest.NewRequest("GET", "/x", nil), p, tg)
			if tt.wantType != "" {
				var pr *problem.Problem
				if !errors.As(err, &pr) || !strings.HasSuffix(pr.Type, tt.wantType) || pr.Status != 503 {
					t.Fatalf("err = %v, want a 503 %s", err, tt.wantType)
				}
				if strings.Contains(pr.Error()+pr.Detail, "s3cr3t") || strings.Contains(pr.Error(), "X-Injected") {
					t.Errorf("the problem carries the value: %v", pr)
				}
				if len(up.headers) != 0 {
					t.Error("the upstream was called without its credential")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := up.headers[0].Get(tt.wantHeader); got != tt.wantValue {
				t.Errorf("%s = %q, want %q", tt.wantHeader, got, tt.wantValue)
			}
			if up.headers[0].Get("X-Static") != "1" {
				t.Error("the integration's other headers were lost")
			}
			if !maps.Equal(tg.SetHeaders, before) {
				t.Errorf("the shared SetHeaders map was written: %v", tg.SetHeaders)
			}
		})
	}
}

// TestCredentialOnEveryAttempt: retries carry the credential, read once
// per call.
func TestCredentialOnEveryAttempt(t *testing.T) {
	src := &fakeSecrets{vals: map[string]string{"acme/key": "s3cr3t"}}
	up := newRecorder(t, 503, 503)
	e := authEngine(t, src, nil)
	p := plan(3)
	p.Auth = compileAuth(&model.IntegrationAuth{Type: "bearer", Secret: "key"})
	w := httptest.NewRecorder()
	if _, err := e.Do(w, httptest.NewRequest("GET", "/x", nil), p, target(t, up.URL)); err != nil || w.Code != 200 {
		t.Fatalf("got %d, %v", w.Code, err)
	}
	if len(up.headers) != 3 {
		t.Fatalf("attempts = %d, want 3", len(up.headers))
	}
	for i, h := range up.headers {
		if h.Get("Authorization") != "Bearer s3cr3t" {
			t.Errorf("attempt %d Authorization = %q", i, h.Get("Authorization"))
		}
	}
	if src.reads != 1 {
		t.Errorf("secret reads = %d, want 1", src.reads)
	}
}

// TestCredentialNotSentToOtherOrigins: a followed redirect to another
// host or port drops the credential; one to the same origin keeps it.
func TestCredentialNotSentToOtherOrigins(t *testing.T) {
	src := &fakeSecrets{vals: map[string]string{"acme/key": "s3cr3t"}}
	other := newRecorder(t)
	var self *recorder
	self = &recorder{}
	self.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		self.mu.Lock()
		self.headers = append(self.headers, r.Header.Clone())
		self.mu.Unlock()
		switch r.URL.Path {
		case "/x":
			w.Header().Set("Location", "/same")
			w.WriteHeader(302)
		case "/same":
			w.Header().Set("Location", other.URL+"/away")
			w.WriteHeader(302)
		}
	}))
	t.Cleanup(self.Close)
	var allow []ssrf.Allowed
	for _, s := range []*httptest.Server{self.Server, other.Server} {
		ap := netip.MustParseAddrPort(s.Listener.Addr().String())
		allow = append(allow, ssrf.Allowed{Prefix: netip.PrefixFrom(ap.Addr(), 32), Port: ap.Port()})
	}
	e := authEngine(t, src, ssrf.New(ssrf.Policy{Allow: allow}))
	p := plan(1)
	p.FollowRedirects = true
	p.Auth = compileAuth(&model.IntegrationAuth{Type: "header", Secret: "key", Header: "X-Api-Key"})
	w := httptest.NewRecorder()
	if _, err := e.Do(w, httptest.NewRequest("GET", "/x", nil), p, target(t, self.URL)); err != nil || w.Code != 200 {
		t.Fatalf("got %d, %v", w.Code, err)
	}
	if len(self.headers) != 2 || self.headers[0].Get("X-Api-Key") != "s3cr3t" || self.headers[1].Get("X-Api-Key") != "s3cr3t" {
		t.Errorf("same-origin hops did not carry the credential: %v", self.headers)
	}
	if len(other.headers) != 1 || other.headers[0].Get("X-Api-Key") != "" {
		t.Errorf("another origin got the credential: %v", other.headers)
	}
}

// TestRedact: the request Call hands to use knows the credential, so the
// test-connection preview can hide an upstream's echo of it.
func TestRedact(t *testing.T) {
	src := &fakeSecrets{vals: map[string]string{"acme/key": "s3cr3t"}}
	up := newRecorder(t)
	e := authEngine(t, src, nil)
	p := plan(1)
	p.Auth = compileAuth(&model.IntegrationAuth{Type: "basic", Secret: "key", Username: "u"})
	var shown string
	_, err := e.Call(httptest.NewRequest("GET", "/x", nil), p, target(t, up.URL), func(x *proxy.Exchange, r *http.Request) error {
		defer x.Discard()
		b := make([]byte, 256)
		n, _ := x.Resp.Body.Read(b)
		shown = Redact(r, string(b[:n])+" raw s3cr3t")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "you sent [redacted] raw [redacted]"; shown != want {
		t.Errorf("redacted = %q, want %q", shown, want)
	}
	if got := Redact(httptest.NewRequest("GET", "/", nil), "s3cr3t"); got != "s3cr3t" {
		t.Errorf("a request without credentials redacted %q", got)
	}
}
