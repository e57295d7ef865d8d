package management

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
)

// TestFullFlow walks the console from an empty tenant to a published API
// and checks the audit trail it leaves.
func TestFullFlow(t *testing.T) {
	e := newEnv(t)
	ops := e.token(PlatformTenant, identity.RoleOwner)

	rec := e.do("POST", prefix+"/tenants", ops, `{"id":"initech","name":"Initech"}`)
	wantStatus(t, rec, http.StatusCreated)
	if loc := rec.Header().Get("Location"); loc != prefix+"/tenants/initech" {
		t.Errorf("Location = %q", loc)
	}
	if et := rec.Header().Get("ETag"); et != `"1"` {
		t.Errorf("ETag = %q, want \"1\"", et)
	}
	owner := e.token("initech", identity.RoleOwner)

	steps := []struct {
		name, path, body, location string
	}{
		{"integration", "/integrations", `{"slug":"billing","name":"Billing","type":"http","url":"https://billing.example.com","timeoutMs":2000}`, "/integrations/billing"},
		{"api", "/apis", `{"slug":"shop","name":"Shop","basePath":"/shop"}`, "/apis/shop"},
		{"version", "/apis/shop/versions", `{"name":"v1","description":"first"}`, "/apis/shop/versions/v1"},
		{"endpoint", "/apis/shop/versions/v1/endpoints", `{"method":"GET","path":"/carts/{id}","target":{"type":"integration","integration":"billing","path":"/c/{id}"},"policies":{"auth":{"type":"apiKey"}}}`, "/apis/shop/versions/v1/endpoints/"},
	}
	for _, s := range steps {
		rec := e.serve(req{method: "POST", path: prefix + s.path, token: owner, body: s.body, header: map[string]string{"X-Request-Id": "create-" + s.name}})
		wantStatus(t, rec, http.StatusCreated)
		if loc := rec.Header().Get("Location"); !strings.HasPrefix(loc, prefix+s.location) {
			t.Errorf("%s: Location = %q, want prefix %q", s.name, loc, prefix+s.location)
		}
		if rec.Header().Get("ETag") != `"1"` {
			t.Errorf("%s: ETag = %q", s.name, rec.Header().Get("ETag"))
		}
	}

	rec = e.do("POST", prefix+"/apis/shop/versions/v1/publish", owner, "")
	wantStatus(t, rec, http.StatusOK)
	v := decodeJSON[model.Version](t, rec)
	if v.Status != model.StatusPublished || v.PublishedAt == nil || v.Revision != 2 {
		t.Fatalf("published version = %+v", v)
	}

	rec = e.do("GET", prefix+"/apis/shop/versions/v1/endpoints", owner, "")
	wantStatus(t, rec, http.StatusOK)
	eps := decodeJSON[page[model.Endpoint]](t, rec)
	if len(eps.Items) != 1 || eps.Items[0].Path != "/carts/{id}" || eps.Items[0].CreatedBy != "owner@initech.test" {
		t.Fatalf("endpoints = %+v", eps)
	}

	rec = e.do("GET", prefix+"/audit", owner, "")
	wantStatus(t, rec, http.StatusOK)
	audit := decodeJSON[page[model.AuditEntry]](t, rec)
	type row struct{ action, typ, resource, actor, requestID string }
	var got []row
	for _, a := range audit.Items {
		got = append(got, row{a.Action, a.ResourceType, a.Resource, a.Actor, a.RequestID})
	}
	epRes := "api/shop/version/v1/endpoint/" + eps.Items[0].ID
	want := []row{ // newest first
		{"publish", "version", "api/shop/version/v1", "owner@initech.test", ""},
		{"create", "endpoint", epRes, "owner@initech.test", "create-endpoint"},
		{"create", "version", "api/shop/version/v1", "owner@initech.test", "create-version"},
		{"create", "api", "api/shop", "owner@initech.test", "create-api"},
		{"create", "integration", "integration/billing", "owner@initech.test", "create-integration"},
		{"create", "tenant", "tenant/initech", "owner@platform.test", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("audit has %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.requestID == "" {
			g.requestID = "" // generated
		}
		if g != w {
			t.Errorf("audit[%d] = %+v, want %+v", i, g, w)
		}
	}
	for i, a := range audit.Items {
		if a.ID == "" || a.Time.IsZero() || a.ActorRole != "owner" {
			t.Errorf("audit[%d] lacks id, time or role: %+v", i, a)
		}
		switch a.Action {
		case "create":
			if a.Before != nil || a.After == nil {
				t.Errorf("audit[%d] create: before=%s after=%s", i, a.Before, a.After)
			}
		case "publish":
			var before, after model.Version
			if json.Unmarshal(a.Before, &before) != nil || json.Unmarshal(a.After, &after) != nil {
				t.Fatalf("audit[%d] publish: before/after not versions: %s / %s", i, a.Before, a.After)
			}
			if before.Status != model.StatusDraft || after.Status != model.StatusPublished || after.Revision != before.Revision+1 {
				t.Errorf("audit publish before=%+v after=%+v", before, after)
			}
		}
	}

	// The audit filter narrows to one resource and its children.
	rec = e.do("GET", prefix+"/audit?resource=api/shop", owner, "")
	wantStatus(t, rec, http.StatusOK)
	if n := len(decodeJSON[page[model.AuditEntry]](t, rec).Items); n != 4 {
		t.Errorf("audit?resource=api/shop has %d entries, want 4", n)
	}
	// Reading changes nothing.
	if n := e.auditCount("initech"); n != len(want) {
		t.Errorf("audit count after reads = %d, want %d", n, len(want))
	}
	// The tenant cannot be deleted while it holds APIs.
	wantProblem(t, e.do("DELETE", prefix+"/tenants/initech", ops, ""), http.StatusConflict)
}

// walk lists path with limit=1 until nextCursor is empty and returns every
// item's key and the cursors seen.
func walk[T any](t *testing.T, e *env, token, path string, key func(T) string) (keys, cursors []string) {
	t.Helper()
	cursor := ""
	for range 100 {
		u := path + "?limit=1"
		if strings.Contains(path, "?") {
			u = path + "&limit=1"
		}
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		rec := e.do("GET", u, token, "")
		wantStatus(t, rec, http.StatusOK)
		p := decodeJSON[page[T]](t, rec)
		if len(p.Items) > 1 {
			t.Fatalf("limit=1 page has %d items", len(p.Items))
		}
		for _, it := range p.Items {
			keys = append(keys, key(it))
		}
		if p.NextCursor == "" {
			return keys, cursors
		}
		if len(p.Items) == 0 {
			t.Fatalf("empty page with a next cursor")
		}
		cursors = append(cursors, p.NextCursor)
		cursor = p.NextCursor
	}
	t.Fatalf("pagination of %s did not end: %q", path, keys[:20])
	return nil, nil
}

func TestPagination(t *testing.T) {
	e := newEnv(t)
	owner := e.token(tenantA, identity.RoleOwner)
	want := []string{"backend"}
	for _, s := range []string{"int-c", "int-a", "int-e", "int-b", "int-d"} {
		must(t, "integration", e.addIntegration(tenantA, s))
		want = append(want, s)
	}
	slices.Sort(want)

	keys, cursors := walk(t, e, owner, prefix+"/integrations", func(in model.Integration) string { return in.Slug })
	if !slices.Equal(keys, want) {
		t.Fatalf("paged slugs = %q, want %q", keys, want)
	}
	if len(cursors) < len(want)-1 {
		t.Fatalf("got %d cursors for %d items", len(cursors), len(want))
	}
	for _, c := range cursors {
		if strings.Contains(c, "INT#") || strings.Contains(c, "TENANT#") {
			t.Fatalf("cursor leaks store keys: %q", c)
		}
	}

	t.Run("every listing pages", func(t *testing.T) {
		for i := range 3 {
			_ = e.do("POST", prefix+"/consumers", owner, fmt.Sprintf(`{"slug":"c%d","name":"C"}`, i))
		}
		keys, _ := walk(t, e, owner, prefix+"/consumers", func(c model.Consumer) string { return c.Slug })
		if !slices.Equal(keys, []string{"c0", "c1", "c2", "mobile"}) {
			t.Errorf("consumers = %q", keys)
		}
		keys, _ = walk(t, e, owner, prefix+"/apis", func(a model.API) string { return a.Slug })
		if !slices.Equal(keys, []string{"orders"}) {
			t.Errorf("apis = %q", keys)
		}
		keys, _ = walk(t, e, e.token(PlatformTenant, identity.RoleViewer), prefix+"/tenants", func(t model.Tenant) string { return t.ID })
		if !slices.Equal(keys, []string{tenantA, tenantB}) {
			t.Errorf("tenants = %q", keys)
		}
		all := e.auditCount(tenantA)
		keys, _ = walk(t, e, owner, prefix+"/audit", func(a model.AuditEntry) string { return a.ID })
		if len(keys) != all || len(slices.Compact(slices.Sorted(slices.Values(keys)))) != all {
			t.Errorf("audit paged %d distinct of %d entries", len(keys), all)
		}
	})

	cursor := cursors[0]
	tampered := []byte(cursor)
	tampered[2] ^= 1
	payload, sig, _ := strings.Cut(cursor, ".")
	_, auditCursors := walk(t, e, owner, prefix+"/audit?resourceType=integration", func(a model.AuditEntry) string { return a.ID })
	if len(auditCursors) == 0 {
		t.Fatal("no audit cursor")
	}
	bad := []struct {
		name, token, path string
	}{
		{"other tenant", e.token(tenantB, identity.RoleOwner), "/integrations?limit=1&cursor=" + cursor},
		{"tampered payload", owner, "/integrations?limit=1&cursor=" + string(tampered)},
		{"tampered signature", owner, "/integrations?limit=1&cursor=" + payload + "." + strings.Repeat("A", len(sig))},
		{"no signature", owner, "/integrations?limit=1&cursor=" + payload},
		{"garbage", owner, "/integrations?cursor=%00%01"},
		{"other listing", owner, "/consumers?limit=1&cursor=" + cursor},
		{"other audit filter", owner, "/audit?limit=1&resourceType=api&cursor=" + auditCursors[0]},
		{"audit cursor on a listing", owner, "/integrations?cursor=" + auditCursors[0]},
		{"huge", owner, "/integrations?cursor=" + strings.Repeat("a", 5000) + ".b"},
	}
	for _, tt := range bad {
		t.Run("cursor/"+tt.name, func(t *testing.T) {
			wantProblem(t, e.do("GET", prefix+tt.path, tt.token, ""), http.StatusBadRequest, "/cursor")
		})
	}
	for _, l := range []string{"0", "-1", "501", "x", "1.5"} {
		t.Run("limit="+l, func(t *testing.T) {
			wantProblem(t, e.do("GET", prefix+"/integrations?limit="+l, owner, ""), http.StatusBadRequest, "/limit")
		})
	}
	t.Run("bad audit time", func(t *testing.T) {
		wantProblem(t, e.do("GET", prefix+"/audit?from=yesterday&to=2026-13-01T00:00:00Z", owner, ""), http.StatusBadRequest, "/from", "/to")
	})
}
