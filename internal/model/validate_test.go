package model_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/portico/portico/internal/model"
)

// check asserts that errs holds exactly the pointers want, in order, and
// that every detail is non-empty; detail, when set, must appear in the
// detail of the first error.
func check(t *testing.T, errs model.Errors, want []string, detail string) {
	t.Helper()
	got := make([]string, len(errs))
	for i, e := range errs {
		got[i] = e.Pointer
		if strings.TrimSpace(e.Detail) == "" {
			t.Errorf("error %d (%s) has an empty detail", i, e.Pointer)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pointers = %q, want %q\nerrors: %+v", got, want, errs)
	}
	if detail != "" && !strings.Contains(errs[0].Detail, detail) {
		t.Errorf("detail %q does not mention %q", errs[0].Detail, detail)
	}
	if len(want) == 0 && errs.Problem() != nil {
		t.Error("Problem() is not nil without errors")
	}
	if len(want) > 0 {
		p := errs.Problem()
		if p == nil || p.Status != 400 || len(p.Errors) != len(want) {
			t.Errorf("Problem() = %+v, want a 400 listing %d errors", p, len(want))
		}
	}
}

func TestValidateTenant(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*model.Tenant)
		want   []string
		detail string
	}{
		{"valid", func(*model.Tenant) {}, nil, ""},
		{"single char id", func(x *model.Tenant) { x.ID = "a" }, nil, ""},
		{"40 char id", func(x *model.Tenant) { x.ID = strings.Repeat("a", 40) }, nil, ""},
		{"missing id", func(x *model.Tenant) { x.ID = "" }, []string{"/id"}, "required"},
		{"41 char id", func(x *model.Tenant) { x.ID = strings.Repeat("a", 41) }, []string{"/id"}, "1-40"},
		{"uppercase id", func(x *model.Tenant) { x.ID = "Acme" }, []string{"/id"}, "lowercase"},
		{"leading dash", func(x *model.Tenant) { x.ID = "-acme" }, []string{"/id"}, "starting"},
		{"trailing dash", func(x *model.Tenant) { x.ID = "acme-" }, []string{"/id"}, "ending"},
		{"hash in id", func(x *model.Tenant) { x.ID = "ac#me" }, []string{"/id"}, ""},
		{"missing name", func(x *model.Tenant) { x.Name = "" }, []string{"/name"}, "required"},
		{"long name", func(x *model.Tenant) { x.Name = strings.Repeat("n", model.MaxNameLen+1) }, []string{"/name"}, "200"},
		{"max name", func(x *model.Tenant) { x.Name = strings.Repeat("n", model.MaxNameLen) }, nil, ""},
		{"control char in name", func(x *model.Tenant) { x.Name = "Acme\nCorp" }, []string{"/name"}, "control"},
		{"DEL in name", func(x *model.Tenant) { x.Name = "Acme\x7f" }, []string{"/name"}, "control"},
		{"long description", func(x *model.Tenant) { x.Description = strings.Repeat("d", model.MaxDescriptionLen+1) }, []string{"/description"}, "4000"},
		{"all invalid", func(x *model.Tenant) {
			x.ID, x.Name, x.Description = "ACME", "", strings.Repeat("d", model.MaxDescriptionLen+1)
		}, []string{"/id", "/name", "/description"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := model.Tenant{ID: "acme", Name: "Acme Corp", Description: "widgets"}
			tt.mutate(&x)
			check(t, model.ValidateTenant(&x), tt.want, tt.detail)
		})
	}
}

func TestValidateAPI(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*model.API)
		want   []string
		detail string
	}{
		{"valid", func(*model.API) {}, nil, ""},
		{"empty base path", func(a *model.API) { a.BasePath = "" }, nil, ""},
		{"nested base path", func(a *model.API) { a.BasePath = "/shop/orders" }, nil, ""},
		{"param in base path", func(a *model.API) { a.BasePath = "/shops/{shop}" }, nil, ""},
		{"root base path", func(a *model.API) { a.BasePath = "/" }, []string{"/basePath"}, "not /"},
		{"no leading slash", func(a *model.API) { a.BasePath = "orders" }, []string{"/basePath"}, "start with"},
		{"trailing slash", func(a *model.API) { a.BasePath = "/orders/" }, []string{"/basePath"}, "trailing"},
		{"double slash", func(a *model.API) { a.BasePath = "/a//b" }, []string{"/basePath"}, "empty segment"},
		{"dot segment", func(a *model.API) { a.BasePath = "/a/../b" }, []string{"/basePath"}, "dot segment"},
		{"percent escape", func(a *model.API) { a.BasePath = "/a%20b" }, []string{"/basePath"}, "percent"},
		{"greedy param", func(a *model.API) { a.BasePath = "/files/{rest+}" }, []string{"/basePath"}, "greedy"},
		{"bad param name", func(a *model.API) { a.BasePath = "/{1x}" }, []string{"/basePath"}, "param name"},
		{"detail has no route prefix", func(a *model.API) { a.BasePath = "x" }, []string{"/basePath"}, "must start"},
		{"missing slug", func(a *model.API) { a.Slug = "" }, []string{"/slug"}, "required"},
		{"bad slug", func(a *model.API) { a.Slug = "Orders_API" }, []string{"/slug"}, ""},
		{"missing name", func(a *model.API) { a.Name = "" }, []string{"/name"}, "required"},
		{"all invalid", func(a *model.API) {
			a.Slug, a.Name, a.Description, a.BasePath = "", "x\x00", strings.Repeat("d", 4001), "/x/"
		}, []string{"/slug", "/name", "/description", "/basePath"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := model.API{Slug: "orders", Name: "Orders", BasePath: "/orders"}
			tt.mutate(&a)
			errs := model.ValidateAPI(&a)
			check(t, errs, tt.want, tt.detail)
			for _, e := range errs {
				if strings.HasPrefix(e.Detail, "route") || strings.Contains(e.Detail, "bad template") {
					t.Errorf("detail %q leaks the route package's error prefix", e.Detail)
				}
			}
		})
	}
}

func TestValidateVersion(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*model.Version)
		want   []string
		detail string
	}{
		{"valid draft", func(*model.Version) {}, nil, ""},
		{"valid retired", func(v *model.Version) { v.Status = model.StatusRetired }, nil, ""},
		{"v123456", func(v *model.Version) { v.Name = "v123456" }, nil, ""},
		{"missing name", func(v *model.Version) { v.Name = "" }, []string{"/name"}, "required"},
		{"leading zero", func(v *model.Version) { v.Name = "v01" }, []string{"/name"}, "v1"},
		{"v0", func(v *model.Version) { v.Name = "v0" }, []string{"/name"}, ""},
		{"no v", func(v *model.Version) { v.Name = "1" }, []string{"/name"}, ""},
		{"capital V", func(v *model.Version) { v.Name = "V1" }, []string{"/name"}, ""},
		{"semver", func(v *model.Version) { v.Name = "v1.2" }, []string{"/name"}, ""},
		{"too long", func(v *model.Version) { v.Name = "v1234567" }, []string{"/name"}, ""},
		{"empty status", func(v *model.Version) { v.Status = "" }, []string{"/status"}, "draft, published"},
		{"unknown status", func(v *model.Version) { v.Status = "live" }, []string{"/status"}, ""},
		{"long description", func(v *model.Version) { v.Description = strings.Repeat("d", 4001) }, []string{"/description"}, ""},
		{"all invalid", func(v *model.Version) {
			v.Name, v.Status, v.Description = "x", "gone", strings.Repeat("d", 4001)
		}, []string{"/name", "/status", "/description"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := model.Version{API: "orders", Name: "v1", Status: model.StatusDraft}
			tt.mutate(&v)
			check(t, model.ValidateVersion(&v), tt.want, tt.detail)
		})
	}
}

func TestCanTransition(t *testing.T) {
	all := []model.VersionStatus{model.StatusDraft, model.StatusPublished, model.StatusDeprecated, model.StatusRetired, "", "bogus"}
	allowed := map[[2]model.VersionStatus]bool{
		{model.StatusDraft, model.StatusPublished}:      true,
		{model.StatusPublished, model.StatusDeprecated}: true,
		{model.StatusPublished, model.StatusRetired}:    true,
		{model.StatusDeprecated, model.StatusPublished}: true,
		{model.StatusDeprecated, model.StatusRetired}:   true,
	}
	for _, from := range all {
		for _, to := range all {
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				want := allowed[[2]model.VersionStatus{from, to}]
				if got := model.CanTransition(from, to); got != want {
					t.Errorf("CanTransition(%q, %q) = %v, want %v", from, to, got, want)
				}
			})
		}
	}
}

func TestVersionRouted(t *testing.T) {
	for s, want := range map[model.VersionStatus]bool{
		model.StatusDraft: false, model.StatusPublished: true, model.StatusDeprecated: true, model.StatusRetired: false,
	} {
		if got := (model.Version{Status: s}).Routed(); got != want {
			t.Errorf("Routed() of %s = %v, want %v", s, got, want)
		}
	}
}

func validEndpoint() model.Endpoint {
	return model.Endpoint{
		API: "orders", Version: "v1", Method: "GET", Path: "/orders/{id}", Summary: "Get an order",
		Target: model.Target{Type: model.TargetIntegration, Integration: "backend", Path: "/items/{id}"},
		Policies: model.Policies{
			Auth:      &model.AuthPolicy{Type: model.AuthJWT, Scopes: []string{"orders:read"}, Roles: []string{"reader"}},
			RateLimit: &model.RateLimitPolicy{Algorithm: model.TokenBucket, Scope: model.ScopeConsumer, Limit: 100, WindowSeconds: 60, Burst: 10},
			Cache:     &model.CachePolicy{TTLSeconds: 60, Methods: []string{"GET", "HEAD"}, KeyHeaders: []string{"Accept-Language"}, MaxEntrySize: 1 << 20},
			CORS: &model.CORSPolicy{AllowOrigins: []string{"https://app.example.com", "http://localhost:3000"},
				AllowMethods: []string{"GET", "POST"}, AllowHeaders: []string{"Authorization"}, ExposeHeaders: []string{"X-Request-Id"},
				AllowCredentials: true, MaxAgeSeconds: 600},
			RequestTransforms:  []model.TransformRef{{Transform: "strip-pii"}},
			ResponseTransforms: []model.TransformRef{{Transform: "camel-case"}},
		},
	}
}

func TestValidateEndpoint(t *testing.T) {
	type tc struct {
		name   string
		mutate func(*model.Endpoint)
		want   []string
		detail string
	}
	tests := []tc{
		{"valid", func(*model.Endpoint) {}, nil, ""},
		{"minimal", func(e *model.Endpoint) {
			*e = model.Endpoint{Method: "POST", Path: "/", Target: model.Target{Type: model.TargetIntegration, Integration: "b"}}
		}, nil, ""},
		{"ANY method", func(e *model.Endpoint) { e.Method = "ANY" }, nil, ""},
		{"greedy path", func(e *model.Endpoint) { e.Path, e.Target.Path = "/files/{rest+}", "/{rest}" }, nil, ""},
		{"target path without params", func(e *model.Endpoint) { e.Target.Path = "/health" }, nil, ""},
		{"workflow target", func(e *model.Endpoint) { e.Target = model.Target{Type: model.TargetWorkflow, Workflow: "checkout"} }, nil, ""},

		// method
		{"missing method", func(e *model.Endpoint) { e.Method = "" }, []string{"/method"}, "GET"},
		{"lowercase method", func(e *model.Endpoint) { e.Method = "get" }, []string{"/method"}, ""},
		{"unknown method", func(e *model.Endpoint) { e.Method = "TRACE" }, []string{"/method"}, ""},

		// path templates
		{"missing path", func(e *model.Endpoint) { e.Path, e.Target.Path = "", "" }, []string{"/path"}, "required"},
		{"no leading slash", func(e *model.Endpoint) { e.Path, e.Target.Path = "orders", "" }, []string{"/path"}, "start with /"},
		{"trailing slash", func(e *model.Endpoint) { e.Path, e.Target.Path = "/orders/", "" }, []string{"/path"}, "trailing"},
		{"empty segment", func(e *model.Endpoint) { e.Path, e.Target.Path = "/a//b", "" }, []string{"/path"}, "empty segment"},
		{"dot segment", func(e *model.Endpoint) { e.Path, e.Target.Path = "/a/./b", "" }, []string{"/path"}, "dot segment"},
		{"dotdot segment", func(e *model.Endpoint) { e.Path, e.Target.Path = "/a/..", "" }, []string{"/path"}, "dot segment"},
		{"percent escape", func(e *model.Endpoint) { e.Path, e.Target.Path = "/a%2Fb", "" }, []string{"/path"}, "percent"},
		{"space", func(e *model.Endpoint) { e.Path, e.Target.Path = "/a b", "" }, []string{"/path"}, "not allowed"},
		{"query string", func(e *model.Endpoint) { e.Path, e.Target.Path = "/a?b=c", "" }, []string{"/path"}, "not allowed"},
		{"param not whole segment", func(e *model.Endpoint) { e.Path, e.Target.Path = "/order-{id}", "" }, []string{"/path"}, "whole segment"},
		{"unclosed param", func(e *model.Endpoint) { e.Path, e.Target.Path = "/{id", "" }, []string{"/path"}, "whole segment"},
		{"empty param", func(e *model.Endpoint) { e.Path, e.Target.Path = "/{}", "" }, []string{"/path"}, "param name"},
		{"param starting with digit", func(e *model.Endpoint) { e.Path, e.Target.Path = "/{1id}", "" }, []string{"/path"}, "param name"},
		{"param with dash", func(e *model.Endpoint) { e.Path, e.Target.Path = "/{order-id}", "" }, []string{"/path"}, "param name"},
		{"duplicate param", func(e *model.Endpoint) { e.Path, e.Target.Path = "/{id}/x/{id}", "" }, []string{"/path"}, "duplicate"},
		{"greedy not last", func(e *model.Endpoint) { e.Path, e.Target.Path = "/{rest+}/x", "" }, []string{"/path"}, "last segment"},
		{"control char", func(e *model.Endpoint) { e.Path, e.Target.Path = "/a\x00", "" }, []string{"/path"}, "byte 0x00"},

		// target
		{"missing target type", func(e *model.Endpoint) { e.Target.Type = "" }, []string{"/target/type"}, "required"},
		{"unknown target type", func(e *model.Endpoint) { e.Target.Type = "lambda" }, []string{"/target/type"}, "integration or workflow"},
		{"missing integration", func(e *model.Endpoint) { e.Target.Integration = "" }, []string{"/target/integration"}, "required"},
		{"bad integration slug", func(e *model.Endpoint) { e.Target.Integration = "Back End" }, []string{"/target/integration"}, ""},
		{"integration with workflow", func(e *model.Endpoint) { e.Target.Workflow = "wf" }, []string{"/target/workflow"}, "must be empty"},
		{"workflow with integration", func(e *model.Endpoint) {
			e.Target = model.Target{Type: model.TargetWorkflow, Workflow: "wf", Integration: "backend"}
		}, []string{"/target/integration"}, "must be empty"},
		{"missing workflow", func(e *model.Endpoint) { e.Target = model.Target{Type: model.TargetWorkflow} }, []string{"/target/workflow"}, "required"},
		{"target param not in path", func(e *model.Endpoint) { e.Target.Path = "/items/{itemId}" }, []string{"/target/path"}, "{itemId}"},
		{"two target params not in path", func(e *model.Endpoint) {
			e.Target.Path = "/{a}/{b}"
		}, []string{"/target/path", "/target/path"}, "{a}"},
		{"bad target path", func(e *model.Endpoint) { e.Target.Path = "items" }, []string{"/target/path"}, "start with"},
		{"invalid endpoint path does not also blame the target", func(e *model.Endpoint) {
			e.Path = "/orders/{id}/"
		}, []string{"/path"}, "trailing"},

		// auth
		{"auth none", func(e *model.Endpoint) { e.Policies.Auth = &model.AuthPolicy{Type: model.AuthNone} }, nil, ""},
		{"auth unknown type", func(e *model.Endpoint) { e.Policies.Auth.Type = "basic" }, []string{"/policies/auth/type"}, "apiKey"},
		{"webhook auth", func(e *model.Endpoint) {
			e.Policies.Auth = &model.AuthPolicy{Type: model.AuthWebhook, Secrets: []string{"stripe-new", "stripe-old"}, ToleranceSeconds: 60}
		}, nil, ""},
		{"webhook auth without secrets", func(e *model.Endpoint) {
			e.Policies.Auth = &model.AuthPolicy{Type: model.AuthWebhook}
		}, []string{"/policies/auth/secrets"}, "secret"},
		{"webhook auth with three secrets", func(e *model.Endpoint) {
			e.Policies.Auth = &model.AuthPolicy{Type: model.AuthWebhook, Secrets: []string{"a", "b", "c"}}
		}, []string{"/policies/auth/secrets"}, "at most 2"},
		{"webhook auth bad and repeated secret names", func(e *model.Endpoint) {
			e.Policies.Auth = &model.AuthPolicy{Type: model.AuthWebhook, Secrets: []string{".internal", ".internal"}}
		}, []string{"/policies/auth/secrets/0", "/policies/auth/secrets/1"}, "secret name"},
		{"webhook auth tolerance out of range", func(e *model.Endpoint) {
			e.Policies.Auth = &model.AuthPolicy{Type: model.AuthWebhook, Secrets: []string{"s"}, ToleranceSeconds: 3601}
		}, []string{"/policies/auth/toleranceSeconds"}, "3600"},
		{"webhook auth with scopes", func(e *model.Endpoint) {
			e.Policies.Auth = &model.AuthPolicy{Type: model.AuthWebhook, Secrets: []string{"s"}, Scopes: []string{"x"}}
		}, []string{"/policies/auth"}, "no scopes"},
		{"secrets on a non-webhook policy", func(e *model.Endpoint) {
			e.Policies.Auth.Secrets, e.Policies.Auth.ToleranceSeconds = []string{"s"}, 10
		}, []string{"/policies/auth/secrets", "/policies/auth/toleranceSeconds"}, "only webhook"},
		{"auth bad scope", func(e *model.Endpoint) { e.Policies.Auth.Scopes = []string{"ok", "has space"} }, []string{"/policies/auth/scopes/1"}, "scope"},
		{"auth bad role", func(e *model.Endpoint) { e.Policies.Auth.Roles = []string{`a"b`} }, []string{"/policies/auth/roles/0"}, "role"},
		{"auth too many scopes", func(e *model.Endpoint) {
			e.Policies.Auth.Scopes = slices.Repeat([]string{"s"}, model.MaxListLen+1)
		}, []string{"/policies/auth/scopes"}, "at most 100"},
		{"auth none with scopes", func(e *model.Endpoint) { e.Policies.Auth.Type = model.AuthNone }, []string{"/policies/auth"}, "scopes and roles"},

		// rate limit
		{"rate limit fixed window", func(e *model.Endpoint) {
			e.Policies.RateLimit = &model.RateLimitPolicy{Algorithm: model.FixedWindow, Scope: model.ScopeTenant, Limit: 1, WindowSeconds: 86400}
		}, nil, ""},
		{"rate limit max", func(e *model.Endpoint) { e.Policies.RateLimit.Limit = 1_000_000_000 }, nil, ""},
		{"rate limit zero", func(e *model.Endpoint) { e.Policies.RateLimit.Limit = 0 }, []string{"/policies/rateLimit/limit"}, "between 1 and"},
		{"rate limit negative", func(e *model.Endpoint) { e.Policies.RateLimit.Limit = -5 }, []string{"/policies/rateLimit/limit"}, ""},
		{"rate limit above max", func(e *model.Endpoint) { e.Policies.RateLimit.Limit = 1_000_000_001 }, []string{"/policies/rateLimit/limit"}, ""},
		{"window zero", func(e *model.Endpoint) { e.Policies.RateLimit.WindowSeconds = 0 }, []string{"/policies/rateLimit/windowSeconds"}, "86400"},
		{"window above a day", func(e *model.Endpoint) { e.Policies.RateLimit.WindowSeconds = 86401 }, []string{"/policies/rateLimit/windowSeconds"}, ""},
		{"unknown algorithm", func(e *model.Endpoint) { e.Policies.RateLimit.Algorithm, e.Policies.RateLimit.Burst = "leaky", 0 }, []string{"/policies/rateLimit/algorithm"}, "tokenBucket"},
		{"unknown algorithm with burst", func(e *model.Endpoint) { e.Policies.RateLimit.Algorithm = "leaky" }, []string{"/policies/rateLimit/algorithm", "/policies/rateLimit/burst"}, ""},
		{"target param missing from root path", func(e *model.Endpoint) { e.Path = "/" }, []string{"/target/path"}, "{id}"},
		{"unknown method does not blame the cache policy", func(e *model.Endpoint) { e.Method = "get" }, []string{"/method"}, ""},
		{"unknown scope", func(e *model.Endpoint) { e.Policies.RateLimit.Scope = "ip" }, []string{"/policies/rateLimit/scope"}, "consumer"},
		{"negative burst", func(e *model.Endpoint) { e.Policies.RateLimit.Burst = -1 }, []string{"/policies/rateLimit/burst"}, "tokenBucket"},
		{"burst without token bucket", func(e *model.Endpoint) { e.Policies.RateLimit.Algorithm = model.SlidingWindow }, []string{"/policies/rateLimit/burst"}, "tokenBucket"},

		// cache
		{"cache on ANY", func(e *model.Endpoint) { e.Method = "ANY" }, nil, ""},
		{"cache on HEAD", func(e *model.Endpoint) { e.Method = "HEAD" }, nil, ""},
		{"cache stale a week", func(e *model.Endpoint) { n := 604800; e.Policies.Cache.StaleIfErrorSeconds = &n }, nil, ""},
		{"cache stale off", func(e *model.Endpoint) { n := 0; e.Policies.Cache.StaleIfErrorSeconds = &n }, nil, ""},
		{"cache on POST", func(e *model.Endpoint) { e.Method = "POST" }, []string{"/policies/cache"}, "GET and HEAD"},
		{"cache ttl zero", func(e *model.Endpoint) { e.Policies.Cache.TTLSeconds = 0 }, []string{"/policies/cache/ttlSeconds"}, "604800"},
		{"cache ttl above a week", func(e *model.Endpoint) { e.Policies.Cache.TTLSeconds = 604801 }, []string{"/policies/cache/ttlSeconds"}, ""},
		{"cache method POST", func(e *model.Endpoint) { e.Policies.Cache.Methods = []string{"GET", "POST"} }, []string{"/policies/cache/methods/1"}, "GET or HEAD"},
		{"cache bad key header", func(e *model.Endpoint) { e.Policies.Cache.KeyHeaders = []string{"Bad Header"} }, []string{"/policies/cache/keyHeaders/0"}, "header name"},
		{"cache bad tag", func(e *model.Endpoint) { e.Policies.Cache.Tags = []string{"ok", "a,b", "a b", ""} }, []string{"/policies/cache/tags/1", "/policies/cache/tags/2", "/policies/cache/tags/3"}, "printable ASCII"},
		{"cache entry too big", func(e *model.Endpoint) { e.Policies.Cache.MaxEntrySize = 6<<20 + 1 }, []string{"/policies/cache/maxEntryBytes"}, ""},
		{"cache stale negative", func(e *model.Endpoint) { n := -1; e.Policies.Cache.StaleIfErrorSeconds = &n }, []string{"/policies/cache/staleIfErrorSeconds"}, "between 0 and 604800"},
		{"cache stale above a week", func(e *model.Endpoint) { n := 604801; e.Policies.Cache.StaleIfErrorSeconds = &n }, []string{"/policies/cache/staleIfErrorSeconds"}, ""},
		{"cache entry negative", func(e *model.Endpoint) { e.Policies.Cache.MaxEntrySize = -1 }, []string{"/policies/cache/maxEntryBytes"}, ""},
		{"cache status 206", func(e *model.Endpoint) { e.Policies.Cache.Statuses = []int{404, 206} }, []string{"/policies/cache/statuses/1"}, "not 206"},
		{"cache status 100", func(e *model.Endpoint) { e.Policies.Cache.Statuses = []int{100} }, []string{"/policies/cache/statuses/0"}, ""},

		// CORS
		{"cors wildcard", func(e *model.Endpoint) {
			e.Policies.CORS.AllowOrigins, e.Policies.CORS.AllowCredentials = []string{"*"}, false
		}, nil, ""},
		{"cors origin with port", func(e *model.Endpoint) { e.Policies.CORS.AllowOrigins = []string{"https://app.example.com:8443"} }, nil, ""},
		{"cors no origins", func(e *model.Endpoint) { e.Policies.CORS.AllowOrigins = nil }, []string{"/policies/cors/allowOrigins"}, "at least one"},
		{"cors wildcard with credentials", func(e *model.Endpoint) {
			e.Policies.CORS.AllowOrigins = []string{"https://a.example.com", "*"}
		}, []string{"/policies/cors/allowOrigins/1"}, "allowCredentials"},
		{"cors origin with path", func(e *model.Endpoint) { e.Policies.CORS.AllowOrigins = []string{"https://app.example.com/app"} }, []string{"/policies/cors/allowOrigins/0"}, "origin like"},
		{"cors origin without scheme", func(e *model.Endpoint) { e.Policies.CORS.AllowOrigins = []string{"app.example.com"} }, []string{"/policies/cors/allowOrigins/0"}, ""},
		{"cors origin ftp", func(e *model.Endpoint) { e.Policies.CORS.AllowOrigins = []string{"ftp://app.example.com"} }, []string{"/policies/cors/allowOrigins/0"}, ""},
		{"cors origin with query", func(e *model.Endpoint) { e.Policies.CORS.AllowOrigins = []string{"https://a.example.com?x=1"} }, []string{"/policies/cors/allowOrigins/0"}, ""},
		{"cors origin with fragment", func(e *model.Endpoint) { e.Policies.CORS.AllowOrigins = []string{"https://a.example.com#x"} }, []string{"/policies/cors/allowOrigins/0"}, ""},
		{"cors origin with userinfo", func(e *model.Endpoint) { e.Policies.CORS.AllowOrigins = []string{"https://user:pw@a.example.com"} }, []string{"/policies/cors/allowOrigins/0"}, ""},
		{"cors origin null", func(e *model.Endpoint) { e.Policies.CORS.AllowOrigins = []string{"null"} }, []string{"/policies/cors/allowOrigins/0"}, ""},
		{"cors origin unparsable", func(e *model.Endpoint) { e.Policies.CORS.AllowOrigins = []string{"https://a b"} }, []string{"/policies/cors/allowOrigins/0"}, ""},
		{"cors several bad origins", func(e *model.Endpoint) {
			e.Policies.CORS.AllowOrigins = []string{"x", "https://ok.example.com", "y"}
		}, []string{"/policies/cors/allowOrigins/0", "/policies/cors/allowOrigins/2"}, ""},
		{"cors method ANY", func(e *model.Endpoint) { e.Policies.CORS.AllowMethods = []string{"ANY"} }, []string{"/policies/cors/allowMethods/0"}, "HTTP method"},
		{"cors bad method", func(e *model.Endpoint) { e.Policies.CORS.AllowMethods = []string{"GET", "FETCH"} }, []string{"/policies/cors/allowMethods/1"}, ""},
		{"cors bad allow header", func(e *model.Endpoint) { e.Policies.CORS.AllowHeaders = []string{"X:Y"} }, []string{"/policies/cors/allowHeaders/0"}, ""},
		{"cors bad expose header", func(e *model.Endpoint) { e.Policies.CORS.ExposeHeaders = []string{""} }, []string{"/policies/cors/exposeHeaders/0"}, ""},
		{"cors max age", func(e *model.Endpoint) { e.Policies.CORS.MaxAgeSeconds = 86401 }, []string{"/policies/cors/maxAgeSeconds"}, "86400"},
		{"cors negative max age", func(e *model.Endpoint) { e.Policies.CORS.MaxAgeSeconds = -1 }, []string{"/policies/cors/maxAgeSeconds"}, ""},

		// transforms
		{"bad request transform", func(e *model.Endpoint) {
			e.Policies.RequestTransforms = []model.TransformRef{{Transform: "ok"}, {Transform: ""}}
		}, []string{"/policies/requestTransforms/1/transform"}, "required"},
		{"bad response transform", func(e *model.Endpoint) {
			e.Policies.ResponseTransforms = []model.TransformRef{{Transform: "Bad"}}
		}, []string{"/policies/responseTransforms/0/transform"}, ""},

		// descriptive fields
		{"summary with newline", func(e *model.Endpoint) { e.Summary = "a\nb" }, []string{"/summary"}, "control"},
		{"long description", func(e *model.Endpoint) { e.Description = strings.Repeat("d", 4001) }, []string{"/description"}, ""},

		{"everything invalid at once", func(e *model.Endpoint) {
			e.Method = "FETCH"
			e.Path = "/orders/{id}"
			e.Summary = strings.Repeat("s", 201)
			e.Description = strings.Repeat("d", 4001)
			e.Target = model.Target{Type: model.TargetIntegration, Integration: "", Workflow: "wf", Path: "/x/{nope}"}
			e.Policies.Auth = &model.AuthPolicy{Type: "basic", Scopes: []string{" "}}
			e.Policies.RateLimit = &model.RateLimitPolicy{Algorithm: "x", Scope: "y", Limit: 0, WindowSeconds: 0, Burst: -1}
			e.Policies.Cache = &model.CachePolicy{TTLSeconds: 0, Methods: []string{"PUT"}, KeyHeaders: []string{"a b"}, MaxEntrySize: -1}
			e.Policies.CORS = &model.CORSPolicy{AllowOrigins: []string{"*", "nope"}, AllowCredentials: true, AllowMethods: []string{"ANY"},
				AllowHeaders: []string{"("}, ExposeHeaders: []string{")"}, MaxAgeSeconds: -1}
			e.Policies.RequestTransforms = []model.TransformRef{{}}
			e.Policies.ResponseTransforms = []model.TransformRef{{Transform: "-"}}
		}, []string{
			"/method",
			"/summary",
			"/description",
			"/target/integration",
			"/target/workflow",
			"/target/path",
			"/policies/auth/type",
			"/policies/auth/scopes/0",
			"/policies/rateLimit/algorithm",
			"/policies/rateLimit/scope",
			"/policies/rateLimit/limit",
			"/policies/rateLimit/windowSeconds",
			"/policies/rateLimit/burst",
			"/policies/cache/ttlSeconds",
			"/policies/cache/methods/0",
			"/policies/cache/keyHeaders/0",
			"/policies/cache/maxEntryBytes",
			"/policies/cors/allowOrigins/0",
			"/policies/cors/allowOrigins/1",
			"/policies/cors/allowMethods/0",
			"/policies/cors/allowHeaders/0",
			"/policies/cors/exposeHeaders/0",
			"/policies/cors/maxAgeSeconds",
			"/policies/requestTransforms/0/transform",
			"/policies/responseTransforms/0/transform",
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := validEndpoint()
			tt.mutate(&e)
			check(t, model.ValidateEndpoint(&e), tt.want, tt.detail)
		})
	}
}

func validIntegration() model.Integration {
	return model.Integration{
		Slug: "backend", Name: "Backend", Type: model.IntegrationHTTP, URL: "https://backend.example.com/api",
		Method: "POST", Headers: map[string]string{"X-Api-Key": "{{secret:backend}}", "Accept": "application/json"},
		TimeoutMs:      5000,
		Retry:          &model.RetryPolicy{MaxAttempts: 3, BaseDelayMs: 100, MaxDelayMs: 2000, RetryOn: []int{502, 503}},
		CircuitBreaker: &model.BreakerPolicy{FailureRatio: 0.5, MinRequests: 20, OpenSeconds: 30},
	}
}

func TestValidateIntegration(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*model.Integration)
		want   []string
		detail string
	}{
		{"valid", func(*model.Integration) {}, nil, ""},
		{"valid graphql", func(in *model.Integration) {
			in.Type, in.GraphQL = model.IntegrationGraphQL, &model.GraphQLConfig{Query: "query Me { me { id } }", OperationName: "Me"}
		}, nil, ""},
		{"http URL with port and query", func(in *model.Integration) { in.URL = "http://10.0.0.1:8080/x?y=1" }, nil, ""},
		{"upper-case scheme", func(in *model.Integration) { in.URL = "HTTPS://backend.example.com" }, nil, ""},
		{"no method", func(in *model.Integration) { in.Method = "" }, nil, ""},
		{"ratio one", func(in *model.Integration) { in.CircuitBreaker.FailureRatio = 1 }, nil, ""},

		{"missing slug", func(in *model.Integration) { in.Slug = "" }, []string{"/slug"}, "required"},
		{"missing name", func(in *model.Integration) { in.Name = "" }, []string{"/name"}, "required"},
		{"missing type", func(in *model.Integration) { in.Type = "" }, []string{"/type"}, "required"},
		{"unknown type", func(in *model.Integration) { in.Type = "grpc" }, []string{"/type"}, "http or graphql"},

		{"missing URL", func(in *model.Integration) { in.URL = "" }, []string{"/url"}, "required"},
		{"relative URL", func(in *model.Integration) { in.URL = "/api" }, []string{"/url"}, "absolute"},
		{"no host", func(in *model.Integration) { in.URL = "https:///api" }, []string{"/url"}, "absolute"},
		{"unparsable URL", func(in *model.Integration) { in.URL = "https://a b.com/%zz" }, []string{"/url"}, "absolute"},
		{"ftp scheme", func(in *model.Integration) { in.URL = "ftp://files.example.com" }, []string{"/url"}, "scheme"},
		{"file scheme", func(in *model.Integration) { in.URL = "file://host/etc/passwd" }, []string{"/url"}, "scheme"},
		{"credentials in URL", func(in *model.Integration) { in.URL = "https://user:secret@backend.example.com" }, []string{"/url"}, "credentials"},
		{"user only in URL", func(in *model.Integration) { in.URL = "https://user@backend.example.com" }, []string{"/url"}, "credentials"},
		{"fragment", func(in *model.Integration) { in.URL = "https://backend.example.com/#x" }, []string{"/url"}, "fragment"},
		{"CRLF in URL", func(in *model.Integration) { in.URL = "https://backend.example.com/\r\nX: y" }, []string{"/url"}, ""},

		{"method ANY", func(in *model.Integration) { in.Method = "ANY" }, []string{"/method"}, "HTTP method"},
		{"lowercase method", func(in *model.Integration) { in.Method = "post" }, []string{"/method"}, ""},

		{"hop-by-hop header", func(in *model.Integration) { in.Headers = map[string]string{"connection": "close"} }, []string{"/headers/connection"}, "hop-by-hop"},
		{"every hop-by-hop header", func(in *model.Integration) {
			in.Headers = map[string]string{}
			for _, h := range []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host", "Content-Length"} {
				in.Headers[h] = "x"
			}
		}, []string{"/headers/Connection", "/headers/Content-Length", "/headers/Host", "/headers/Keep-Alive", "/headers/Proxy-Authenticate",
			"/headers/Proxy-Authorization", "/headers/TE", "/headers/Trailer", "/headers/Transfer-Encoding", "/headers/Upgrade"}, ""},
		{"bad header name", func(in *model.Integration) { in.Headers = map[string]string{"X Bad": "v"} }, []string{"/headers/X Bad"}, "header name"},
		{"header name pointer is escaped", func(in *model.Integration) { in.Headers = map[string]string{"a/b~c": "v"} }, []string{"/headers/a~1b~0c"}, ""},
		{"CR in header value", func(in *model.Integration) { in.Headers = map[string]string{"X-A": "a\rb"} }, []string{"/headers/X-A"}, "CR, LF"},
		{"LF in header value", func(in *model.Integration) { in.Headers = map[string]string{"X-A": "a\nSet-Cookie: x"} }, []string{"/headers/X-A"}, "CR, LF"},
		{"NUL in header value", func(in *model.Integration) { in.Headers = map[string]string{"X-A": "a\x00"} }, []string{"/headers/X-A"}, ""},
		{"bad name and bad value", func(in *model.Integration) { in.Headers = map[string]string{"X(": "a\n"} }, []string{"/headers/X(", "/headers/X("}, ""},
		{"too many headers", func(in *model.Integration) {
			in.Headers = map[string]string{}
			for i := range model.MaxHeaders + 1 {
				in.Headers["X-H"+strings.Repeat("a", i)] = "v"
			}
		}, []string{"/headers"}, "at most 50"},

		{"negative timeout", func(in *model.Integration) { in.TimeoutMs = -1 }, []string{"/timeoutMs"}, ""},
		{"timeout too long", func(in *model.Integration) { in.TimeoutMs = 300_001 }, []string{"/timeoutMs"}, "300000"},

		{"retry zero attempts", func(in *model.Integration) { in.Retry.MaxAttempts = 0 }, []string{"/retry/maxAttempts"}, "1 and 10"},
		{"retry 11 attempts", func(in *model.Integration) { in.Retry.MaxAttempts = 11 }, []string{"/retry/maxAttempts"}, ""},
		{"retry negative base", func(in *model.Integration) { in.Retry.BaseDelayMs = -1 }, []string{"/retry/baseDelayMs"}, ""},
		{"retry max below base", func(in *model.Integration) { in.Retry.MaxDelayMs = 50 }, []string{"/retry/maxDelayMs"}, "baseDelayMs"},
		{"retry max too big", func(in *model.Integration) { in.Retry.MaxDelayMs = 300_001 }, []string{"/retry/maxDelayMs"}, ""},
		{"retry on 200 and 600", func(in *model.Integration) { in.Retry.RetryOn = []int{200, 503, 600} }, []string{"/retry/retryOn/0", "/retry/retryOn/2"}, "400 and 599"},

		{"breaker zero ratio", func(in *model.Integration) { in.CircuitBreaker.FailureRatio = 0 }, []string{"/circuitBreaker/failureRatio"}, ""},
		{"breaker ratio above one", func(in *model.Integration) { in.CircuitBreaker.FailureRatio = 1.01 }, []string{"/circuitBreaker/failureRatio"}, ""},
		{"breaker min requests", func(in *model.Integration) { in.CircuitBreaker.MinRequests = 0 }, []string{"/circuitBreaker/minRequests"}, ""},
		{"breaker open seconds", func(in *model.Integration) { in.CircuitBreaker.OpenSeconds = 3601 }, []string{"/circuitBreaker/openSeconds"}, ""},

		{"graphql without config", func(in *model.Integration) { in.Type = model.IntegrationGraphQL }, []string{"/graphql/query"}, "required"},
		{"graphql blank query", func(in *model.Integration) {
			in.Type, in.GraphQL = model.IntegrationGraphQL, &model.GraphQLConfig{Query: " \n\t"}
		}, []string{"/graphql/query"}, "required"},
		{"graphql query too long", func(in *model.Integration) {
			in.Type, in.GraphQL = model.IntegrationGraphQL, &model.GraphQLConfig{Query: strings.Repeat("q", 100_001)}
		}, []string{"/graphql/query"}, "100000"},
		{"graphql config on http", func(in *model.Integration) { in.GraphQL = &model.GraphQLConfig{Query: "{ a }"} }, []string{"/graphql"}, "only valid"},

		{"everything invalid at once", func(in *model.Integration) {
			*in = model.Integration{Slug: "X", Name: "", Type: model.IntegrationGraphQL, URL: "gopher://h", Method: "ANY",
				Headers:   map[string]string{"Upgrade": "h2c", "X-Ok": "a\r\n"},
				TimeoutMs: -5, Retry: &model.RetryPolicy{MaxAttempts: 0, BaseDelayMs: -1, MaxDelayMs: -1, RetryOn: []int{1}},
				CircuitBreaker: &model.BreakerPolicy{}}
		}, []string{"/slug", "/name", "/url", "/method", "/headers/Upgrade", "/headers/X-Ok", "/timeoutMs",
			"/retry/maxAttempts", "/retry/baseDelayMs", "/retry/maxDelayMs", "/retry/retryOn/0",
			"/circuitBreaker/failureRatio", "/circuitBreaker/minRequests", "/circuitBreaker/openSeconds", "/graphql/query"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validIntegration()
			tt.mutate(&in)
			check(t, model.ValidateIntegration(&in), tt.want, tt.detail)
		})
	}
}

func TestValidateConsumer(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*model.Consumer)
		want   []string
		detail string
	}{
		{"valid", func(*model.Consumer) {}, nil, ""},
		{"no metadata", func(c *model.Consumer) { c.Metadata = nil }, nil, ""},
		{"missing slug", func(c *model.Consumer) { c.Slug = "" }, []string{"/slug"}, "required"},
		{"missing name", func(c *model.Consumer) { c.Name = "" }, []string{"/name"}, "required"},
		{"long description", func(c *model.Consumer) { c.Description = strings.Repeat("d", 4001) }, []string{"/description"}, ""},
		{"empty metadata key", func(c *model.Consumer) { c.Metadata = map[string]string{"": "v"} }, []string{"/metadata/"}, "1-128"},
		{"long metadata key", func(c *model.Consumer) {
			c.Metadata = map[string]string{strings.Repeat("k", 129): "v"}
		}, []string{"/metadata/" + strings.Repeat("k", 129)}, ""},
		{"long metadata value", func(c *model.Consumer) {
			c.Metadata = map[string]string{"a/b": strings.Repeat("v", 1025)}
		}, []string{"/metadata/a~1b"}, "1024"},
		{"too many metadata entries", func(c *model.Consumer) {
			c.Metadata = map[string]string{}
			for i := range model.MaxHeaders + 1 {
				c.Metadata[strings.Repeat("k", i+1)] = "v"
			}
		}, []string{"/metadata"}, "at most 50"},
		{"all invalid", func(c *model.Consumer) {
			*c = model.Consumer{Slug: "-", Description: strings.Repeat("d", 4001), Metadata: map[string]string{"": ""}}
		}, []string{"/slug", "/name", "/description", "/metadata/"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := model.Consumer{Slug: "mobile-app", Name: "Mobile app", Metadata: map[string]string{"team": "mobile"}}
			tt.mutate(&c)
			check(t, model.ValidateConsumer(&c), tt.want, tt.detail)
		})
	}
}

func TestValidateMember(t *testing.T) {
	tests := []struct {
		name   string
		m      model.Member
		want   []string
		detail string
	}{
		{"owner", model.Member{Email: "ada@example.com", Role: "owner"}, nil, ""},
		{"admin", model.Member{Email: "ada@example.com", Role: "admin"}, nil, ""},
		{"developer", model.Member{Email: "Ada.Lovelace+x@Example.COM", Role: "developer"}, nil, ""},
		{"viewer", model.Member{Email: "a@b", Role: "viewer"}, nil, ""},
		{"missing email", model.Member{Role: "viewer"}, []string{"/email"}, "email"},
		{"no at", model.Member{Email: "ada.example.com", Role: "viewer"}, []string{"/email"}, ""},
		{"two ats", model.Member{Email: "a@b@c", Role: "viewer"}, []string{"/email"}, ""},
		{"space", model.Member{Email: "a da@example.com", Role: "viewer"}, []string{"/email"}, ""},
		{"newline", model.Member{Email: "ada@example.com\n", Role: "viewer"}, []string{"/email"}, ""},
		{"local part too long", model.Member{Email: strings.Repeat("a", 65) + "@example.com", Role: "viewer"}, []string{"/email"}, ""},
		{"unknown role", model.Member{Email: "ada@example.com", Role: "root"}, []string{"/role"}, "owner, admin"},
		{"capitalised role", model.Member{Email: "ada@example.com", Role: "Owner"}, []string{"/role"}, ""},
		{"both invalid", model.Member{}, []string{"/email", "/role"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, model.ValidateMember(&tt.m), tt.want, tt.detail)
		})
	}
}

func TestValidSlugAndVersionName(t *testing.T) {
	for s, want := range map[string]bool{"a": true, "a-b": true, "0": true, "a--b": true, "": false, "A": false, "a_b": false, "a.b": false, "é": false} {
		if got := model.ValidSlug(s); got != want {
			t.Errorf("ValidSlug(%q) = %v, want %v", s, got, want)
		}
	}
	for s, want := range map[string]bool{"v1": true, "v10": true, "v999999": true, "v0": false, "v": false, "v1a": false, "1": false} {
		if got := model.ValidVersionName(s); got != want {
			t.Errorf("ValidVersionName(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestErrorsAdd(t *testing.T) {
	var e model.Errors
	if e.Problem() != nil {
		t.Fatal("zero Errors has a problem")
	}
	e.Add("/a", "must be %d", 3)
	if len(e) != 1 || e[0].Pointer != "/a" || e[0].Detail != "must be 3" {
		t.Fatalf("Add recorded %+v", e)
	}
}

// FuzzValidateEndpoint feeds arbitrary JSON documents to ValidateEndpoint:
// it must never panic, every pointer must be a JSON pointer into the
// document, and a document it accepts must stay accepted after a JSON round
// trip.
func FuzzValidateEndpoint(f *testing.F) {
	valid := validEndpoint()
	b, err := json.Marshal(&valid)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	for _, s := range []string{
		`{}`,
		`null`,
		`{"method":"GET","path":"/{a}/{a}","target":{"type":"integration","integration":"x","path":"/{b}"}}`,
		`{"method":"ANY","path":"/files/{p+}","target":{"type":"workflow","workflow":"w"},"policies":{"cors":{"allowOrigins":["*","http://[::1]:80"],"allowCredentials":true}}}`,
		`{"method":"POST","path":"/a","policies":{"cache":{"ttlSeconds":-1,"methods":["PUT"]},"rateLimit":{"limit":-1,"burst":-1}}}`,
		`{"path":"/\u0000","target":{"path":"%zz"},"policies":{"auth":{"type":"none","scopes":["\"\\"]}}}`,
		`{"policies":{"cors":{"allowOrigins":["%", "http://%41", "https://a.com:99999", "//x"]}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var ep model.Endpoint
		if json.Unmarshal(data, &ep) != nil {
			return
		}
		errs := model.ValidateEndpoint(&ep)
		for _, e := range errs {
			if !strings.HasPrefix(e.Pointer, "/") {
				t.Fatalf("pointer %q does not start with /", e.Pointer)
			}
			if e.Detail == "" {
				t.Fatalf("empty detail for %s", e.Pointer)
			}
		}
		if len(errs) == 0 {
			again, err := json.Marshal(&ep)
			if err != nil {
				t.Fatal(err)
			}
			var ep2 model.Endpoint
			if err := json.Unmarshal(again, &ep2); err != nil {
				t.Fatal(err)
			}
			if errs2 := model.ValidateEndpoint(&ep2); len(errs2) != 0 {
				t.Fatalf("valid endpoint invalid after round trip: %+v", errs2)
			}
		}
	})
}
