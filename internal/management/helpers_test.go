package management

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/problem"
	"github.com/portico/portico/internal/secrets/sealed"
	"github.com/portico/portico/internal/store/bolt"
)

// Tenants every env is seeded with: tenantA holds the fixtures, tenantB is
// the "other tenant" whose members must never see tenantA's resources.
const (
	tenantA = "acme"
	tenantB = "globex"
)

var baseTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// env is a management Handler over a real bolt store, a real catalog and a
// real signer/verifier pair.
type env struct {
	t      testing.TB
	h      *Handler
	cat    *catalog.Catalog
	signer *identity.Signer
	// now is the test clock: every call advances it by one millisecond, so
	// audit entries are strictly ordered without sleeping.
	now func() time.Time

	// epID is the seeded endpoint GET /items of orders v1 in tenantA.
	epID string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	st, err := bolt.Open(ctx, bolt.Config{Path: filepath.Join(t.TempDir(), "db")})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	var tick atomic.Int64
	clock := func() time.Time { return baseTime.Add(time.Duration(tick.Add(1)) * time.Millisecond) }
	vault, err := sealed.New(sealed.Config{Store: st, Key: make([]byte, sealed.KeySize)})
	if err != nil {
		t.Fatalf("secrets: %v", err)
	}
	cat, err := catalog.New(catalog.Config{Store: st, Now: clock, Secrets: vault})
	if err != nil {
		t.Fatalf("catalog: %v", err)
	}
	signer, err := identity.LoadOrCreateSigner(t.TempDir(), "test-issuer")
	if err != nil {
		t.Fatalf("signer: %v", err)
	}
	ver, err := identity.NewVerifier(identity.VerifierConfig{
		Issuer:   "test-issuer",
		Audience: identity.ConsoleAudience,
		Keys:     identity.StaticKeys(signer.PublicJWKS()),
		Now:      func() time.Time { return baseTime.Add(time.Duration(tick.Load()) * time.Millisecond) },
	})
	if err != nil {
		t.Fatalf("verifier: %v", err)
	}
	h, err := New(Config{
		Catalog:   cat,
		Verifier:  ver,
		DevLogin:  signer,
		JWKS:      signer.JWKSHandler(),
		CursorKey: []byte("0123456789abcdef0123456789abcdef"),
		Logger:    slog.New(slog.DiscardHandler),
		Now:       clock,
		Cache:     testCache(t),
		Workflows: testWorkflows(t),
		Modules:   testModules(t),
	})
	if err != nil {
		t.Fatalf("management.New: %v", err)
	}
	e := &env{t: t, h: h, cat: cat, signer: signer, now: clock}
	e.seed()
	return e
}

var seedActor = catalog.Actor{Subject: "seed@portico.test", Role: "owner"}

// seed creates tenantA with an integration, an API, a draft version with one
// endpoint, a consumer and a member; and an empty tenantB.
func (e *env) seed() {
	e.t.Helper()
	ctx := context.Background()
	for _, id := range []string{tenantA, tenantB} {
		if _, err := e.cat.CreateTenant(ctx, seedActor, &model.Tenant{ID: id, Name: strings.ToUpper(id)}); err != nil {
			e.t.Fatalf("seed tenant %s: %v", id, err)
		}
	}
	must(e.t, "integration", e.addIntegration(tenantA, "backend"))
	must(e.t, "api", e.addAPI(tenantA, "orders", "/orders"))
	must(e.t, "version", e.addVersion(tenantA, "orders", "v1"))
	ep, err := e.addEndpoint(tenantA, "orders", "v1", "GET", "/items")
	must(e.t, "endpoint", err)
	e.epID = ep.ID
	_, err = e.cat.CreateConsumer(ctx, tenantA, seedActor, &model.Consumer{Slug: "mobile", Name: "Mobile app"})
	must(e.t, "consumer", err)
	_, err = e.cat.PutMember(ctx, tenantA, seedActor, &model.Member{Email: "owner@acme.test", Role: "owner"})
	must(e.t, "member", err)
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("seed %s: %v", what, err)
	}
}

func (e *env) addIntegration(tenant, slug string) error {
	_, err := e.cat.CreateIntegration(context.Background(), tenant, seedActor,
		&model.Integration{Slug: slug, Name: "Backend " + slug, Type: model.IntegrationHTTP, URL: "https://backend.example.com"})
	return err
}

func (e *env) addAPI(tenant, slug, base string) error {
	_, err := e.cat.CreateAPI(context.Background(), tenant, seedActor, &model.API{Slug: slug, Name: "API " + slug, BasePath: base})
	return err
}

func (e *env) addVersion(tenant, api, name string) error {
	_, err := e.cat.CreateVersion(context.Background(), tenant, seedActor, api, &model.Version{Name: name})
	return err
}

func (e *env) addEndpoint(tenant, api, ver, method, path string) (*model.Endpoint, error) {
	return e.cat.CreateEndpoint(context.Background(), tenant, seedActor, &model.Endpoint{
		API: api, Version: ver, Method: method, Path: path,
		Target: model.Target{Type: model.TargetIntegration, Integration: "backend"},
	})
}

// setStatus moves a version through the catalog (bypassing HTTP).
func (e *env) setStatus(tenant, api, ver string, to model.VersionStatus) {
	e.t.Helper()
	_, err := e.cat.UpdateVersion(context.Background(), tenant, seedActor, api, ver, 0, string(to), func(v *model.Version) error {
		v.Status = to
		return nil
	})
	if err != nil {
		e.t.Fatalf("set %s/%s %s: %v", api, ver, to, err)
	}
}

// token issues a valid console token for a principal of tenant with role;
// the email is <role>@<tenant>.test.
func (e *env) token(tenant string, role identity.Role) string {
	e.t.Helper()
	return e.issue(e.signer, tenant, role, baseTime, time.Hour)
}

func (e *env) issue(s *identity.Signer, tenant string, role identity.Role, at time.Time, ttl time.Duration) string {
	e.t.Helper()
	email := string(role) + "@" + strings.TrimPrefix(tenant, "_") + ".test"
	tok, err := s.Issue(identity.Principal{Subject: "sub-" + email, Email: email, Tenant: tenant, Role: role}, ttl, at)
	if err != nil {
		e.t.Fatalf("issue token: %v", err)
	}
	return tok
}

// req is one request to the handler.
type req struct {
	method, path, token, body string
	header                    map[string]string
	// rawBody, when set, is sent instead of body with an unknown length.
	rawBody io.Reader
}

func (e *env) serve(r req) *httptest.ResponseRecorder {
	e.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if r.rawBody != nil {
		hr.Body = io.NopCloser(r.rawBody)
		hr.ContentLength = -1
	}
	if r.body != "" || r.rawBody != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, hr)
	return rec
}

func (e *env) do(method, path, token, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.serve(req{method: method, path: path, token: token, body: body})
}

// wantStatus fails unless rec has status want; it prints the body on failure.
func wantStatus(t testing.TB, rec *httptest.ResponseRecorder, want int) {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("status = %d, want %d; body: %s", rec.Code, want, rec.Body.String())
	}
}

// problemDoc is what a client sees of a problem+json body.
type problemDoc struct {
	Type     string               `json:"type"`
	Title    string               `json:"title"`
	Status   int                  `json:"status"`
	Detail   string               `json:"detail"`
	Instance string               `json:"instance"`
	ErrorID  string               `json:"errorId"`
	Errors   []problem.FieldError `json:"errors"`
}

// wantProblem checks status, Content-Type and body of a problem response and
// that its field errors name exactly the pointers given (in any order).
func wantProblem(t testing.TB, rec *httptest.ResponseRecorder, status int, pointers ...string) problemDoc {
	t.Helper()
	wantStatus(t, rec, status)
	if ct := rec.Header().Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("Content-Type = %q, want %q", ct, problem.ContentType)
	}
	var p problemDoc
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body is not JSON: %v: %s", err, rec.Body.String())
	}
	if p.Status != status || p.ErrorID == "" || !strings.HasPrefix(p.Type, problem.TypeBase) {
		t.Fatalf("problem = %+v, want status %d, an errorId and a type", p, status)
	}
	if pointers == nil {
		return p
	}
	var got []string
	for _, fe := range p.Errors {
		got = append(got, fe.Pointer)
	}
	slices.Sort(got)
	want := slices.Clone(pointers)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("pointers = %q, want %q; body: %s", got, want, rec.Body.String())
	}
	return p
}

// noPointers passed to wantProblem asserts the problem has no field errors.
var noPointers = []string{}

func decodeJSON[T any](t testing.TB, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %T: %v: %s", v, err, rec.Body.String())
	}
	return v
}

// auditCount counts every audit entry of tenant through the catalog.
func (e *env) auditCount(tenant string) int {
	e.t.Helper()
	n, cursor := 0, ""
	for {
		items, next, err := e.cat.ListAudit(context.Background(), tenant, catalog.AuditFilter{Limit: 500, Cursor: cursor})
		if err != nil {
			e.t.Fatalf("list audit: %v", err)
		}
		n += len(items)
		if next == "" {
			return n
		}
		cursor = next
	}
}

func isProblem(rec *httptest.ResponseRecorder) bool {
	return rec.Header().Get("Content-Type") == problem.ContentType
}

func statusIn(code int, codes ...int) bool { return slices.Contains(codes, code) }
