package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/portico/portico/internal/auth/apikey"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
)

// TestPlanFromAPIKey: the plan named by a real API key, verified by the
// auth stage, limits that key's consumer.
func TestPlanFromAPIKey(t *testing.T) {
	up := newCountingUpstream(t)
	keys := &keyStore{}
	clock := newFakeClock()
	ver, err := apikey.New(apikey.Config{Lookup: keys.lookup, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	cfg := authConfig("acme", up.URL)
	cfg.Plans = []model.Plan{{Slug: "gold", Name: "Gold", Limits: []model.RateLimitPolicy{{Algorithm: model.SlidingWindow, Limit: 2, WindowSeconds: 60}}}}
	gw, err := New(Config{
		Source:         newFakeSource(cfg),
		Forwarder:      proxy.New(proxy.Config{Logger: discardLogger()}),
		Now:            clock.Now,
		Logger:         discardLogger(),
		Authenticators: map[model.AuthType]Authenticator{model.AuthAPIKey: ver},
	})
	if err != nil {
		t.Fatal(err)
	}
	gold := keys.issue("acme", model.APIKey{ID: "k1", Consumer: "mobile", Plan: "gold"})
	free := keys.issue("acme", model.APIKey{ID: "k2", Consumer: "web"})
	do := func(key string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/t/acme/v1/keyed", nil)
		r.Header.Set("X-Api-Key", key)
		w := httptest.NewRecorder()
		gw.ServeHTTP(w, r)
		return w
	}
	for i, want := range []int{200, 200, 429} {
		w := do(gold)
		if w.Code != want {
			t.Fatalf("gold request %d: %d, want %d", i+1, w.Code, want)
		}
		if got := w.Header().Get("RateLimit-Policy"); got != `"plan-gold";q=2;w=60` {
			t.Errorf("gold request %d: RateLimit-Policy %q", i+1, got)
		}
	}
	for i := range 3 {
		if w := do(free); w.Code != http.StatusOK || w.Header().Get("RateLimit") != "" {
			t.Fatalf("key without plan, request %d: %d, RateLimit %q", i+1, w.Code, w.Header().Get("RateLimit"))
		}
	}
}
