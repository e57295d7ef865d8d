package app

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/portico/portico/internal/echo"
	"github.com/portico/portico/internal/integration/webhook"
)

// TestInboundWebhookEndToEnd: a tenant stores a sender's signing secret,
// publishes an endpoint that accepts webhooks signed with it, and the
// gateway lets through a signed delivery only.
func TestInboundWebhookEndToEnd(t *testing.T) {
	upstream := httptest.NewServer(echo.New(echo.Config{}))
	t.Cleanup(upstream.Close)
	env := map[string]string{"PORTICO_DATA_DIR": t.TempDir(), "PORTICO_REFRESH_INTERVAL": "1ns"}
	s := newStack(t, func(k string) string { return env[k] })

	op := s.login("_platform", "owner")
	s.call("POST", "/admin/v1/tenants", op, map[string]any{"id": "acme", "name": "Acme"}, 201, nil)
	tok := s.login("acme", "owner")
	secret, err := webhook.NewSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := webhook.DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	s.call("POST", "/admin/v1/integrations", tok, map[string]any{"slug": "orders", "name": "Orders", "type": "http", "url": upstream.URL}, 201, nil)
	s.call("POST", "/admin/v1/apis", tok, map[string]any{"slug": "inbound", "name": "Inbound", "basePath": "/inbound"}, 201, nil)
	s.call("POST", "/admin/v1/apis/inbound/versions", tok, map[string]any{"name": "v1"}, 201, nil)
	endpoint := map[string]any{
		"method": "POST", "path": "/payments",
		"target":   map[string]any{"type": "integration", "integration": "orders", "path": "/payments"},
		"policies": map[string]any{"auth": map[string]any{"type": "webhook", "secrets": []string{"payments-sender"}}},
	}
	// The secret must exist before an endpoint can name it.
	s.call("POST", "/admin/v1/apis/inbound/versions/v1/endpoints", tok, endpoint, 400, nil)
	s.call("PUT", "/admin/v1/secrets/payments-sender", tok, map[string]any{"value": secret}, 201, nil)
	s.call("POST", "/admin/v1/apis/inbound/versions/v1/endpoints", tok, endpoint, 201, nil)
	s.call("POST", "/admin/v1/apis/inbound/versions/v1/publish", tok, nil, 200, nil)

	body := []byte(`{"type":"payment.succeeded","data":{"amount":4200}}`)
	post := func(sig string) int {
		t.Helper()
		req, err := http.NewRequest("POST", s.srv.URL+"/t/acme/v1/inbound/payments", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		req.Header.Set(webhook.HeaderID, "msg_2Lh9")
		req.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		if sig == "" {
			sig = webhook.Sign(key, "msg_2Lh9", now, body)
		}
		req.Header.Set(webhook.HeaderSignature, sig)
		resp, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(""); got != 200 {
		t.Fatalf("signed webhook: status %d, want 200", got)
	}
	if got := post("v1,bm90IGEgc2lnbmF0dXJl"); got != 401 {
		t.Fatalf("forged webhook: status %d, want 401", got)
	}
	// A secret an endpoint names cannot be deleted.
	s.call("DELETE", "/admin/v1/secrets/payments-sender", tok, nil, 409, nil)
}
