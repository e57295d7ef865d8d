package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/caller"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/integration/webhook"
	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/proxy"
	"github.com/portico/portico/internal/secrets"
)

// secretMap is an in-memory SecretReader keyed by tenant and name.
type secretMap map[[2]string]string

func (m secretMap) Get(_ context.Context, tenant, name string) (string, error) {
	if v, ok := m[[2]string{tenant, name}]; ok {
		return v, nil
	}
	return "", fmt.Errorf("secret %s: %w", name, secrets.ErrNotFound)
}

// bodyUpstream records the body and Idempotency-Key of every call.
type bodyUpstream struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	keys   []string
}

func newBodyUpstream(t *testing.T) *bodyUpstream {
	u := &bodyUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.bodies = append(u.bodies, string(b))
		u.keys = append(u.keys, r.Header.Get("Idempotency-Key"))
		u.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *bodyUpstream) calls() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.bodies)
}

// webhookConfig is tenant's POST /hooks (secrets "stripe-new" then
// "stripe-old") and POST /strict (tolerance 60 s, secret "stripe-new").
func webhookConfig(tenant, upstream string) *catalog.TenantConfig {
	ep := func(path string, pol *model.AuthPolicy) model.Endpoint {
		return model.Endpoint{ID: path, API: "in", Version: "v1", Method: "POST", Path: path,
			Target: model.Target{Type: model.TargetIntegration, Integration: "main"}, Policies: model.Policies{Auth: pol}}
	}
	return &catalog.TenantConfig{
		Version:      1,
		Tenant:       model.Tenant{ID: tenant, Name: tenant},
		APIs:         []model.API{{Slug: "in", Name: "Inbound"}},
		Versions:     []model.Version{{API: "in", Name: "v1", Status: model.StatusPublished}},
		Integrations: []model.Integration{{Slug: "main", Type: model.IntegrationHTTP, URL: upstream}},
		Endpoints: []model.Endpoint{
			ep("/hooks", &model.AuthPolicy{Type: model.AuthWebhook, Secrets: []string{"stripe-new", "stripe-old"}}),
			ep("/strict", &model.AuthPolicy{Type: model.AuthWebhook, Secrets: []string{"stripe-new"}, ToleranceSeconds: 60}),
			ep("/missing", &model.AuthPolicy{Type: model.AuthWebhook, Secrets: []string{"nowhere"}}),
		},
	}
}

func mustSecret(t *testing.T) (string, []byte) {
	t.Helper()
	s, err := webhook.NewSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := webhook.DecodeSecret(s)
	if err != nil {
		t.Fatal(err)
	}
	return s, k
}

func TestInboundWebhookAuth(t *testing.T) {
	clock := newFakeClock()
	up := newBodyUpstream(t)
	newS, newK := mustSecret(t)
	oldS, oldK := mustSecret(t)
	globexS, globexK := mustSecret(t)
	store := secretMap{
		{"acme", "stripe-new"}: newS, {"acme", "stripe-old"}: oldS,
		{"globex", "stripe-new"}: globexS, {"globex", "stripe-old"}: globexS,
	}
	spy := &callerSpy{next: proxy.New(proxy.Config{Logger: discardLogger()})}
	gw, err := New(Config{
		Source:    newFakeSource(webhookConfig("acme", up.URL), webhookConfig("globex", up.URL)),
		Forwarder: spy, Now: clock.Now, Logger: discardLogger(), Secrets: store,
	})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type":"invoice.paid","data":{"id":"in_1"}}`)
	now := clock.Now()
	signed := func(key []byte, id string, ts time.Time, b []byte) http.Header {
		return http.Header{webhook.HeaderID: {id}, webhook.HeaderTimestamp: {fmt.Sprint(ts.Unix())}, webhook.HeaderSignature: {webhook.Sign(key, id, ts, b)}}
	}
	tests := []struct {
		name   string
		target string
		hdr    http.Header
		body   []byte
		status int
		detail string // substring of the problem's detail
	}{
		{"signed with the current secret", "/t/acme/v1/hooks", signed(newK, "msg_1", now, body), body, 204, ""},
		{"signed with the secret being rotated out", "/t/acme/v1/hooks", signed(oldK, "msg_2", now, body), body, 204, ""},
		{"within the default tolerance", "/t/acme/v1/hooks", signed(newK, "msg_3", now.Add(-4*time.Minute), body), body, 204, ""},
		{"several signatures, one good", "/t/acme/v1/hooks", func() http.Header {
			h := signed(newK, "msg_4", now, body)
			h.Set(webhook.HeaderSignature, webhook.Sign(globexK, "msg_4", now, body)+" "+h.Get(webhook.HeaderSignature))
			return h
		}(), body, 204, ""},
		{"unknown secret", "/t/acme/v1/hooks", signed(globexK, "msg_5", now, body), body, 401, "does not verify"},
		{"another tenant's secret", "/t/globex/v1/hooks", signed(newK, "msg_6", now, body), body, 401, "does not verify"},
		{"body changed after signing", "/t/acme/v1/hooks", signed(newK, "msg_7", now, body), []byte(`{"type":"invoice.paid","data":{"id":"in_2"}}`), 401, "does not verify"},
		{"id changed after signing", "/t/acme/v1/hooks", func() http.Header {
			h := signed(newK, "msg_8", now, body)
			h.Set(webhook.HeaderID, "msg_9")
			return h
		}(), body, 401, "does not verify"},
		{"replay outside the tolerance", "/t/acme/v1/hooks", signed(newK, "msg_10", now.Add(-6*time.Minute), body), body, 401, "tolerance"},
		{"from the future", "/t/acme/v1/hooks", signed(newK, "msg_11", now.Add(6*time.Minute), body), body, 401, "tolerance"},
		{"outside a tighter tolerance", "/t/acme/v1/strict", signed(newK, "msg_12", now.Add(-2*time.Minute), body), body, 401, "tolerance"},
		{"no signature headers", "/t/acme/v1/hooks", http.Header{}, body, 401, "webhook-id"},
		{"secret missing from the store", "/t/acme/v1/missing", signed(newK, "msg_13", now, body), body, 503, "cannot be verified"},
		{"body over 1 MiB", "/t/acme/v1/hooks", signed(newK, "msg_14", now, body), bytes.Repeat([]byte("a"), MaxWebhookBody+1), 413, "1 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := up.calls()
			r := httptest.NewRequest("POST", tt.target, bytes.NewReader(tt.body))
			for k, v := range tt.hdr {
				r.Header[k] = v
			}
			w := httptest.NewRecorder()
			gw.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tt.status, w.Body)
			}
			if tt.status != 204 {
				p := problemBody(t, w)
				if d, _ := p["detail"].(string); !strings.Contains(d, tt.detail) {
					t.Errorf("detail = %q, want it to mention %q", d, tt.detail)
				}
				if up.calls() != before {
					t.Fatal("the upstream was called for a webhook that did not verify")
				}
				return
			}
			if up.calls() != before+1 {
				t.Fatal("the upstream was not called once")
			}
			up.mu.Lock()
			gotBody, gotKey := up.bodies[len(up.bodies)-1], up.keys[len(up.keys)-1]
			up.mu.Unlock()
			if gotBody != string(tt.body) {
				t.Errorf("upstream body = %q, want the signed body", gotBody)
			}
			if id := tt.hdr.Get(webhook.HeaderID); gotKey != id {
				t.Errorf("Idempotency-Key upstream = %q, want the webhook-id %q", gotKey, id)
			}
			spy.mu.Lock()
			c := spy.last
			spy.mu.Unlock()
			if c == nil || c.Kind != caller.Webhook || c.Tenant != "acme" || c.Subject != "stripe-new" {
				t.Errorf("caller = %+v", c)
			}
		})
	}
}

func TestInboundWebhookWithoutSecretsFailsClosed(t *testing.T) {
	up := newBodyUpstream(t)
	gw, err := New(Config{Source: newFakeSource(webhookConfig("acme", up.URL)), Forwarder: proxy.New(proxy.Config{Logger: discardLogger()}), Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	gw.ServeHTTP(w, httptest.NewRequest("POST", "/t/acme/v1/hooks", strings.NewReader("{}")))
	if w.Code != http.StatusServiceUnavailable || up.calls() != 0 {
		t.Fatalf("status = %d, upstream calls %d; want 503 and none", w.Code, up.calls())
	}
	problemBody(t, w)
}
