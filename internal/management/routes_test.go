package management

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
)

// TestOptimisticConcurrency covers ETag / If-Match and body revisions on
// every kind of resource that supports them.
func TestOptimisticConcurrency(t *testing.T) {
	for _, rc := range []struct {
		name, path, body string
		token            func(e *env) string
		canDelete        bool
	}{
		{name: "integration", path: "/integrations/backend", body: `{"name":"Backend %d","type":"http","url":"https://backend.example.com"}`, canDelete: false /* in use */},
		{name: "api", path: "/apis/orders", body: `{"name":"Orders %d","basePath":"/orders"}`},
		{name: "consumer", path: "/consumers/mobile", body: `{"name":"Mobile %d"}`, canDelete: true},
		{name: "endpoint", path: "/apis/orders/versions/v1/endpoints/{ep}", body: `{"method":"GET","path":"/items","summary":"s%d","target":{"type":"integration","integration":"backend"}}`, canDelete: true},
		{name: "tenant", path: "/tenants/acme", body: `{"name":"Acme %d"}`},
	} {
		t.Run(rc.name, func(t *testing.T) {
			e := newEnv(t)
			tok := e.token(tenantA, identity.RoleOwner)
			path := prefix + strings.ReplaceAll(rc.path, "{ep}", e.epID)
			body := func(n int, rev string) string {
				b := strings.Replace(rc.body, "%d", itoa(int64(n)), 1)
				if rev != "" {
					b = strings.TrimSuffix(b, "}") + `,"revision":` + rev + `}`
				}
				return b
			}
			method := "PUT"

			rec := e.do("GET", path, tok, "")
			wantStatus(t, rec, http.StatusOK)
			v1 := rec.Header().Get("ETag")
			if v1 != `"1"` {
				t.Fatalf("ETag = %q, want \"1\"", v1)
			}
			rec = e.serve(req{method: method, path: path, token: tok, body: body(1, ""), header: map[string]string{"If-Match": v1}})
			wantStatus(t, rec, http.StatusOK)
			v2 := rec.Header().Get("ETag")
			if v2 != `"2"` {
				t.Fatalf("ETag after update = %q, want \"2\"", v2)
			}
			if got := e.do("GET", path, tok, ""); got.Header().Get("ETag") != v2 {
				t.Fatalf("GET ETag = %q, want %q", got.Header().Get("ETag"), v2)
			}

			before := e.auditCount(tenantA)
			if rc.name == "tenant" {
				before = e.auditCount(tenantA)
			}
			current := e.do("GET", path, tok, "").Body.String()
			unchanged := func(t *testing.T) {
				t.Helper()
				if got := e.do("GET", path, tok, ""); got.Body.String() != current || got.Header().Get("ETag") != v2 {
					t.Fatalf("resource changed by a refused write:\nbefore %s\nafter  %s", current, got.Body)
				}
				if n := e.auditCount(tenantA); n != before {
					t.Fatalf("audit grew from %d to %d on a refused write", before, n)
				}
			}
			t.Run("stale If-Match is 412", func(t *testing.T) {
				rec := e.serve(req{method: method, path: path, token: tok, body: body(2, ""), header: map[string]string{"If-Match": v1}})
				wantProblem(t, rec, http.StatusPreconditionFailed)
				unchanged(t)
			})
			t.Run("stale body revision is 409", func(t *testing.T) {
				wantProblem(t, e.do(method, path, tok, body(3, "1")), http.StatusConflict)
				unchanged(t)
			})
			t.Run("If-Match wins over the body revision", func(t *testing.T) {
				rec := e.serve(req{method: method, path: path, token: tok, body: body(4, "2"), header: map[string]string{"If-Match": v1}})
				wantProblem(t, rec, http.StatusPreconditionFailed)
				unchanged(t)
			})
			t.Run("malformed If-Match is 400", func(t *testing.T) {
				for _, im := range []string{`"abc"`, `"0"`, `"-3"`, `"1", "2"`} {
					rec := e.serve(req{method: method, path: path, token: tok, body: body(5, ""), header: map[string]string{"If-Match": im}})
					wantProblem(t, rec, http.StatusBadRequest)
				}
				unchanged(t)
			})
			t.Run("current body revision", func(t *testing.T) {
				rec := e.do(method, path, tok, body(6, "2"))
				wantStatus(t, rec, http.StatusOK)
				if et := rec.Header().Get("ETag"); et != `"3"` {
					t.Fatalf("ETag = %q, want \"3\"", et)
				}
			})
			t.Run("current If-Match", func(t *testing.T) {
				rec := e.serve(req{method: method, path: path, token: tok, body: body(7, ""), header: map[string]string{"If-Match": `"3"`}})
				wantStatus(t, rec, http.StatusOK)
				if et := rec.Header().Get("ETag"); et != `"4"` {
					t.Fatalf("ETag = %q, want \"4\"", et)
				}
				if n := e.auditCount(tenantA); n != before+2 {
					t.Fatalf("audit = %d, want %d (one entry per accepted write)", n, before+2)
				}
			})
			if rc.name == "tenant" || rc.name == "integration" || rc.name == "api" {
				return
			}
			t.Run("DELETE with stale If-Match is 412", func(t *testing.T) {
				rec := e.serve(req{method: "DELETE", path: path, token: tok, header: map[string]string{"If-Match": `"3"`}})
				wantProblem(t, rec, http.StatusPreconditionFailed)
				wantStatus(t, e.do("GET", path, tok, ""), http.StatusOK)
				rec = e.serve(req{method: "DELETE", path: path, token: tok, header: map[string]string{"If-Match": `"4"`}})
				wantStatus(t, rec, http.StatusNoContent)
				wantProblem(t, e.do("GET", path, tok, ""), http.StatusNotFound)
			})
		})
	}
}

// TestConcurrentIfMatch races writers holding the same ETag: exactly one
// wins, the others get 412, and the audit records one change.
func TestConcurrentIfMatch(t *testing.T) {
	e := newEnv(t)
	tok := e.token(tenantA, identity.RoleDeveloper)
	before := e.auditCount(tenantA)
	const writers = 8
	codes := make([]int, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			rec := e.serve(req{method: "PUT", path: prefix + "/consumers/mobile", token: tok,
				body: `{"name":"writer ` + itoa(int64(i)) + `"}`, header: map[string]string{"If-Match": `"1"`}})
			codes[i] = rec.Code
		})
	}
	wg.Wait()
	var ok, stale int
	for _, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusPreconditionFailed:
			stale++
		default:
			t.Errorf("unexpected status %d", c)
		}
	}
	if ok != 1 || stale != writers-1 {
		t.Fatalf("%d succeeded and %d got 412, want 1 and %d (codes %v)", ok, stale, writers-1, codes)
	}
	if n := e.auditCount(tenantA); n != before+1 {
		t.Fatalf("audit grew by %d, want 1", n-before)
	}
	rec := e.do("GET", prefix+"/consumers/mobile", tok, "")
	if rec.Header().Get("ETag") != `"2"` {
		t.Fatalf("ETag = %q, want \"2\"", rec.Header().Get("ETag"))
	}
}

// TestConcurrentCreates races creates of conflicting routes: exactly one
// endpoint is stored.
func TestConcurrentConflictingRoutes(t *testing.T) {
	e := newEnv(t)
	tok := e.token(tenantA, identity.RoleDeveloper)
	const writers = 6
	codes := make([]int, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			codes[i] = e.do("POST", epPath, tok, `{"method":"POST","path":"/orders/{id}","target":{"type":"integration","integration":"backend"}}`).Code
		})
	}
	wg.Wait()
	created := 0
	for _, c := range codes {
		switch c {
		case http.StatusCreated:
			created++
		case http.StatusConflict, http.StatusServiceUnavailable:
		default:
			t.Errorf("unexpected status %d", c)
		}
	}
	eps := decodeJSON[page[model.Endpoint]](t, e.do("GET", epPath, tok, ""))
	if created != 1 || len(eps.Items) != 2 {
		t.Fatalf("created %d, stored %d endpoints (codes %v), want 1 and 2", created, len(eps.Items), codes)
	}
}

func TestVersionLifecycle(t *testing.T) {
	e := newEnv(t)
	admin := e.token(tenantA, identity.RoleAdmin)
	dev := e.token(tenantA, identity.RoleDeveloper)
	vpath := prefix + "/apis/orders/versions/v1"
	before := e.auditCount(tenantA)

	t.Run("developer cannot publish", func(t *testing.T) {
		wantProblem(t, e.do("POST", vpath+"/publish", dev, ""), http.StatusForbidden)
	})
	t.Run("draft without endpoints cannot be published", func(t *testing.T) {
		wantStatus(t, e.do("POST", prefix+"/apis/orders/versions", dev, `{"name":"v2"}`), http.StatusCreated)
		wantProblem(t, e.do("POST", prefix+"/apis/orders/versions/v2/publish", admin, ""), http.StatusConflict, "/status")
	})
	t.Run("draft cannot be deprecated or retired", func(t *testing.T) {
		wantProblem(t, e.do("POST", vpath+"/deprecate", admin, ""), http.StatusConflict, "/status")
		wantProblem(t, e.do("POST", vpath+"/retire", admin, ""), http.StatusConflict, "/status")
	})
	if n := e.auditCount(tenantA); n != before+1 { // only the v2 create
		t.Fatalf("refused transitions were audited: %d entries, want %d", n, before+1)
	}
	t.Run("admin publishes", func(t *testing.T) {
		rec := e.do("POST", vpath+"/publish", admin, "")
		wantStatus(t, rec, http.StatusOK)
		v := decodeJSON[model.Version](t, rec)
		if v.Status != model.StatusPublished || v.PublishedAt == nil || v.UpdatedBy != "admin@acme.test" {
			t.Fatalf("after publish: %+v", v)
		}
	})
	t.Run("published version cannot be deleted", func(t *testing.T) {
		wantProblem(t, e.do("DELETE", vpath, admin, ""), http.StatusConflict, "/status")
	})
	sunset := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	t.Run("deprecate with sunsetAt", func(t *testing.T) {
		rec := e.do("POST", vpath+"/deprecate", admin, `{"sunsetAt":"2027-01-01T01:00:00+01:00"}`)
		wantStatus(t, rec, http.StatusOK)
		v := decodeJSON[model.Version](t, rec)
		if v.Status != model.StatusDeprecated || v.SunsetAt == nil || !v.SunsetAt.Equal(sunset) || v.SunsetAt.Location() != time.UTC {
			t.Fatalf("after deprecate: %+v", v)
		}
	})
	t.Run("transition body is strict", func(t *testing.T) {
		wantProblem(t, e.do("POST", vpath+"/retire", admin, `{"sunset":"2027-01-01T00:00:00Z"}`), http.StatusBadRequest, "/sunset")
	})
	t.Run("transition with a stale If-Match is 412", func(t *testing.T) {
		rec := e.serve(req{method: "POST", path: vpath + "/retire", token: admin, header: map[string]string{"If-Match": `"1"`}})
		wantProblem(t, rec, http.StatusPreconditionFailed)
	})
	t.Run("retire, streamed empty body", func(t *testing.T) {
		rec := e.serve(req{method: "POST", path: vpath + "/retire", token: admin, rawBody: strings.NewReader("")})
		wantStatus(t, rec, http.StatusOK)
		if v := decodeJSON[model.Version](t, rec); v.Status != model.StatusRetired || !v.SunsetAt.Equal(sunset) {
			t.Fatalf("after retire: %+v", v)
		}
	})
	t.Run("retired is final", func(t *testing.T) {
		// Retiring again is accepted as a no-op (same status), so only the
		// other two transitions are checked.
		for _, action := range []string{"publish", "deprecate"} {
			wantProblem(t, e.do("POST", vpath+"/"+action, admin, ""), http.StatusConflict, "/status")
		}
	})
	t.Run("audit records each transition", func(t *testing.T) {
		rec := e.do("GET", prefix+"/audit?resource=api/orders/version/v1&limit=3", admin, "")
		wantStatus(t, rec, http.StatusOK)
		var actions []string
		for _, a := range decodeJSON[page[model.AuditEntry]](t, rec).Items {
			actions = append(actions, a.Action)
		}
		if strings.Join(actions, ",") != "retire,deprecate,publish" {
			t.Fatalf("audit actions = %v", actions)
		}
	})
	t.Run("patch description keeps status", func(t *testing.T) {
		rec := e.do("PATCH", vpath, dev, `{"description":"old"}`)
		wantStatus(t, rec, http.StatusOK)
		if v := decodeJSON[model.Version](t, rec); v.Status != model.StatusRetired || v.Description != "old" {
			t.Fatalf("after patch: %+v", v)
		}
	})
	t.Run("retired version can be deleted once empty", func(t *testing.T) {
		wantProblem(t, e.do("DELETE", vpath, admin, ""), http.StatusConflict)
		wantStatus(t, e.do("DELETE", vpath+"/endpoints/"+e.epID, dev, ""), http.StatusNoContent)
		wantStatus(t, e.do("DELETE", vpath, admin, ""), http.StatusNoContent)
		wantProblem(t, e.do("GET", vpath, admin, ""), http.StatusNotFound)
	})
}
