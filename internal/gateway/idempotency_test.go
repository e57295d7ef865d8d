package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store/bolt"
)

// idemUpstream answers 201 with the call number and the body it received;
// a body "fail" gets 503, a body "block" waits for release.
type idemUpstream struct {
	calls   atomic.Int64
	entered chan struct{}
	release chan struct{}
}

func newIdemUpstream(t testing.TB) (*idemUpstream, *httptest.Server) {
	u := &idemUpstream{entered: make(chan struct{}, 1), release: make(chan struct{})}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := u.calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		switch string(body) {
		case "fail":
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		case "block":
			u.entered <- struct{}{}
			<-u.release
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", "/items/"+fmt.Sprint(n))
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"call":%d,"body":%q}`, n, body)
	}))
	t.Cleanup(s.Close)
	return u, s
}

// idemStoreOpener opens an empty store with the clock now.
type idemStoreOpener func(t *testing.T, now func() time.Time) IdempotencyStore

func openBolt(t *testing.T, now func() time.Time) IdempotencyStore {
	st, err := bolt.Open(context.Background(), bolt.Config{Path: filepath.Join(t.TempDir(), "idem.db"), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// idemStores are the store adapters the idempotency tests run on: the
// embedded one always, DynamoDB Local unless -short.
func idemStores(t *testing.T) map[string]idemStoreOpener {
	m := map[string]idemStoreOpener{"bolt": openBolt}
	if open := dynamoIdemStores(t); open != nil {
		m["dynamodb"] = open
	}
	return m
}

// idemHarness serves acme with POST /items (ttl 60s), POST /strict (key
// required) and POST /mine (API-key callers), on a store (nil: none)
// sharing the gateway's clock.
func idemHarness(t *testing.T, open idemStoreOpener) (*harness, *idemUpstream) {
	t.Helper()
	h := newHarness(t, func(cfg *Config) {
		cfg.Authenticators = map[model.AuthType]Authenticator{model.AuthAPIKey: userAuth{}}
		if open != nil {
			cfg.Idempotency = open(t, cfg.Now)
		}
	})
	u, s := newIdemUpstream(t)
	withConfig(t, h, s.URL, func(cfg *catalog.TenantConfig) {
		to := model.Target{Type: model.TargetIntegration, Integration: "main"}
		endpointAt(cfg, "POST", "/items").Policies.Idempotency = &model.IdempotencyPolicy{TTLSeconds: 60}
		strict := model.Endpoint{ID: "strict", API: "shop", Version: "v1", Method: "POST", Path: "/strict", Target: to}
		strict.Policies.Idempotency = &model.IdempotencyPolicy{TTLSeconds: 60, Required: true}
		mine := model.Endpoint{ID: "mine", API: "shop", Version: "v1", Method: "POST", Path: "/mine", Target: to}
		mine.Policies.Idempotency = &model.IdempotencyPolicy{TTLSeconds: 60}
		mine.Policies.Auth = &model.AuthPolicy{Type: model.AuthAPIKey}
		cfg.Endpoints = append(cfg.Endpoints, strict, mine)
	})
	return h, u
}

type idemStep struct {
	path    string
	key     string
	body    string
	user    string
	advance time.Duration
	status  int
	call    string // the upstream call number in the answer, "" to skip
	replay  bool
}

func TestIdempotencyKey(t *testing.T) {
	tests := []struct {
		name  string
		steps []idemStep
		calls int64
	}{
		{"first kept and replayed", []idemStep{
			{path: "/items", key: "k1", body: "a", status: 201, call: "1"},
			{path: "/items", key: "k1", body: "a", status: 201, call: "1", replay: true},
			{path: "/items", key: `"k1"`, body: "a", status: 201, call: "1", replay: true},
		}, 1},
		{"same key, other body", []idemStep{
			{path: "/items", key: "k1", body: "a", status: 201, call: "1"},
			{path: "/items", key: "k1", body: "b", status: 422},
		}, 1},
		{"same key, other endpoint", []idemStep{
			{path: "/items", key: "k1", body: "a", status: 201, call: "1"},
			{path: "/strict", key: "k1", body: "a", status: 422},
		}, 1},
		{"other keys are other requests", []idemStep{
			{path: "/items", key: "k1", body: "a", status: 201, call: "1"},
			{path: "/items", key: "k2", body: "a", status: 201, call: "2"},
		}, 2},
		{"no key, no idempotency", []idemStep{
			{path: "/items", body: "a", status: 201, call: "1"},
			{path: "/items", body: "a", status: 201, call: "2"},
		}, 2},
		{"key required", []idemStep{{path: "/strict", body: "a", status: 400}}, 0},
		{"malformed key", []idemStep{{path: "/items", key: strings.Repeat("k", 256), body: "a", status: 400}}, 0},
		{"5xx not kept", []idemStep{
			{path: "/items", key: "k1", body: "fail", status: 503},
			{path: "/items", key: "k1", body: "fail", status: 503},
		}, 2},
		{"expires after ttl", []idemStep{
			{path: "/items", key: "k1", body: "a", status: 201, call: "1"},
			{path: "/items", key: "k1", body: "a", advance: 59 * time.Second, status: 201, call: "1", replay: true},
			{path: "/items", key: "k1", body: "a", advance: 2 * time.Second, status: 201, call: "2"},
		}, 2},
		{"per caller", []idemStep{
			{path: "/mine", key: "k1", body: "a", user: "alice", status: 201, call: "1"},
			{path: "/mine", key: "k1", body: "a", user: "bob", status: 201, call: "2"},
			{path: "/mine", key: "k1", body: "a", user: "alice", status: 201, call: "1", replay: true},
		}, 2},
	}
	for storeName, open := range idemStores(t) {
		for _, tt := range tests {
			t.Run(storeName+"/"+tt.name, func(t *testing.T) {
				h, u := idemHarness(t, open)
				runIdemSteps(t, h, tt.steps)
				if got := u.calls.Load(); got != tt.calls {
					t.Errorf("upstream calls = %d, want %d", got, tt.calls)
				}
			})
		}
	}
}

// runIdemSteps sends each step's POST and checks its answer.
func runIdemSteps(t *testing.T, h *harness, steps []idemStep) {
	t.Helper()
	for i, s := range steps {
		h.clock.Advance(s.advance)
		hdr := []string{}
		if s.key != "" {
			hdr = append(hdr, "Idempotency-Key", s.key)
		}
		if s.user != "" {
			hdr = append(hdr, "X-User", s.user)
		}
		w := h.do(t, "POST", "/t/acme/v1"+s.path, strings.NewReader(s.body), hdr...)
		if w.Code != s.status {
			t.Fatalf("step %d: status = %d, want %d; body %s", i, w.Code, s.status, w.Body)
		}
		if s.status >= 400 && s.status != 503 {
			problemBody(t, w)
		}
		if s.call != "" && !strings.Contains(w.Body.String(), `"call":`+s.call+",") {
			t.Errorf("step %d: body %s, want call %s", i, w.Body, s.call)
		}
		if got := w.Header().Get("Idempotent-Replayed") == "true"; got != s.replay {
			t.Errorf("step %d: replayed = %v, want %v", i, got, s.replay)
		}
		if s.replay {
			if w.Header().Get("Location") != "/items/"+s.call || w.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("step %d: replayed headers %v", i, w.Header())
			}
		}
	}
}

func TestIdempotencyKeyInFlight(t *testing.T) {
	for storeName, open := range idemStores(t) {
		t.Run(storeName, func(t *testing.T) { testInFlight(t, open) })
	}
}

func testInFlight(t *testing.T, open idemStoreOpener) {
	h, u := idemHarness(t, open)
	first := make(chan *httptest.ResponseRecorder)
	go func() {
		first <- h.do(t, "POST", "/t/acme/v1/items", strings.NewReader("block"), "Idempotency-Key", "k1")
	}()
	<-u.entered

	w := h.do(t, "POST", "/t/acme/v1/items", strings.NewReader("block"), "Idempotency-Key", "k1")
	if w.Code != http.StatusConflict || w.Header().Get("Retry-After") == "" {
		t.Fatalf("duplicate in flight: status %d, headers %v", w.Code, w.Header())
	}
	problemBody(t, w)
	if w := h.do(t, "POST", "/t/acme/v1/items", strings.NewReader("other"), "Idempotency-Key", "k1"); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("other body in flight: status %d, want 422", w.Code)
	}

	close(u.release)
	if w := <-first; w.Code != http.StatusCreated {
		t.Fatalf("first: status %d", w.Code)
	}
	w = h.do(t, "POST", "/t/acme/v1/items", strings.NewReader("block"), "Idempotency-Key", "k1")
	if w.Code != http.StatusCreated || w.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("after: status %d, headers %v", w.Code, w.Header())
	}
	if got := u.calls.Load(); got != 1 {
		t.Errorf("upstream calls = %d, want 1", got)
	}
}

func TestIdempotencyKeyWithoutStoreFailsClosed(t *testing.T) {
	h, u := idemHarness(t, nil)
	w := h.do(t, "POST", "/t/acme/v1/items", strings.NewReader("a"), "Idempotency-Key", "k1")
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", w.Code)
	}
	if u.calls.Load() != 0 {
		t.Error("upstream called")
	}
}

func FuzzParseIdempotencyKey(f *testing.F) {
	f.Add(`"abc"`)
	f.Add("a\x00b")
	f.Fuzz(func(t *testing.T, s string) {
		k, ok := parseIdempotencyKey(s)
		if ok && (k == "" || len(k) > maxIdempotencyKeyLen || strings.ContainsAny(k, "\"\\\r\n")) {
			t.Fatalf("accepted %q as %q", s, k)
		}
	})
}
