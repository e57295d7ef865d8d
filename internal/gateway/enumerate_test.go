package gateway

import (
	"net/http/httptest"
	"testing"

	"github.com/portico/portico/internal/auth/detect"
)

// TestTenantEnumerationBlocksTheSource: unknown-tenant 404s are counted per
// source address; at the threshold a security event is raised and that
// address gets 429 with Retry-After for every tenant (so the block itself
// does not reveal which ids exist), while other addresses are served.
func TestTenantEnumerationBlocksTheSource(t *testing.T) {
	h := newAuthHarness(t)
	var events []detect.Event
	h.gw.cfg.Failures = detect.New(detect.Config{EnumerationThreshold: 5, OnEvent: func(e detect.Event) { events = append(events, e) }})
	do := func(ip, path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		r.RemoteAddr = ip + ":4711"
		w := httptest.NewRecorder()
		h.gw.ServeHTTP(w, r)
		return w
	}
	// Unknown routes of a known tenant are not enumeration.
	for range 10 {
		if w := do("203.0.113.9", "/t/acme/v1/nope"); w.Code != 404 {
			t.Fatalf("unknown route: status %d", w.Code)
		}
	}
	if len(events) != 0 {
		t.Fatalf("events for unknown routes: %+v", events)
	}
	for i := range 5 {
		if w := do("203.0.113.9", "/t/probe"+string(rune('a'+i))+"/v1/open"); w.Code != 404 {
			t.Fatalf("unknown tenant %d: status %d", i, w.Code)
		}
	}
	if len(events) != 1 || events[0].By != detect.ByUnknownTenant || events[0].Value != "203.0.113.9" || events[0].BlockedUntil.IsZero() {
		t.Fatalf("events = %+v", events)
	}
	before := h.up.calls.Load()
	for _, path := range []string{"/t/probez/v1/open", "/t/acme/v1/open"} {
		w := do("203.0.113.9", path)
		if w.Code != 429 || w.Header().Get("Retry-After") == "" {
			t.Fatalf("%s from the blocked source: status %d, Retry-After %q", path, w.Code, w.Header().Get("Retry-After"))
		}
		problemBody(t, w)
	}
	if h.up.calls.Load() != before {
		t.Fatal("upstream called for a blocked source")
	}
	// Another address is unaffected.
	if w := do("198.51.100.7", "/t/acme/v1/open"); w.Code != 200 {
		t.Fatalf("other source: status %d", w.Code)
	}
}
