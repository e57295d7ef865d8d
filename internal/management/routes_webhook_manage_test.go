package management

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/model"
)

// catalogTester is what app wires: the subscription's target from the
// catalog, one attempt of a real deliverer.
type catalogTester struct {
	cat *catalog.Catalog
	del *webhook.Deliverer
}

func (c catalogTester) Test(ctx context.Context, tenant, sub string) (webhook.TestResult, error) {
	s, err := c.cat.WebhookTarget(ctx, tenant, sub)
	if err != nil {
		return webhook.TestResult{}, err
	}
	return c.del.Test(ctx, tenant, s)
}

// hookReceiver keeps the requests it gets and answers status.
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	header http.Header
	body   []byte
	status int
}

func newHookReceiver(t *testing.T, status int) *hookReceiver {
	r := &hookReceiver{status: status}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.header, r.body = req.Header.Clone(), b
		r.mu.Unlock()
		w.WriteHeader(r.status)
		_, _ = io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// verifies reports whether the last request verifies with secret.
func (r *hookReceiver) verifies(t *testing.T, secret string) bool {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	v, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(r.header, r.body)
	return err == nil
}

func TestPatchWebhook(t *testing.T) {
	e := newEnv(t)
	admin := e.token(tenantA, identity.RoleAdmin)
	id := addWebhook(t, e)
	path := prefix + "/webhooks/" + id

	rec := e.do("PATCH", path, admin, `{"description":"orders feed","disabled":true,"events":["*"]}`)
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") != `"2"` {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	var got model.WebhookSubscription
	_ = json.Unmarshal(rec.Body.Bytes(), &got)
	if !got.Disabled || got.Description != "orders feed" || got.Events[0] != "*" || got.URL != "https://hooks.example.com/in" {
		t.Fatalf("patched %+v", got)
	}
	tests := []struct {
		name, ifMatch, body string
		status              int
		pointer             string
	}{
		{"stale If-Match", `"1"`, `{"disabled":false}`, http.StatusPreconditionFailed, ""},
		{"stale body revision", "", `{"disabled":false,"revision":1}`, http.StatusConflict, ""},
		{"bad URL", "", `{"url":"gopher://x"}`, http.StatusBadRequest, "/url"},
		{"bad event", "", `{"events":["Nope"]}`, http.StatusBadRequest, "/events/0"},
		{"no events", "", `{"events":[]}`, http.StatusBadRequest, "/events"},
		{"the id cannot change", "", `{"id":"wh_other"}`, http.StatusBadRequest, ""},
		{"current If-Match", `"2"`, `{"disabled":false}`, http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("PATCH", path, strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+admin)
			req.Header.Set("Content-Type", "application/json")
			if tt.ifMatch != "" {
				req.Header.Set("If-Match", tt.ifMatch)
			}
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if tt.pointer != "" && !strings.Contains(rec.Body.String(), `"pointer":"`+tt.pointer+`"`) {
				t.Fatalf("no error at %s: %s", tt.pointer, rec.Body)
			}
		})
	}
	if rec := e.do("PATCH", prefix+"/webhooks/wh_nope", admin, `{"disabled":true}`); rec.Code != http.StatusNotFound {
		t.Fatalf("unknown subscription: %d", rec.Code)
	}
	if rec := e.do("PATCH", path, e.token(tenantA, identity.RoleDeveloper), `{"disabled":true}`); rec.Code != http.StatusForbidden {
		t.Fatalf("developer: %d", rec.Code)
	}
	audit, _, err := e.cat.ListAudit(context.Background(), tenantA, catalog.AuditFilter{ResourceType: "webhook"})
	if err != nil || len(audit) != 3 { // create, two updates
		t.Fatalf("audit %d entries, %v", len(audit), err)
	}
}

// TestRotateAndTestWebhook: a rotation returns a new secret once; test
// sends through a real deliverer reach a real receiver signed with both
// secrets, then (after a rotation without grace) with the new one only.
func TestRotateAndTestWebhook(t *testing.T) {
	e := newEnv(t)
	admin, dev := e.token(tenantA, identity.RoleAdmin), e.token(tenantA, identity.RoleDeveloper)
	recv := newHookReceiver(t, http.StatusAccepted)
	del, err := webhook.NewDeliverer(webhook.DelivererConfig{Client: recv.srv.Client(), Log: e.cat})
	if err != nil {
		t.Fatal(err)
	}
	e.h.cfg.WebhookTests = catalogTester{e.cat, del}

	rec := e.do("POST", prefix+"/webhooks", admin, `{"url":"`+recv.srv.URL+`/in","events":["config.changed"]}`)
	var created struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &created)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	path := prefix + "/webhooks/" + created.ID

	rec = e.do("POST", path+"/rotate-secret", admin, `{"graceSeconds":3600}`)
	var rotated struct {
		Secret                  string     `json:"secret"`
		PreviousSecretExpiresAt *time.Time `json:"previousSecretExpiresAt"`
		Revision                int64      `json:"revision"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &rotated)
	if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "no-store" || rotated.Secret == created.Secret ||
		rotated.PreviousSecretExpiresAt == nil || rotated.Revision != 2 {
		t.Fatalf("rotate: %d %s", rec.Code, rec.Body)
	}

	rec = e.do("POST", path+"/test", dev, "")
	var res webhook.TestResult
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("test: %d %s", rec.Code, rec.Body)
	}
	if res.State != webhook.StateDelivered || res.EventType != model.EventWebhookTest || res.Response == nil ||
		res.Response.Status != http.StatusAccepted || res.Response.Body != `{"received":true}` {
		t.Fatalf("test result %s", rec.Body)
	}
	if !recv.verifies(t, created.Secret) || !recv.verifies(t, rotated.Secret) {
		t.Fatal("during the grace period a receiver with either secret must accept")
	}
	if strings.Contains(rec.Body.String(), strings.TrimPrefix(rotated.Secret, webhook.SecretPrefix)) {
		t.Fatal("the test answer carries the secret")
	}
	// The test is in the delivery log and the audit trail.
	rec = e.do("GET", path+"/deliveries", e.token(tenantA, identity.RoleViewer), "")
	if !strings.Contains(rec.Body.String(), `"id":"`+res.ID+`"`) || !strings.Contains(rec.Body.String(), `"eventType":"webhook.test"`) {
		t.Fatalf("deliveries: %s", rec.Body)
	}
	audit, _, err := e.cat.ListAudit(context.Background(), tenantA, catalog.AuditFilter{ResourceType: "webhook-delivery"})
	if err != nil || len(audit) != 1 || audit[0].Action != "test" {
		t.Fatalf("audit %+v %v", audit, err)
	}

	rec = e.do("POST", path+"/rotate-secret", admin, `{"graceSeconds":0}`)
	rotated.PreviousSecretExpiresAt = nil
	_ = json.Unmarshal(rec.Body.Bytes(), &rotated)
	if rec.Code != http.StatusOK || rotated.PreviousSecretExpiresAt != nil {
		t.Fatalf("rotate without grace: %d %s", rec.Code, rec.Body)
	}
	recv.mu.Lock()
	recv.status = http.StatusUnauthorized
	recv.mu.Unlock()
	rec = e.do("POST", path+"/test", dev, "")
	res = webhook.TestResult{}
	_ = json.Unmarshal(rec.Body.Bytes(), &res)
	if rec.Code != http.StatusOK || res.State != webhook.StateFailed || res.Response == nil || res.Response.Status != http.StatusUnauthorized {
		t.Fatalf("failed test: %d %s", rec.Code, rec.Body)
	}
	if recv.verifies(t, created.Secret) || !recv.verifies(t, rotated.Secret) {
		t.Fatal("after a rotation without grace only the new secret must verify")
	}

	// No secret in reads or the audit trail.
	for _, p := range []string{path, prefix + "/audit"} {
		rec := e.do("GET", p, admin, "")
		for _, s := range []string{created.Secret, rotated.Secret} {
			if strings.Contains(rec.Body.String(), strings.TrimPrefix(s, webhook.SecretPrefix)) {
				t.Fatalf("GET %s leaks a secret", p)
			}
		}
	}

	for _, tt := range []struct {
		name, body string
		token      string
		status     int
	}{
		{"negative grace", `{"graceSeconds":-1}`, admin, http.StatusBadRequest},
		{"grace over a week", `{"graceSeconds":604801}`, admin, http.StatusBadRequest},
		{"grace not a number", `{"graceSeconds":"1h"}`, admin, http.StatusBadRequest},
		{"developers may not rotate", "", dev, http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do("POST", path+"/rotate-secret", tt.token, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if tt.status == http.StatusBadRequest && !strings.Contains(rec.Body.String(), "/graceSeconds") {
				t.Fatalf("no pointer: %s", rec.Body)
			}
		})
	}
}

type failingTester struct{ err error }

func (f failingTester) Test(context.Context, string, string) (webhook.TestResult, error) {
	return webhook.TestResult{}, f.err
}

func TestTestWebhookErrors(t *testing.T) {
	e := newEnv(t)
	id := addWebhook(t, e)
	dev := e.token(tenantA, identity.RoleDeveloper)
	cases := []struct {
		name    string
		tester  WebhookTester
		webhook string
		token   string
		status  int
	}{
		{"no tester", nil, id, dev, http.StatusServiceUnavailable},
		{"unknown subscription", failingTester{}, "wh_nope", dev, http.StatusNotFound},
		{"another tenant", failingTester{}, id, e.token(tenantB, identity.RoleAdmin), http.StatusNotFound},
		{"viewers may not", failingTester{}, id, e.token(tenantA, identity.RoleViewer), http.StatusForbidden},
		{"unusable secret", failingTester{webhook.ErrSecret}, id, dev, http.StatusInternalServerError},
		{"subscription gone meanwhile", failingTester{catalog.ErrNotFound}, id, dev, http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.h.cfg.WebhookTests = tc.tester
			if rec := e.do("POST", prefix+"/webhooks/"+tc.webhook+"/test", tc.token, ""); rec.Code != tc.status {
				t.Fatalf("%d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
		})
	}
}
