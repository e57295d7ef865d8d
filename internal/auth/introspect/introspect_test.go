package introspect_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/auth/introspect"
	"github.com/portico/portico/internal/integration/ssrf"
)

// idp is an introspection endpoint that knows a few tokens and counts
// calls.
type idp struct {
	srv   *httptest.Server
	calls atomic.Int64
	exp   int64
}

func newIdP(t *testing.T) *idp {
	p := &idp{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.calls.Add(1)
		id, secret, ok := r.BasicAuth()
		if !ok || id != "gateway" || secret != "s3cret" || r.Method != http.MethodPost {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.PostForm.Get("token") {
		case "good":
			_ = json.NewEncoder(w).Encode(map[string]any{"active": true, "sub": "user-1", "scope": "orders:read", "exp": p.exp, "aud": []string{"orders-api"}})
		case "broken":
			_, _ = w.Write([]byte(`{"sub":"x"}`))
		case "fail":
			http.Error(w, "down", http.StatusInternalServerError)
		default:
			_, _ = w.Write([]byte(`{"active":false}`))
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func TestIntrospect(t *testing.T) {
	p := newIdP(t)
	now := time.Unix(1_800_000_000, 0)
	var clock atomic.Int64
	clock.Store(now.Unix())
	in := introspect.New(introspect.Config{TTL: time.Minute, Now: func() time.Time { return time.Unix(clock.Load(), 0) }})
	ep := introspect.Endpoint{URL: p.srv.URL, ClientID: "gateway", ClientSecret: "s3cret"}
	p.exp = now.Unix() + 20 // shorter than the TTL

	ask := func(tok string) (*introspect.Result, int64) {
		t.Helper()
		before := p.calls.Load()
		res, err := in.Introspect(t.Context(), ep, tok)
		if err != nil {
			t.Fatalf("%s: %v", tok, err)
		}
		return res, p.calls.Load() - before
	}
	res, calls := ask("good")
	if !res.Active || res.Subject != "user-1" || res.Scope != "orders:read" || res.Audiences()[0] != "orders-api" || calls != 1 {
		t.Fatalf("first: %+v, %d calls", res, calls)
	}
	if _, calls := ask("good"); calls != 0 {
		t.Errorf("cache hit made %d calls", calls)
	}
	clock.Add(19)
	if _, calls := ask("good"); calls != 0 {
		t.Errorf("hit before exp made %d calls", calls)
	}
	clock.Add(1) // at exp: min(exp, TTL) is over
	if _, calls := ask("good"); calls != 1 {
		t.Errorf("after exp: %d calls, want 1", calls)
	}

	res, calls = ask("unknown")
	if res.Active || calls != 1 {
		t.Errorf("inactive: %+v, %d calls", res, calls)
	}
	if _, calls := ask("unknown"); calls != 0 {
		t.Errorf("inactive answers are cached too; made %d calls", calls)
	}
	clock.Add(61)
	if _, calls := ask("unknown"); calls != 1 {
		t.Errorf("after the TTL: %d calls, want 1", calls)
	}

	for _, tok := range []string{"broken", "fail"} {
		if _, err := in.Introspect(t.Context(), ep, tok); !errors.Is(err, introspect.ErrUnavailable) {
			t.Errorf("%s: err = %v, want ErrUnavailable", tok, err)
		}
	}
	bad := ep
	bad.ClientSecret = "wrong"
	if _, err := in.Introspect(t.Context(), bad, "good2"); !errors.Is(err, introspect.ErrUnavailable) {
		t.Errorf("rejected client: err = %v, want ErrUnavailable", err)
	}
}

// TestIntrospectGuarded: behind the SSRF guard, a loopback endpoint is
// refused at dial time and never called.
func TestIntrospectGuarded(t *testing.T) {
	p := newIdP(t)
	g := ssrf.New(ssrf.Policy{AnyPort: true})
	client := &http.Client{Transport: &http.Transport{DialContext: g.Dialer(time.Second).DialContext}}
	in := introspect.New(introspect.Config{Client: client})
	_, err := in.Introspect(t.Context(), introspect.Endpoint{URL: p.srv.URL, ClientID: "gateway", ClientSecret: "s3cret"}, "good")
	if !errors.Is(err, ssrf.ErrDenied) || !errors.Is(err, introspect.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable wrapping ssrf.ErrDenied", err)
	}
	if n := p.calls.Load(); n != 0 {
		t.Errorf("endpoint called %d times", n)
	}
}
