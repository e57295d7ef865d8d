package management

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
)

// state is what a refused request must leave untouched.
type state struct {
	audit        int
	configVer    int64
	integrations []string
	endpoints    []string
	apis         []string
}

func (e *env) state() state {
	e.t.Helper()
	ctx := context.Background()
	var s state
	s.audit = e.auditCount(tenantA)
	v, err := e.cat.ConfigVersion(ctx, tenantA)
	if err != nil {
		e.t.Fatal(err)
	}
	s.configVer = v
	ins, _, err := e.cat.ListIntegrations(ctx, tenantA, 500, "")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, in := range ins {
		s.integrations = append(s.integrations, in.Slug+"@"+itoa(in.Revision))
	}
	eps, err := e.cat.ListEndpoints(ctx, tenantA, "orders", "v1")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ep := range eps {
		s.endpoints = append(s.endpoints, ep.Method+" "+ep.Path+"@"+itoa(ep.Revision))
	}
	apis, _, err := e.cat.ListAPIs(ctx, tenantA, 500, "")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range apis {
		s.apis = append(s.apis, a.Slug+"@"+itoa(a.Revision))
	}
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (s state) String() string {
	return strings.Join([]string{
		"audit=" + itoa(int64(s.audit)), "meta=" + itoa(s.configVer),
		"integrations=" + strings.Join(s.integrations, ","),
		"endpoints=" + strings.Join(s.endpoints, ","),
		"apis=" + strings.Join(s.apis, ","),
	}, " ")
}

const (
	intPath = prefix + "/integrations"
	epPath  = prefix + "/apis/orders/versions/v1/endpoints"
	goodInt = `{"slug":"pay","name":"Payments","type":"http","url":"https://pay.example.com"}`
)

func TestBadInputStoresNothing(t *testing.T) {
	e := newEnv(t)
	dev := e.token(tenantA, identity.RoleDeveloper)
	must(t, "api", e.addAPI(tenantA, "legacy", "/legacy"))
	must(t, "version", e.addVersion(tenantA, "legacy", "v1"))
	if _, err := e.addEndpoint(tenantA, "legacy", "v1", "GET", "/items"); err != nil {
		t.Fatal(err)
	}
	big := `{"slug":"pay","name":"Payments","type":"http","url":"https://pay.example.com","headers":{"X-Big":"` + strings.Repeat("a", 1<<20) + `"}}`
	tests := []struct {
		name        string
		method      string
		path        string
		body        string
		contentType string // "" means application/json
		rawBody     io.Reader
		status      int
		pointers    []string // nil: not checked; noPointers: none allowed
	}{
		{name: "malformed JSON", path: intPath, body: `{"slug":"pay","name":`, status: 400, pointers: noPointers},
		{name: "not JSON at all", path: intPath, body: `slug=pay`, status: 400, pointers: noPointers},
		{name: "trailing garbage", path: intPath, body: goodInt + ` x`, status: 400},
		{name: "two objects", path: intPath, body: goodInt + goodInt, status: 400},
		{name: "trailing comma", path: intPath, body: `{"slug":"pay",}`, status: 400},
		{name: "empty body", path: intPath, body: "", rawBody: strings.NewReader(""), status: 400},
		{name: "JSON array", path: intPath, body: `[` + goodInt + `]`, status: 400},
		{name: "JSON null", path: intPath, body: `null`, status: 400, pointers: []string{"/slug", "/name", "/type", "/url"}},
		{name: "unknown field", path: intPath, body: `{"slug":"pay","name":"P","type":"http","url":"https://p.example.com","timeout":5}`, status: 400, pointers: []string{"/timeout"}},
		{name: "unknown nested field", path: intPath, body: `{"slug":"pay","name":"P","type":"http","url":"https://p.example.com","retry":{"maxAttempts":2,"backoff":1}}`, status: 400, pointers: []string{"/retry/backoff"}},
		{name: "wrong type", path: intPath, body: `{"slug":"pay","name":"P","type":"http","url":"https://p.example.com","timeoutMs":"x"}`, status: 400, pointers: []string{"/timeoutMs"}},
		{name: "wrong nested type", path: intPath, body: `{"slug":"pay","name":"P","type":"http","url":"https://p.example.com","retry":{"maxAttempts":"2"}}`, status: 400, pointers: []string{"/retry/maxAttempts"}},
		{name: "wrong type of a meta field", path: intPath, body: `{"slug":"pay","name":"P","type":"http","url":"https://p.example.com","revision":"7"}`, status: 400, pointers: []string{"/revision"}},
		{name: "wrong type of a map value", path: intPath, body: `{"slug":"pay","name":"P","type":"http","url":"https://p.example.com","headers":{"X-A":1}}`, status: 400, pointers: []string{"/headers"}},
		{name: "body over 1 MiB", path: intPath, body: big, status: 413},
		{name: "padding over 1 MiB after the object", path: intPath, body: goodInt + strings.Repeat(" ", 1<<20), status: 413},
		{name: "streamed body over 1 MiB", path: intPath, rawBody: strings.NewReader(big), status: 413},
		{name: "text/plain", path: intPath, body: goodInt, contentType: "text/plain", status: 415},
		{name: "form", path: intPath, body: goodInt, contentType: "application/x-www-form-urlencoded", status: 415},
		{name: "unparsable content type", path: intPath, body: goodInt, contentType: "application/json; =", status: 415},
		{name: "duplicate slug", path: intPath, body: `{"slug":"backend","name":"B","type":"http","url":"https://b.example.com"}`, status: 409, pointers: []string{"/slug"}},
		{name: "many invalid fields", path: intPath, body: `{"slug":"Not OK","name":"","type":"ftp","url":"ftp://x.example.com","timeoutMs":-1}`, status: 400, pointers: []string{"/slug", "/name", "/type", "/url", "/timeoutMs"}},
		{name: "update: renaming slug", method: "PUT", path: intPath + "/backend", body: `{"slug":"other","name":"B","type":"http","url":"https://b.example.com"}`, status: 409, pointers: []string{"/slug"}},
		{name: "update: invalid", method: "PUT", path: intPath + "/backend", body: `{"name":"B","type":"http","url":"https://user:pw@b.example.com"}`, status: 400, pointers: []string{"/url"}},

		{name: "endpoint: invalid path template", path: epPath, body: `{"method":"GET","path":"/items/{id","target":{"type":"integration","integration":"backend"}}`, status: 400, pointers: []string{"/path"}},
		{name: "endpoint: non-canonical path", path: epPath, body: `{"method":"GET","path":"/items/","target":{"type":"integration","integration":"backend"}}`, status: 400, pointers: []string{"/path"}},
		{name: "endpoint: many invalid fields", path: epPath, body: `{"method":"FETCH","path":"items","target":{"type":"lambda"},"policies":{"rateLimit":{"algorithm":"x","scope":"tenant","limit":0,"windowSeconds":60}}}`, status: 400,
			pointers: []string{"/method", "/path", "/target/type", "/policies/rateLimit/algorithm", "/policies/rateLimit/limit"}},
		{name: "endpoint: conflicting route", path: epPath, body: `{"method":"GET","path":"/items","target":{"type":"integration","integration":"backend"}}`, status: 409, pointers: []string{"/path"}},
		{name: "endpoint: ambiguous param route", path: epPath, body: `{"method":"ANY","path":"/items","target":{"type":"integration","integration":"backend"}}`, status: 409, pointers: []string{"/path"}},
		{name: "endpoint: unknown integration", path: epPath, body: `{"method":"GET","path":"/other","target":{"type":"integration","integration":"nosuch"}}`, status: 400, pointers: []string{"/target/integration"}},
		{name: "endpoint: id is server-assigned", path: epPath, body: `{"id":"mine","method":"GET","path":"/other","target":{"type":"integration","integration":"backend"}}`, status: 400, pointers: []string{"/id"}},
		{name: "endpoint: api differs from path", path: epPath, body: `{"api":"billing","version":"v2","method":"GET","path":"/other","target":{"type":"integration","integration":"backend"}}`, status: 400, pointers: []string{"/api", "/version"}},
		{name: "endpoint: wrong nested type", path: epPath, body: `{"method":"GET","path":"/other","target":{"type":"integration","integration":"backend"},"policies":{"cache":{"ttlSeconds":"60"}}}`, status: 400, pointers: []string{"/policies/cache/ttlSeconds"}},
		{name: "endpoint: unknown version", path: prefix + "/apis/orders/versions/v9/endpoints", body: `{"method":"GET","path":"/other","target":{"type":"integration","integration":"backend"}}`, status: 404},
		{name: "endpoint: target param not in path", path: epPath, body: `{"method":"GET","path":"/other","target":{"type":"integration","integration":"backend","path":"/x/{id}"}}`, status: 400, pointers: []string{"/target/path"}},

		{name: "api: bad base path", path: prefix + "/apis", body: `{"slug":"shop","name":"Shop","basePath":"shop/"}`, status: 400, pointers: []string{"/basePath"}},
		{name: "api: base path makes routes ambiguous", method: "PUT", path: prefix + "/apis/orders", body: `{"name":"Orders","basePath":"/legacy"}`, status: 409, pointers: []string{"/basePath"}},
		{name: "endpoint: unknown field in a nested object", path: epPath, body: `{"method":"GET","path":"/other","target":{"type":"integration","integration":"backend","timeout":1}}`, status: 400, pointers: []string{"/target/timeout"}},
		{name: "endpoint: unknown field in an array element", path: epPath, body: `{"method":"GET","path":"/other","target":{"type":"integration","integration":"backend"},"policies":{"requestTransforms":[{"transform":"a"},{"transform":"b","when":"x"}]}}`, status: 400, pointers: []string{"/policies/requestTransforms/1/when"}},
		{name: "version: starts as draft", path: prefix + "/apis/orders/versions", body: `{"name":"v2","status":"published"}`, status: 400, pointers: []string{"/status"}},
		{name: "version: bad name", path: prefix + "/apis/orders/versions", body: `{"name":"2"}`, status: 400, pointers: []string{"/name"}},
		{name: "version: duplicate", path: prefix + "/apis/orders/versions", body: `{"name":"v1"}`, status: 409, pointers: []string{"/name"}},
		{name: "version: wrong time type", method: "PATCH", path: prefix + "/apis/orders/versions/v1", body: `{"sunsetAt":5}`, status: 400},
		{name: "member: path and body disagree", method: "PUT", path: prefix + "/members/a@acme.test", body: `{"email":"b@acme.test","role":"viewer"}`, status: 400, pointers: []string{"/email"}},
		{name: "member: bad role", method: "PUT", path: prefix + "/members/a@acme.test", body: `{"role":"god"}`, status: 400, pointers: []string{"/role"}},
		{name: "tenant: cannot be renamed", method: "PUT", path: prefix + "/tenants/acme", body: `{"id":"acme2","name":"x"}`, status: 409, pointers: []string{"/id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.method == "" {
				tt.method = "POST"
			}
			tok := dev
			if strings.Contains(tt.path, "/members/") || strings.Contains(tt.path, "/tenants/") {
				tok = e.token(tenantA, identity.RoleOwner)
			}
			before := e.state()
			r := req{method: tt.method, path: tt.path, token: tok, body: tt.body, rawBody: tt.rawBody}
			if tt.contentType != "" {
				r.header = map[string]string{"Content-Type": tt.contentType}
			}
			rec := e.serve(r)
			wantProblem(t, rec, tt.status, tt.pointers...)
			if after := e.state(); after.String() != before.String() {
				t.Fatalf("a refused request changed state:\nbefore %s\nafter  %s", before, after)
			}
			if tt.status == 413 && !strings.Contains(rec.Body.String(), "1048576") {
				t.Errorf("413 does not name the limit: %s", rec.Body)
			}
		})
	}

	t.Run("accepted JSON media types", func(t *testing.T) {
		for i, ct := range []string{"application/json", "application/json; charset=utf-8", "application/merge-patch+json"} {
			body := strings.Replace(goodInt, `"pay"`, `"pay`+itoa(int64(i))+`"`, 1)
			r := req{method: "POST", path: intPath, token: dev, body: body}
			if ct != "" {
				r.header = map[string]string{"Content-Type": ct}
			}
			rec := e.serve(r)
			wantStatus(t, rec, http.StatusCreated)
		}
	})
}

func TestNoContentTypeAccepted(t *testing.T) {
	e := newEnv(t)
	rec := e.serve(req{method: "POST", path: intPath, token: e.token(tenantA, identity.RoleDeveloper), rawBody: strings.NewReader(goodInt), header: map[string]string{"Content-Type": ""}})
	wantStatus(t, rec, http.StatusCreated)
	in := decodeJSON[model.Integration](t, rec)
	if in.Slug != "pay" || in.Revision != 1 || in.CreatedBy != "developer@acme.test" {
		t.Fatalf("created = %+v", in)
	}
}
